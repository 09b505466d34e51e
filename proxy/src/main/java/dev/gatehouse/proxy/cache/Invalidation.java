package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Invalidation by unsafe methods (RFC 9111 §4.4): a non-error response (2xx, 3xx) to a method not known to be safe
 * invalidates the target URI, and the Location and Content-Location URIs when they share its origin (scheme, host,
 * port: RFC 9110 §4.3.1), to prevent denial-of-service by invalidating other origins. Keys are {@link CacheKey}
 * primary keys for GET (HEAD shares them); every variant under a key goes.
 */
public final class Invalidation {

    /** RFC 9110 §9.2.1. */
    static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    private Invalidation() {
    }

    /** Whether {@code method} is safe (RFC 9110 §9.2.1): it never invalidates. */
    public static boolean isSafe(String method) {
        return SAFE.contains(method);
    }

    /** The primary keys to invalidate, target first; empty for safe methods and error or informational statuses. */
    public static List<String> keys(String method, int status, String scheme, String authority, String pathAndQuery,
            MultiMap responseHeaders) {
        if (SAFE.contains(method) || status < 200 || status >= 400) {
            return List.of();
        }
        List<String> keys = new ArrayList<>(3);
        String target = CacheKey.primary("GET", scheme, authority, pathAndQuery);
        keys.add(target);
        URI base;
        try {
            base = new URI(scheme.toLowerCase(Locale.ROOT) + "://" + authority + (pathAndQuery.startsWith("/")
                    ? pathAndQuery : "/" + pathAndQuery));
        } catch (URISyntaxException e) {
            return keys;
        }
        String origin = origin(base);
        for (String field : List.of("Location", "Content-Location")) {
            String value = responseHeaders.get(field);
            if (value == null) {
                continue;
            }
            try {
                URI u = base.resolve(new URI(Fields.trimOws(value)));
                if (u.getScheme() == null || u.getRawAuthority() == null || !origin.equals(origin(u))) {
                    continue; // another origin: must not be invalidated (§4.4)
                }
                String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
                String k = CacheKey.primary("GET", u.getScheme(), u.getRawAuthority(),
                        u.getRawQuery() == null ? path : path + "?" + u.getRawQuery());
                if (!keys.contains(k)) {
                    keys.add(k);
                }
            } catch (URISyntaxException | IllegalArgumentException e) {
                // An unparseable URI names nothing to invalidate.
            }
        }
        return keys;
    }

    /** scheme://host:port with the default port made explicit, for comparison. */
    private static String origin(URI u) {
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        String authority = CacheKey.authority(scheme, u.getRawAuthority());
        return scheme + "://" + authority;
    }
}
