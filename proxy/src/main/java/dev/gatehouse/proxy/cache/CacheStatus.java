package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

/**
 * This cache's member of the Cache-Status field (RFC 9211) and the one-word summary written to the access log in the
 * style of X-Cache. Built per response; not thread-safe.
 */
public final class CacheStatus {

    /** The cache's identifier in the field (RFC 9211 §2: a token). */
    public static final String NAME = "gatehouse";
    public static final String FIELD = "Cache-Status";

    /** RFC 9211 §2.2 fwd values. */
    public enum Fwd {
        BYPASS("bypass"), METHOD("method"), URI_MISS("uri-miss"), VARY_MISS("vary-miss"), MISS("miss"),
        REQUEST("request"), STALE("stale"), PARTIAL("partial");

        private final String token;

        Fwd(String token) {
            this.token = token;
        }

        public String token() {
            return token;
        }
    }

    /** The access-log summary. */
    public enum Summary {
        HIT, MISS, STALE, BYPASS, EXPIRED, REVALIDATED, UPDATING
    }

    private boolean hit;
    private Fwd fwd;
    private int fwdStatus;
    private Long ttl;
    private boolean stored;
    private boolean collapsed;
    private String key;
    private String detail;

    /** Served from the cache without going forward (§2.1). */
    public static CacheStatus hit() {
        CacheStatus s = new CacheStatus();
        s.hit = true;
        return s;
    }

    /** Went forward to the origin (§2.2); a stale hit being refreshed in the background uses {@link #hit()} + fwd. */
    public static CacheStatus forward(Fwd fwd) {
        CacheStatus s = new CacheStatus();
        s.fwd = fwd;
        return s;
    }

    public CacheStatus fwd(Fwd f) {
        this.fwd = f;
        return this;
    }

    /** §2.3: the status of the forwarded response. */
    public CacheStatus fwdStatus(int status) {
        this.fwdStatus = status;
        return this;
    }

    /** §2.4: remaining freshness in seconds, negative when stale. */
    public CacheStatus ttl(long seconds) {
        this.ttl = seconds;
        return this;
    }

    /** §2.5: the response was stored. */
    public CacheStatus stored(boolean s) {
        this.stored = s;
        return this;
    }

    /** §2.6: collapsed with another request. */
    public CacheStatus collapsed(boolean c) {
        this.collapsed = c;
        return this;
    }

    /** §2.7: the cache key (sent only when configured: it may reveal more than the URL). */
    public CacheStatus key(String k) {
        this.key = k;
        return this;
    }

    /** §2.8: implementation-specific detail, e.g. why a response was not stored. */
    public CacheStatus detail(String d) {
        this.detail = d;
        return this;
    }

    /** The member, e.g. {@code gatehouse; hit; ttl=376} or {@code gatehouse; fwd=uri-miss; fwd-status=200; stored}. */
    public String value() {
        StringBuilder b = new StringBuilder(NAME);
        if (hit) {
            b.append("; hit");
        }
        if (fwd != null) {
            b.append("; fwd=").append(fwd.token());
        }
        if (fwdStatus > 0) {
            b.append("; fwd-status=").append(fwdStatus);
        }
        if (ttl != null) {
            b.append("; ttl=").append(ttl);
        }
        if (stored) {
            b.append("; stored");
        }
        if (collapsed) {
            b.append("; collapsed");
        }
        if (key != null) {
            b.append("; key=").append(sfString(key));
        }
        if (detail != null) {
            b.append("; detail=").append(isSfToken(detail) ? detail : sfString(detail));
        }
        return b.toString();
    }

    /**
     * Appends this member to the response's Cache-Status (§2: each cache adds itself at the end, nearest the user
     * last), keeping what the origin or caches before it said.
     */
    public void appendTo(MultiMap headers) {
        if (!headers.contains(FIELD)) {
            headers.set(FIELD, value());
            return;
        }
        String existing = String.join(", ", headers.getAll(FIELD));
        headers.set(FIELD, existing.isBlank() ? value() : existing + ", " + value());
    }

    /** The X-Cache style summary. */
    public Summary summary() {
        if (hit) {
            if (fwd == Fwd.STALE || fwd == Fwd.REQUEST) {
                return Summary.UPDATING; // stale served while a background request refreshes it
            }
            return ttl != null && ttl < 0 ? Summary.STALE : Summary.HIT;
        }
        if (fwd == null) {
            return Summary.MISS;
        }
        return switch (fwd) {
            case BYPASS, METHOD -> Summary.BYPASS;
            case STALE, REQUEST -> fwdStatus == 304 ? Summary.REVALIDATED
                    : fwd == Fwd.STALE ? Summary.EXPIRED : Summary.BYPASS;
            default -> Summary.MISS;
        };
    }

    static boolean isSfToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        char c0 = s.charAt(0);
        if (!(c0 >= 'a' && c0 <= 'z' || c0 >= 'A' && c0 <= 'Z' || c0 == '*')) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Fields.isTchar(c) && c != ':' && c != '/') {
                return false;
            }
        }
        return true;
    }

    /** RFC 8941 §4.1.6: a String, with \ and " escaped; other characters outside printable ASCII replaced. */
    static String sfString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append('?');
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    @Override
    public String toString() {
        return value();
    }
}
