package dev.gatehouse.config;

import java.util.List;
import java.util.Optional;

/** The part of the configuration shared by every node of a cluster and edited through the admin API. */
public record SharedConfig(List<PoolConfig> pools, List<RouteConfig> routes, CacheConfig cache) {

    public SharedConfig {
        pools = pools == null ? List.of() : List.copyOf(pools);
        routes = routes == null ? List.of() : List.copyOf(routes);
        cache = cache == null ? CacheConfig.DEFAULT : cache;
    }

    public static SharedConfig empty() {
        return new SharedConfig(List.of(), List.of(), CacheConfig.DEFAULT);
    }

    public Optional<PoolConfig> pool(String name) {
        return pools.stream().filter(p -> name.equals(p.name())).findFirst();
    }

    public Optional<RouteConfig> route(String name) {
        return routes.stream().filter(r -> name.equals(r.name())).findFirst();
    }
}
