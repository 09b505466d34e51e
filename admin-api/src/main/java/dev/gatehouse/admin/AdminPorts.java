package dev.gatehouse.admin;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Everything the admin API needs from the rest of the node.
 *
 * @param cache absent when the node runs without a response cache ({@code GET /cache} and {@code POST /cache/purge}
 *              then answer 501)
 * @param stats traffic counters for {@code GET /api/v1/stats} and the status page; {@link StatsPort#NONE} if absent
 */
public record AdminPorts(ConfigPort config, HealthPort health, ClusterPort cluster, Optional<CachePort> cache,
                         MetricsPort metrics, ReadinessPort readiness, StatsPort stats) {

    /** Ports without traffic counters ({@code GET /api/v1/stats} answers empty lists). */
    public AdminPorts(ConfigPort config, HealthPort health, ClusterPort cluster, Optional<CachePort> cache,
                      MetricsPort metrics, ReadinessPort readiness) {
        this(config, health, cluster, cache, metrics, readiness, StatsPort.NONE);
    }

    public AdminPorts {
        requireNonNull(config, "config");
        requireNonNull(health, "health");
        requireNonNull(cluster, "cluster");
        cache = cache == null ? Optional.empty() : cache;
        requireNonNull(metrics, "metrics");
        requireNonNull(readiness, "readiness");
        stats = stats == null ? StatsPort.NONE : stats;
    }
}
