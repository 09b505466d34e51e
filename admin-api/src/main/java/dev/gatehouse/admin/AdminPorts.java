package dev.gatehouse.admin;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Everything the admin API needs from the rest of the node.
 *
 * @param cache absent when the node runs without a response cache ({@code POST /cache/purge} then answers 501)
 */
public record AdminPorts(ConfigPort config, HealthPort health, ClusterPort cluster, Optional<CachePort> cache,
                         MetricsPort metrics, ReadinessPort readiness) {

    public AdminPorts {
        requireNonNull(config, "config");
        requireNonNull(health, "health");
        requireNonNull(cluster, "cluster");
        cache = cache == null ? Optional.empty() : cache;
        requireNonNull(metrics, "metrics");
        requireNonNull(readiness, "readiness");
    }
}
