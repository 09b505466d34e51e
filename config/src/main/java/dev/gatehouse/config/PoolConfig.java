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
        Duration idleTimeout) {

    public PoolConfig {
        balancer = balancer == null ? Balancer.ROUND_ROBIN : balancer;
        backends = backends == null ? List.of() : List.copyOf(backends);
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(1) : connectTimeout;
        maxConnections = maxConnections == null ? 512 : maxConnections;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
    }

    public PoolConfig withBackends(List<BackendConfig> backends) {
        return new PoolConfig(name, balancer, hashKey, backends, healthCheck, outlierDetection, connectTimeout,
                maxConnections, idleTimeout);
    }

    /** How a backend is picked among the eligible ones. */
    public enum Balancer { ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_REQUEST, CONSISTENT_HASH, RANDOM }
}
