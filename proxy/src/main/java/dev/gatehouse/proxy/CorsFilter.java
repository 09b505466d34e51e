package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

import java.util.Set;

/** CORS: answers preflights itself and adds the allow headers to responses for allowed origins. */
final class CorsFilter implements ProxyFilter {

    private final Set<String> origins;
    private final boolean anyOrigin;
    private final String methods;
    private final String headers;
    private final boolean credentials;
    private final String maxAge;

    CorsFilter(FilterConfig.Cors c) {
        this.origins = Set.copyOf(c.origins());
        this.anyOrigin = origins.contains("*");
        this.methods = String.join(", ", c.methods());
        this.headers = String.join(", ", c.headers());
        this.credentials = c.credentials();
        this.maxAge = Long.toString(c.maxAge().toSeconds());
    }

    private boolean allowed(String origin) {
        return origin != null && (anyOrigin || origins.contains(origin));
    }

    @Override
    public Rejection onRequest(Exchange exchange) {
        var req = exchange.request;
        String origin = req.getHeader("Origin");
        if (req.method() != HttpMethod.OPTIONS || req.getHeader("Access-Control-Request-Method") == null) {
            return null;
        }
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        if (!allowed(origin)) {
            return new Rejection(403, "origin not allowed\n", h);
        }
        h.set("Access-Control-Allow-Origin", anyOrigin && !credentials ? "*" : origin);
        h.set("Access-Control-Allow-Methods", methods);
        if (!headers.isEmpty()) {
            h.set("Access-Control-Allow-Headers", headers);
        }
        if (credentials) {
            h.set("Access-Control-Allow-Credentials", "true");
        }
        h.set("Access-Control-Max-Age", maxAge);
        h.set("Vary", "Origin");
        return new Rejection(204, "", h);
    }

    @Override
    public void onResponse(Exchange exchange, MultiMap out) {
        String origin = exchange.request.getHeader("Origin");
        if (allowed(origin)) {
            out.set("Access-Control-Allow-Origin", anyOrigin && !credentials ? "*" : origin);
            if (credentials) {
                out.set("Access-Control-Allow-Credentials", "true");
            }
            out.add("Vary", "Origin");
        }
    }
}
