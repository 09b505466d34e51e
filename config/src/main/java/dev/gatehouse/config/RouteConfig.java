package dev.gatehouse.config;

import java.time.Duration;
import java.util.List;

/**
 * Requests that match {@link #match()} go to {@link #pool()}. Routes are tried in declared order; the first
 * match wins.
 *
 * @param prefixRewrite with {@code path-prefix}: the matched prefix is replaced by this before forwarding
 *                      (Envoy's {@code prefix_rewrite}); {@code /} strips it
 * @param timeout       whole-request deadline, from the request's arrival to the upstream response headers
 * @param maxBodySize   request body limit for this route (overrides the listener's); 0 = unlimited
 * @param compression   gzip/brotli for compressible responses the client accepts
 * @param hedge         request hedging for idempotent bodiless requests; {@code null} = off
 * @param accessLog     whether the node's access log records this route's requests (default true)
 * @param cache         whether and how the cluster response cache serves this route; {@code null} when absent, which
 *                      means {@link RouteCacheConfig#DISABLED}
 */
public record RouteConfig(
        String name,
        MatchConfig match,
        String pool,
        String prefixRewrite,
        Duration timeout,
        RetryConfig retries,
        RouteCacheConfig cache,
        List<FilterConfig> filters,
        DataSize maxBodySize,
        Boolean compression,
        HedgeConfig hedge,
        Boolean accessLog) {

    public RouteConfig {
        match = match == null ? MatchConfig.ANY : match;
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        retries = retries == null ? RetryConfig.DEFAULT : retries;
        filters = filters == null ? List.of() : List.copyOf(filters);
        compression = compression == null ? Boolean.FALSE : compression;
        accessLog = accessLog == null ? Boolean.TRUE : accessLog;
    }

    /** This route under another name (the admin API takes the name from the URL). */
    public RouteConfig withName(String newName) {
        return new RouteConfig(newName, match, pool, prefixRewrite, timeout, retries, cache, filters, maxBodySize,
                compression, hedge, accessLog);
    }
}
