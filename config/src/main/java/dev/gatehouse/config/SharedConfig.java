package dev.gatehouse.config;

import java.util.List;
import java.util.Optional;

/**
 * The part of the configuration shared by every node of a cluster and edited through the admin API.
 *
 * @param cache the cluster response cache's storage bounds; {@code null} when absent, which means
 *              {@link CacheConfig#DEFAULT}
 */
public record SharedConfig(List<PoolConfig> pools, List<RouteConfig> routes, CacheConfig cache) {

    public SharedConfig {
        pools = pools == null ? List.of() : List.copyOf(pools);
        routes = routes == null ? List.of() : List.copyOf(routes);
    }

    public static SharedConfig empty() {
        return new SharedConfig(List.of(), List.of(), null);
    }

    public Optional<PoolConfig> pool(String name) {
        return pools.stream().filter(p -> name.equals(p.name())).findFirst();
    }

    public Optional<RouteConfig> route(String name) {
        return routes.stream().filter(r -> name.equals(r.name())).findFirst();
    }
}
