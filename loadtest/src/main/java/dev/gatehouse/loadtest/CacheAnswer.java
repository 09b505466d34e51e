package dev.gatehouse.loadtest;

import io.vertx.core.MultiMap;

import java.util.List;
import java.util.Locale;

/**
 * Whether a cache answered a response, from its headers: the {@code Cache-Status} field (RFC 9211) when present, its
 * last member (the cache nearest the client) with a {@code hit} parameter (not {@code hit=?0}); otherwise an
 * {@code X-Cache-Status} (nginx's {@code $upstream_cache_status}) or {@code X-Cache} (Varnish, CDNs) value starting
 * with {@code HIT}. Responses with none of the three say nothing.
 */
final class CacheAnswer {

    static final int NONE = 0;
    static final int MISS = 1;
    static final int HIT = 2;

    private CacheAnswer() {
    }

    static int of(MultiMap headers) {
        List<String> status = headers.getAll("Cache-Status");
        if (!status.isEmpty()) {
            return cacheStatusHit(status.get(status.size() - 1)) ? HIT : MISS;
        }
        String legacy = headers.get("X-Cache-Status");
        if (legacy == null) {
            legacy = headers.get("X-Cache");
        }
        if (legacy == null) {
            return NONE;
        }
        return legacy.trim().toUpperCase(Locale.ROOT).startsWith("HIT") ? HIT : MISS;
    }

    /** Whether the last member of a Cache-Status field line has a true {@code hit} parameter. */
    static boolean cacheStatusHit(String field) {
        // the last member starts after the last comma outside a quoted string (detail="a, b" may hold one)
        int memberStart = 0;
        boolean quoted = false;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '"' && (i == 0 || field.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                memberStart = i + 1;
            }
        }
        String member = field.substring(memberStart);
        // parameters: ;name or ;name=value, the first segment being the cache's name
        int paramStart = -1;
        quoted = false;
        for (int i = 0; i <= member.length(); i++) {
            char c = i < member.length() ? member.charAt(i) : ';';
            if (c == '"' && (i == 0 || member.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                if (paramStart >= 0 && isTrueHit(member.substring(paramStart, i))) {
                    return true;
                }
                paramStart = i + 1;
            }
        }
        return false;
    }

    private static boolean isTrueHit(String param) {
        int eq = param.indexOf('=');
        String name = (eq < 0 ? param : param.substring(0, eq)).trim();
        if (!name.equalsIgnoreCase("hit")) {
            return false;
        }
        return eq < 0 || param.substring(eq + 1).trim().equals("?1");
    }
}
