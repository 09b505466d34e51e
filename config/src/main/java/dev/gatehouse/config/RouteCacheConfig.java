package dev.gatehouse.config;

import java.time.Duration;

/** Whether responses of a route go to the cluster cache, and the TTL when the origin gives none. */
public record RouteCacheConfig(Boolean enabled, Duration defaultTtl) {

    public static final RouteCacheConfig DISABLED = new RouteCacheConfig(false, null);

    public RouteCacheConfig {
        enabled = enabled == null ? Boolean.FALSE : enabled;
        defaultTtl = defaultTtl == null ? Duration.ZERO : defaultTtl;
    }
}
