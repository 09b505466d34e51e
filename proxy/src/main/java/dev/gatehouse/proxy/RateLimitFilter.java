package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per key (client address or a header). Buckets refill continuously at {@code rate} up to
 * {@code burst}; an empty bucket answers 429 with Retry-After.
 *
 * <p>{@code scope: node} limits each node on its own. {@code scope: cluster} divides the rate and burst among the
 * live nodes, so the cluster as a whole admits about {@code rate}: exact when the load balancer in front spreads a
 * key's traffic evenly, conservative when it does not. No cross-node round trip sits on the request path.
 */
final class RateLimitFilter implements ProxyFilter {

    private static final int MAX_KEYS = 100_000;

    private final String headerKey;
    private final String claimKey;
    private final double perNanoTotal;
    private final double burstTotal;
    private final java.util.function.IntSupplier nodes;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimitFilter(FilterConfig.RateLimit config, java.util.function.IntSupplier clusterNodes) {
        this.headerKey = config.key().startsWith("header:") ? config.key().substring(7) : null;
        this.claimKey = config.key().startsWith("jwt:") ? config.key().substring(4) : null;
        this.perNanoTotal = config.rate().perSecond() / 1e9;
        this.burstTotal = config.burst() == null ? Math.max(1, config.rate().perSecond()) : config.burst();
        this.nodes = "cluster".equals(config.scope()) ? clusterNodes : () -> 1;
    }

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    @Override
    public Rejection onRequest(Exchange exchange) {
        String key = headerKey != null ? exchange.request.getHeader(headerKey)
                : claimKey != null ? claim(exchange, claimKey) : exchange.clientAddress();
        if (key == null) {
            key = exchange.clientAddress();
        }
        long now = System.nanoTime();
        int share = Math.max(1, nodes.getAsInt());
        double perNano = perNanoTotal / share;
        double burst = Math.max(1, burstTotal / share);
        if (buckets.size() > MAX_KEYS) {
            // Bound memory under key floods: full buckets carry no information, so forgetting them is exact.
            buckets.entrySet().removeIf(e -> e.getValue().tokens >= burst);
        }
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        double wait;
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) * perNano);
            b.last = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return null;
            }
            wait = (1 - b.tokens) / perNano / 1e9;
        }
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("Retry-After", Long.toString((long) Math.ceil(wait)));
        return new ProxyFilter.Rejection(429, "too many requests\n", h);
    }

    private static String claim(Exchange exchange, String name) {
        if (exchange.jwtClaims == null) {
            return null;
        }
        Object v = exchange.jwtClaims.getValue(name);
        return v == null ? null : "jwt:" + v;
    }
}
