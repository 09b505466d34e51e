package dev.gatehouse.app;

import com.hazelcast.core.HazelcastInstance;
import dev.gatehouse.admin.CachePort;
import dev.gatehouse.admin.NodeStats;
import dev.gatehouse.admin.StatsPort;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.observe.AccessLog;
import dev.gatehouse.proxy.observe.CacheFigures;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's observability wiring: the request-path meters ({@link ProxyMetrics}) in the node's Prometheus
 * registry, the access log when {@code access-log} is configured, the cluster members gauge, and the traffic
 * counters the status page reads through {@code GET /api/v1/stats}.
 *
 * <p>Built at startup off the event loop (opening the access log file is I/O); {@link #close()} after the
 * listeners closed, so the requests that were still in flight are logged too.
 */
final class Observability implements StatsPort, AutoCloseable {

    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final boolean recordRequests;

    private Observability(ProxyMetrics metrics, AccessLog accessLog, boolean recordRequests) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.recordRequests = recordRequests;
    }

    /**
     * Registers the meters and opens the access log.
     *
     * @param hz the node's cluster handle, for the members gauge; {@code null} when there is none
     * @throws java.io.UncheckedIOException when the access log file cannot be opened
     */
    static Observability start(Metrics registry, GatehouseConfig config, ProxyRuntime runtime, HazelcastInstance hz) {
        ProxyMetrics metrics = new ProxyMetrics(registry.registry, runtime, new ProxyMetrics.Settings(
                config.metrics().latencyBuckets(), config.metrics().percentiles()));
        if (hz != null) {
            metrics.bindClusterMembers(() -> hz.getLifecycleService().isRunning() ? hz.getCluster().getMembers().size()
                    : 0);
        }
        AccessLog log = null;
        if (config.accessLog().enabled()) {
            log = AccessLog.open(config.accessLog(), runtime);
            metrics.bindAccessLog(log);
        }
        return new Observability(metrics, log, config.metrics().requests());
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    /** The meters the request path records into; {@code null} with {@code metrics.requests: false}. */
    ProxyMetrics requestMetrics() {
        return recordRequests ? metrics : null;
    }

    /**
     * {@code port} with its purges timed into {@code gatehouse_cache_purge_seconds{kind}}: what the node hands the admin
     * API as its cache port.
     */
    CachePort metered(CachePort port) {
        return new MeteredCachePort(port, metrics);
    }

    /**
     * Feeds {@code gatehouse_cache_entries}, {@code gatehouse_cache_bytes} and {@code gatehouse_cache_evictions_total}
     * from the node's cache store (the cluster store: Hazelcast's local map statistics of this member).
     */
    void cacheFigures(CacheFigures figures) {
        metrics.bindCacheFigures(figures);
    }

    /** The access log, {@code null} when it is off. */
    AccessLog accessLog() {
        return accessLog;
    }

    @Override
    public NodeStats stats() {
        List<NodeStats.Route> routes = new ArrayList<>();
        for (ProxyMetrics.RouteCounts r : metrics.routeCounts()) {
            routes.add(new NodeStats.Route(r.route(), r.pool(), r.requests(), r.byStatusClass(),
                    r.latencySecondsSum()));
        }
        List<NodeStats.Listener> listeners = new ArrayList<>();
        for (ProxyMetrics.ListenerCounts l : metrics.listenerCounts()) {
            listeners.add(new NodeStats.Listener(l.listener(), l.acceptedConnections(), l.activeConnections(),
                    l.requests(), l.activeRequests()));
        }
        return new NodeStats(Instant.now(), routes, listeners);
    }

    /** Writes what the access log still holds and closes it. */
    @Override
    public void close() {
        if (accessLog != null) {
            accessLog.close();
        }
    }
}
