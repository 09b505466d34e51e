package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cache directives of one message (RFC 9111 §5.2; RFC 5861 stale-while-revalidate / stale-if-error; RFC 8246
 * immutable), immutable. Directive names compare case-insensitively and arguments are accepted as token or
 * quoted-string (§5.2); unknown directives are ignored (§5.2.3).
 *
 * <p>Invalid or conflicting values resolve to the most restrictive reading (§4.2.1, §5.2): an invalid or repeated
 * (with different values) response {@code max-age} / {@code s-maxage} makes the response stale (0, §5.2.2.1); a
 * request's repeated {@code max-age} takes the smallest and {@code min-fresh} the largest; directives that widen what
 * may be served ({@code max-stale=n}, {@code stale-while-revalidate}, {@code stale-if-error}) are dropped when
 * invalid and take the smallest value when repeated. The qualified {@code no-cache="f"} is honoured as unqualified
 * (§5.2.2.4 allows it), {@code private="f"} as a list of fields a shared cache strips before storing (§5.2.2.7).
 *
 * <p>For responses, the first of {@code Gatehouse-Cache-Control}, {@code CDN-Cache-Control} that holds a valid,
 * non-empty Structured Dictionary (RFC 9213 §2.1, §2.2) replaces {@code Cache-Control} and {@code Expires}.
 */
public final class CacheControl {

    /** A directive that is absent. */
    public static final long ABSENT = -1;
    /** {@code max-stale} without a value: any staleness is acceptable (§5.2.1.2). */
    public static final long ANY = Long.MAX_VALUE;

    /** This cache's own targeted field (RFC 9213 §3 naming), checked before CDN-Cache-Control. */
    public static final String GATEHOUSE_CACHE_CONTROL = "Gatehouse-Cache-Control";
    /** RFC 9213 §3. */
    public static final String CDN_CACHE_CONTROL = "CDN-Cache-Control";
    static final String CACHE_CONTROL = "Cache-Control";
    /** The target list of RFC 9213 §2.2, in precedence order. */
    static final List<String> TARGETED = List.of(GATEHOUSE_CACHE_CONTROL, CDN_CACHE_CONTROL);

    static final CacheControl NONE = new Builder(CACHE_CONTROL).build();

    private final String source;
    private final long maxAge;
    private final long sMaxAge;
    private final long maxStale;
    private final long minFresh;
    private final long staleWhileRevalidate;
    private final long staleIfError;
    private final boolean noCache;
    private final boolean noStore;
    private final boolean noTransform;
    private final boolean onlyIfCached;
    private final boolean mustRevalidate;
    private final boolean proxyRevalidate;
    private final boolean mustUnderstand;
    private final boolean isPublic;
    private final boolean isPrivate;
    private final boolean immutable;
    private final Set<String> noCacheFields;
    private final Set<String> privateFields;

    private CacheControl(Builder b) {
        source = b.source;
        maxAge = b.maxAge;
        sMaxAge = b.sMaxAge;
        maxStale = b.maxStale;
        minFresh = b.minFresh;
        staleWhileRevalidate = b.staleWhileRevalidate;
        staleIfError = b.staleIfError;
        noCache = b.noCache;
        noStore = b.noStore;
        noTransform = b.noTransform;
        onlyIfCached = b.onlyIfCached;
        mustRevalidate = b.mustRevalidate;
        proxyRevalidate = b.proxyRevalidate;
        mustUnderstand = b.mustUnderstand;
        isPublic = b.isPublic;
        isPrivate = b.isPrivate;
        immutable = b.immutable;
        noCacheFields = Collections.unmodifiableSet(b.noCacheFields);
        privateFields = Collections.unmodifiableSet(b.privateFields);
    }

    /**
     * A request's directives (§5.2.1). Without a Cache-Control field, {@code Pragma: no-cache} counts as
     * {@code no-cache} (§5.4).
     */
    public static CacheControl request(MultiMap headers) {
        if (!headers.contains(CACHE_CONTROL)) {
            for (String p : Fields.listMembers(headers, "Pragma")) {
                if (p.equalsIgnoreCase("no-cache")) {
                    Builder b = new Builder("Pragma");
                    b.noCache = true;
                    return b.build();
                }
            }
            return NONE;
        }
        return parse(Fields.listMembers(headers, CACHE_CONTROL), true);
    }

    /**
     * A response's directives for this cache: the first targeted field with a valid non-empty value (RFC 9213 §2.2),
     * else Cache-Control (§5.2.2). {@link #targeted()} says which, since a targeted field also overrides Expires.
     */
    public static CacheControl response(MultiMap headers) {
        for (String field : TARGETED) {
            if (headers.contains(field)) {
                CacheControl t = targeted(field, headers.getAll(field));
                if (t != null) {
                    return t;
                }
            }
        }
        return parse(Fields.listMembers(headers, CACHE_CONTROL), false);
    }

    /** Removes the targeted fields, which concern this cache, from what goes downstream (RFC 9213 §2.2). */
    public static void stripTargeted(MultiMap headers, boolean includingCdn) {
        headers.remove(GATEHOUSE_CACHE_CONTROL);
        if (includingCdn) {
            headers.remove(CDN_CACHE_CONTROL);
        }
    }

    /** Cache-Control syntax (§5.2): {@code token [ "=" ( token / quoted-string ) ]} members. */
    static CacheControl parse(List<String> members, boolean request) {
        Builder b = new Builder(CACHE_CONTROL);
        for (String member : members) {
            int eq = member.indexOf('=');
            if (eq > 0 && (Fields.isOws(member.charAt(eq - 1))
                    || (eq + 1 < member.length() && Fields.isOws(member.charAt(eq + 1))))) {
                continue; // "max-age =5" and "max-age= 5" are not the grammar (no whitespace around '='): ignored
            }
            String name = (eq < 0 ? member : Fields.trimOws(member.substring(0, eq))).toLowerCase(Locale.ROOT);
            String arg = null;
            if (eq >= 0) {
                String raw = Fields.trimOws(member.substring(eq + 1));
                arg = raw.startsWith("\"") ? Fields.unquote(raw) : (Fields.isToken(raw) ? raw : null);
                if (arg == null) {
                    arg = "\u0000invalid";
                }
            }
            b.directive(name, eq >= 0, arg, request, null);
        }
        return b.build();
    }

    /** A targeted field (RFC 9213 §2.1): a Structured Dictionary; null when invalid or empty, so it is skipped. */
    static CacheControl targeted(String field, List<String> lines) {
        Map<String, Object> dict = StructuredDictionary.parse(lines);
        if (dict == null || dict.isEmpty()) {
            return null;
        }
        Builder b = new Builder(field);
        for (Map.Entry<String, Object> e : dict.entrySet()) {
            Object v = e.getValue();
            if (Boolean.FALSE.equals(v)) {
                continue; // ?0: the directive is off
            }
            String arg = null;
            Set<String> fieldList = null;
            if (v instanceof Long l) {
                arg = l >= 0 ? Long.toString(l) : "\u0000invalid";
            } else if (v instanceof String str) {
                // A String is a list of field names (no-cache, private); for a delta-seconds directive, invalid.
                fieldList = new TreeSet<>();
                for (String f : Fields.splitList(str)) {
                    if (Fields.isToken(f)) {
                        fieldList.add(f.toLowerCase(Locale.ROOT));
                    }
                }
                arg = "\u0000invalid";
            } else if (v instanceof List<?> list) {
                fieldList = new TreeSet<>();
                for (Object item : list) {
                    if (item instanceof String str) {
                        fieldList.add(str.toLowerCase(Locale.ROOT));
                    } else if (item instanceof StructuredDictionary.Token t) {
                        fieldList.add(t.value().toLowerCase(Locale.ROOT));
                    }
                }
                arg = "";
            } else if (!Boolean.TRUE.equals(v)) {
                arg = "\u0000invalid";
            }
            b.directive(e.getKey(), arg != null, arg, false, fieldList);
        }
        return b.build();
    }

    /** The field the directives came from: Cache-Control, Pragma, or a targeted field name. */
    public String source() {
        return source;
    }

    /** Whether they came from an RFC 9213 targeted field (which then also overrides Expires). */
    public boolean targeted() {
        return TARGETED.contains(source);
    }

    /** Seconds, {@link #ABSENT}, or 0 for an invalid response value (§5.2.2.1: treat as stale). */
    public long maxAge() {
        return maxAge;
    }

    public long sMaxAge() {
        return sMaxAge;
    }

    /** Seconds, {@link #ANY} without a value, {@link #ABSENT}. */
    public long maxStale() {
        return maxStale;
    }

    public long minFresh() {
        return minFresh;
    }

    public long staleWhileRevalidate() {
        return staleWhileRevalidate;
    }

    public long staleIfError() {
        return staleIfError;
    }

    /** Unqualified or qualified (the latter honoured as unqualified, §5.2.2.4). */
    public boolean noCache() {
        return noCache;
    }

    public Set<String> noCacheFields() {
        return noCacheFields;
    }

    public boolean noStore() {
        return noStore;
    }

    public boolean noTransform() {
        return noTransform;
    }

    public boolean onlyIfCached() {
        return onlyIfCached;
    }

    public boolean mustRevalidate() {
        return mustRevalidate;
    }

    public boolean proxyRevalidate() {
        return proxyRevalidate;
    }

    public boolean mustUnderstand() {
        return mustUnderstand;
    }

    public boolean isPublic() {
        return isPublic;
    }

    /** Unqualified {@code private}: a shared cache must not store the response (§5.2.2.7). */
    public boolean isPrivate() {
        return isPrivate;
    }

    /** Lower-case field names of a qualified {@code private}: stripped before a shared cache stores (§5.2.2.7). */
    public Set<String> privateFields() {
        return privateFields;
    }

    public boolean immutable() {
        return immutable;
    }

    @Override
    public String toString() {
        return source + "{maxAge=" + maxAge + ", sMaxAge=" + sMaxAge + ", maxStale=" + maxStale + ", minFresh="
                + minFresh + ", swr=" + staleWhileRevalidate + ", sie=" + staleIfError + ", noCache=" + noCache
                + noCacheFields + ", noStore=" + noStore + ", private=" + isPrivate + privateFields + ", public="
                + isPublic + ", mustRevalidate=" + mustRevalidate + ", proxyRevalidate=" + proxyRevalidate
                + ", mustUnderstand=" + mustUnderstand + ", onlyIfCached=" + onlyIfCached + ", immutable=" + immutable
                + "}";
    }

    private static final class Builder {
        final String source;
        long maxAge = ABSENT;
        long sMaxAge = ABSENT;
        long maxStale = ABSENT;
        long minFresh = ABSENT;
        long staleWhileRevalidate = ABSENT;
        long staleIfError = ABSENT;
        boolean noCache;
        boolean noStore;
        boolean noTransform;
        boolean onlyIfCached;
        boolean mustRevalidate;
        boolean proxyRevalidate;
        boolean mustUnderstand;
        boolean isPublic;
        boolean isPrivate;
        boolean immutable;
        final Set<String> noCacheFields = new TreeSet<>();
        final Set<String> privateFields = new TreeSet<>();
        private boolean maxAgeSeen;
        private boolean sMaxAgeSeen;

        Builder(String source) {
            this.source = source;
        }

        /**
         * One directive. {@code arg} is null without "=", the unquoted argument otherwise (a NUL-prefixed marker when
         * it is neither token nor quoted-string); {@code fieldList} carries a targeted field's inner list.
         */
        void directive(String name, boolean hasArg, String arg, boolean request, Set<String> fieldList) {
            long delta = hasArg ? Fields.deltaSeconds(arg) : Fields.INVALID;
            switch (name) {
                case "max-age" -> {
                    if (request) {
                        // An invalid request max-age is read as 0: the most restrictive reading (§4.2.1).
                        long v = delta < 0 ? 0 : delta;
                        maxAge = maxAge == ABSENT ? v : Math.min(maxAge, v);
                    } else {
                        maxAge = responseDelta(maxAgeSeen, maxAge, delta);
                        maxAgeSeen = true;
                    }
                }
                case "s-maxage" -> {
                    if (!request) {
                        sMaxAge = responseDelta(sMaxAgeSeen, sMaxAge, delta);
                        sMaxAgeSeen = true;
                    }
                }
                case "max-stale" -> {
                    if (request) {
                        long v = !hasArg ? ANY : delta;
                        if (v >= 0) {
                            maxStale = maxStale == ABSENT ? v : Math.min(maxStale, v);
                        }
                    }
                }
                case "min-fresh" -> {
                    if (request && delta >= 0) {
                        minFresh = Math.max(minFresh, delta);
                    }
                }
                case "stale-while-revalidate" -> {
                    if (!request && delta >= 0) {
                        staleWhileRevalidate = staleWhileRevalidate == ABSENT ? delta
                                : Math.min(staleWhileRevalidate, delta);
                    }
                }
                case "stale-if-error" -> {
                    // RFC 5861 §4: a request directive as well as a response one.
                    if (delta >= 0) {
                        staleIfError = staleIfError == ABSENT ? delta : Math.min(staleIfError, delta);
                    }
                }
                case "no-cache" -> {
                    noCache = true;
                    if (!request) {
                        noCacheFields.addAll(fieldList != null ? fieldList : fieldNames(hasArg ? arg : null));
                    }
                }
                case "no-store" -> noStore = true;
                case "no-transform" -> noTransform = true;
                case "only-if-cached" -> onlyIfCached = request;
                case "must-revalidate" -> mustRevalidate = !request;
                case "proxy-revalidate" -> proxyRevalidate = !request;
                case "must-understand" -> mustUnderstand = !request;
                case "public" -> isPublic = !request;
                case "private" -> {
                    if (!request) {
                        Set<String> fields = fieldList != null ? fieldList : fieldNames(hasArg ? arg : null);
                        if (fields.isEmpty()) {
                            isPrivate = true; // unqualified (or an empty list): the whole response is private
                        } else {
                            privateFields.addAll(fields);
                        }
                    }
                }
                case "immutable" -> immutable = !request;
                default -> {
                    // §5.2.3: unrecognised directives are ignored.
                }
            }
        }

        /** §4.2.1 / §5.2.2.1: invalid → stale (0); repeated with another value → stale (0). */
        private static long responseDelta(boolean seen, long previous, long delta) {
            long v = delta < 0 ? 0 : delta;
            return seen && previous != v ? 0 : v;
        }

        private static Set<String> fieldNames(String arg) {
            Set<String> out = new TreeSet<>();
            if (arg != null && !arg.startsWith("\u0000")) {
                for (String f : Fields.splitList(arg)) {
                    if (Fields.isToken(f)) {
                        out.add(f.toLowerCase(Locale.ROOT));
                    }
                }
            }
            return out;
        }

        CacheControl build() {
            if (isPrivate) {
                privateFields.clear();
            }
            return new CacheControl(this);
        }
    }
}
