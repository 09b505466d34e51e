package dev.gatehouse.config;

/**
 * Per-backend limits on one node; past them the proxy answers 503 at once instead of queueing without bound.
 *
 * @param maxRequests        requests in flight to one backend
 * @param maxPendingRequests requests waiting for a pooled connection to one backend
 */
public record CircuitBreakerConfig(Integer maxRequests, Integer maxPendingRequests) {

    public static final CircuitBreakerConfig DEFAULT = new CircuitBreakerConfig(null, null);

    public CircuitBreakerConfig {
        maxRequests = maxRequests == null ? 1024 : maxRequests;
        maxPendingRequests = maxPendingRequests == null ? 1024 : maxPendingRequests;
    }
}
