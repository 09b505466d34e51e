package dev.gatehouse.config;

import java.util.List;

/**
 * The root of a configuration file. Node-local parts ({@code data-dir}, {@code cluster}, {@code listeners},
 * {@code admin}, {@code access-log}, {@code metrics}, {@code shutdown}, {@code tls-engine}) belong to one node; {@link #shared()} is the versioned state the whole cluster agrees on.
 *
 * <p>Absent values are filled with defaults by the compact constructor; required values left absent stay
 * {@code null} and are reported by {@link ConfigValidator}.
 */
public record GatehouseConfig(
        String dataDir,
        ClusterConfig cluster,
        List<ListenerConfig> listeners,
        List<PoolConfig> pools,
        List<RouteConfig> routes,
        CacheConfig cache,
        AdminConfig admin,
        AccessLogConfig accessLog,
        MetricsConfig metrics,
        ShutdownConfig shutdown,
        TlsEngine tlsEngine) {

    public GatehouseConfig {
        dataDir = dataDir == null ? "./data" : dataDir;
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        pools = pools == null ? List.of() : List.copyOf(pools);
        routes = routes == null ? List.of() : List.copyOf(routes);
        accessLog = accessLog == null ? AccessLogConfig.OFF : accessLog;
        metrics = metrics == null ? MetricsConfig.DEFAULT : metrics;
        shutdown = shutdown == null ? ShutdownConfig.DEFAULT : shutdown;
        tlsEngine = tlsEngine == null ? TlsEngine.AUTO : tlsEngine;
    }

    /** The cluster-wide part of this file: pools, routes and the {@code cache} section. */
    public SharedConfig shared() {
        return new SharedConfig(pools, routes, cache);
    }

    /** This node's file with its shared part replaced, as applied when the cluster holds a newer version. */
    public GatehouseConfig withShared(SharedConfig shared) {
        return new GatehouseConfig(dataDir, cluster, listeners, shared.pools(), shared.routes(), shared.cache(), admin,
                accessLog, metrics, shutdown, tlsEngine);
    }
}
