package dev.gatehouse.config;

import java.time.Duration;
import java.util.List;

/**
 * A set of backends that serve the same content, and how to balance across them.
 *
 * @param hashKey         for {@link Balancer#CONSISTENT_HASH}: {@code header:NAME}, {@code cookie:NAME},
 *                        {@code client-ip} or {@code path}
 * @param maxConnections  pooled connections per backend per node
 * @param idleTimeout     an idle pooled upstream connection is closed after this long
 * @param slowStart       a backend that comes back ramps its share of traffic up over this window (0 = off)
 * @param panicThreshold  percent: when fewer backends than this are available, balance across all of them
 *                        rather than overload the few (Envoy's panic threshold; 0 = never)
 * @param tls             how {@code https://} backends are verified and which client certificate is shown to them;
 *                        absent: the JVM's trusted CAs, each backend's host name, no client certificate
 */
public record PoolConfig(
        String name,
        Balancer balancer,
        String hashKey,
        List<BackendConfig> backends,
        HealthCheckConfig healthCheck,
        OutlierDetectionConfig outlierDetection,
        Duration connectTimeout,
        Integer maxConnections,
        Duration idleTimeout,
        Duration slowStart,
        Integer panicThreshold,
        CircuitBreakerConfig circuitBreaker,
        RetryBudgetConfig retryBudget,
        UpstreamTlsConfig tls) {

    public PoolConfig {
        balancer = balancer == null ? Balancer.ROUND_ROBIN : balancer;
        backends = backends == null ? List.of() : List.copyOf(backends);
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(1) : connectTimeout;
        maxConnections = maxConnections == null ? 512 : maxConnections;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
        slowStart = slowStart == null ? Duration.ofSeconds(10) : slowStart;
        panicThreshold = panicThreshold == null ? 50 : panicThreshold;
        circuitBreaker = circuitBreaker == null ? CircuitBreakerConfig.DEFAULT : circuitBreaker;
        retryBudget = retryBudget == null ? RetryBudgetConfig.DEFAULT : retryBudget;
    }

    /** This pool under another name (the admin API takes the name from the URL). */
    public PoolConfig withName(String newName) {
        return new PoolConfig(newName, balancer, hashKey, backends, healthCheck, outlierDetection, connectTimeout,
                maxConnections, idleTimeout, slowStart, panicThreshold, circuitBreaker, retryBudget, tls);
    }

    public PoolConfig withBackends(List<BackendConfig> backends) {
        return new PoolConfig(name, balancer, hashKey, backends, healthCheck, outlierDetection, connectTimeout,
                maxConnections, idleTimeout, slowStart, panicThreshold, circuitBreaker, retryBudget, tls);
    }

    /** How a backend is picked among the eligible ones. */
    public enum Balancer { ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_REQUEST, CONSISTENT_HASH, RANDOM }
}
