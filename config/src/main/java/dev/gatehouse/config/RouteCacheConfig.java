package dev.gatehouse.config;

import java.time.Duration;

/**
 * A route's {@code cache} section, reserved for the response cache (not built yet). {@link ConfigValidator}
 * accepts only {@link #DISABLED}, which earlier versions wrote into every stored route, and rejects the rest.
 */
public record RouteCacheConfig(Boolean enabled, Duration defaultTtl) {

    public static final RouteCacheConfig DISABLED = new RouteCacheConfig(false, null);

    public RouteCacheConfig {
        enabled = enabled == null ? Boolean.FALSE : enabled;
        defaultTtl = defaultTtl == null ? Duration.ZERO : defaultTtl;
    }
}
