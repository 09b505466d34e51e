package dev.gatehouse.config;

/**
 * Bounds retries so they cannot amplify an outage (Envoy's retry budget): retries in flight may be at most
 * {@code percent} of the pool's active requests, but {@code min-concurrency} are always allowed.
 */
public record RetryBudgetConfig(Integer percent, Integer minConcurrency) {

    public static final RetryBudgetConfig DEFAULT = new RetryBudgetConfig(null, null);

    public RetryBudgetConfig {
        percent = percent == null ? 20 : percent;
        minConcurrency = minConcurrency == null ? 3 : minConcurrency;
    }
}
