package dev.gatehouse.app;

import com.hazelcast.core.HazelcastInstance;
import dev.gatehouse.admin.CachePort;
import dev.gatehouse.admin.NodeHistory;
import dev.gatehouse.admin.NodeStats;
import dev.gatehouse.admin.StatsPort;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.observe.AccessLog;
import dev.gatehouse.proxy.observe.CacheFigures;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.observe.StatsHistory;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.balance.BackendState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The node's observability wiring: the request-path meters ({@link ProxyMetrics}) in the node's Prometheus
 * registry, the access log when {@code access-log} is configured, the cluster members gauge, and the traffic
 * counters the status page reads through {@code GET /api/v1/stats}, and their last minutes
 * ({@code GET /api/v1/stats/history}), sampled every 5 s on a thread of its own (never an event loop) together with
 * each backend's recent passive-health window.
 *
 * <p>Built at startup off the event loop (opening the access log file is I/O); {@link #close()} after the
 * listeners closed, so the requests that were still in flight are logged too.
 */
final class Observability implements StatsPort, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Observability.class);

    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final boolean recordRequests;
    /** {@code null} with {@code metrics.requests: false}: nothing feeds it. */
    private final StatsHistory history;
    private final ScheduledExecutorService sampler;

    private Observability(ProxyMetrics metrics, AccessLog accessLog, boolean recordRequests, ProxyRuntime runtime) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.recordRequests = recordRequests;
        this.history = recordRequests ? new StatsHistory(metrics::routeSamples, StatsHistory.DEFAULT_CAPACITY) : null;
        this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-stats-history");
            t.setDaemon(true);
            return t;
        });
        long every = StatsHistory.DEFAULT_INTERVAL.toMillis();
        sampler.scheduleAtFixedRate(() -> sample(runtime), 0, every, TimeUnit.MILLISECONDS);
    }

    /** One tick: the traffic history and every backend's passive window. Never throws (that would stop the timer). */
    private void sample(ProxyRuntime runtime) {
        try {
            if (history != null) {
                history.sample(System.currentTimeMillis());
            }
            for (BackendState s : runtime.backendStates()) {
                s.passive().roll();
            }
        } catch (RuntimeException e) {
            LOG.warn("stats history sample failed: {}", e.toString());
        }
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
        return new Observability(metrics, log, config.metrics().requests(), runtime);
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

    @Override
    public NodeHistory history() {
        if (history == null) {
            return NodeHistory.empty();
        }
        return toHistory(history.ticks(), (int) StatsHistory.DEFAULT_INTERVAL.toSeconds(), history.capacity());
    }

    /** The ticks in columns: one value per tick, NaN where a route had not been seen yet. */
    static NodeHistory toHistory(List<StatsHistory.Tick> ticks, int intervalSeconds, int capacity) {
        int n = ticks.size();
        long[] times = new long[n];
        Map<String, String> pools = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            times[i] = ticks.get(i).timeMillis();
            ticks.get(i).routes().forEach((route, p) -> pools.put(route, p.pool()));
        }
        NodeHistory.Series node = series(ticks, null);
        List<NodeHistory.RouteSeries> routes = new ArrayList<>();
        pools.forEach((route, pool) -> routes.add(new NodeHistory.RouteSeries(route, pool, series(ticks, route))));
        return new NodeHistory(intervalSeconds, capacity, times, node, routes);
    }

    private static NodeHistory.Series series(List<StatsHistory.Tick> ticks, String route) {
        int n = ticks.size();
        double[] rps = new double[n];
        double[] err = new double[n];
        double[] avg = new double[n];
        double[] p99 = new double[n];
        double[] hit = new double[n];
        for (int i = 0; i < n; i++) {
            StatsHistory.Tick t = ticks.get(i);
            StatsHistory.Point p = route == null ? t.node() : t.routes().get(route);
            rps[i] = p == null ? Double.NaN : p.requestsPerSecond(t.seconds());
            err[i] = p == null ? Double.NaN : p.errorRate();
            avg[i] = p == null ? Double.NaN : p.averageSeconds();
            p99[i] = p == null ? Double.NaN : p.p99Seconds();
            hit[i] = p == null ? Double.NaN : p.cacheHitRatio();
        }
        return new NodeHistory.Series(rps, err, avg, p99, hit);
    }

    /** Writes what the access log still holds and closes it; stops the sampler. */
    @Override
    public void close() {
        sampler.shutdownNow();
        if (accessLog != null) {
            accessLog.close();
        }
    }
}
