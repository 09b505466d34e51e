package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CORS (the Fetch standard's CORS protocol): answers preflights itself and decorates responses for allowed origins.
 * This filter is the route's CORS authority: {@code Access-Control-Allow-Origin} and {@code -Credentials} from the
 * backend are replaced, so only a configured origin is ever echoed ({@code *} only with {@code origins: ["*"]}
 * and no credentials, which the validator requires). Every answer that depends on the request's Origin says so
 * with {@code Vary: Origin}, so no cache (ours included) serves one origin's answer to another.
 */
public final class CorsFilter implements ProxyFilter {

    /** Request headers a browser never preflights for. */
    private static final Set<String> SAFELISTED = Set.of("accept", "accept-language", "content-language",
            "content-type", "range");

    private final Set<String> origins;
    private final boolean anyOrigin;
    private final Set<String> methodSet;
    private final String methods;
    private final Set<String> headerSet;
    private final String headers;
    private final boolean credentials;
    private final String maxAge;

    public CorsFilter(FilterConfig.Cors c) {
        this.origins = Set.copyOf(c.origins());
        this.anyOrigin = origins.contains("*");
        this.methodSet = Set.copyOf(c.methods());
        this.methods = String.join(", ", c.methods());
        this.headerSet = c.headers().stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        this.headers = String.join(", ", c.headers());
        this.credentials = c.credentials();
        this.maxAge = Long.toString(c.maxAge().toSeconds());
    }

    private boolean allowed(String origin) {
        return origin != null && (anyOrigin || origins.contains(origin));
    }

    /** The Access-Control-Allow-Origin value for an allowed origin. */
    private String allowOrigin(String origin) {
        return anyOrigin && !credentials ? "*" : origin;
    }

    @Override
    public Rejection onRequest(RequestView exchange) {
        if (exchange.method() != HttpMethod.OPTIONS) {
            return null;
        }
        return preflight(exchange.header("Origin"), exchange.header("Access-Control-Request-Method"),
                exchange.header("Access-Control-Request-Headers"));
    }

    /**
     * The answer to an OPTIONS request: {@code null} when it is not a CORS preflight (no Origin or no
     * Access-Control-Request-Method: an ordinary OPTIONS for the backend), 204 with the allow headers, or 403 when
     * the origin, the method or a requested header is not allowed.
     */
    Rejection preflight(String origin, String method, String requestHeaders) {
        if (origin == null || method == null) {
            return null;
        }
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
        if (!allowed(origin) || !methodSet.contains(method.trim()) || !headersAllowed(requestHeaders)) {
            return new Rejection(403, "CORS request not allowed\n", h);
        }
        h.set("Access-Control-Allow-Origin", allowOrigin(origin));
        h.set("Access-Control-Allow-Methods", methods);
        if (!headers.isEmpty()) {
            h.set("Access-Control-Allow-Headers", headers);
        }
        if (credentials) {
            h.set("Access-Control-Allow-Credentials", "true");
        }
        h.set("Access-Control-Max-Age", maxAge);
        return new Rejection(204, "", h);
    }

    private boolean headersAllowed(String requested) {
        if (requested == null || requested.isBlank()) {
            return true;
        }
        for (String name : requested.split(",")) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (!n.isEmpty() && !headerSet.contains(n) && !SAFELISTED.contains(n)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onResponse(RequestView exchange, MultiMap out) {
        decorate(exchange.header("Origin"), out);
    }

    /** Sets the response's CORS headers for a request from {@code origin} (may be {@code null}). */
    void decorate(String origin, MultiMap out) {
        out.remove("Access-Control-Allow-Origin");
        out.remove("Access-Control-Allow-Credentials");
        if (allowed(origin)) {
            out.set("Access-Control-Allow-Origin", allowOrigin(origin));
            if (credentials) {
                out.set("Access-Control-Allow-Credentials", "true");
            }
        }
        if (!(anyOrigin && !credentials)) {
            // The answer differs by Origin (echoed or absent), even for requests without one.
            addVary(out, "Origin");
        }
    }

    static void addVary(MultiMap out, String name) {
        for (String v : out.getAll("Vary")) {
            for (String part : v.split(",")) {
                String p = part.trim();
                if (p.equals("*") || p.equalsIgnoreCase(name)) {
                    return;
                }
            }
        }
        out.add("Vary", name);
    }
}
