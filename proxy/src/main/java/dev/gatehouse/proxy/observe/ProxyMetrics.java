package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The one owner of Gatehouse's meter names (DESIGN.md, "Metrics — the contract"). Names are Micrometer dot-case with
 * the prefix {@code gatehouse.}; the Prometheus registry renders them as {@code gatehouse_*}:
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>Prometheus name</th><th>type</th><th>labels</th></tr>
 *   <tr><td>gatehouse_requests_total</td><td>counter</td><td>route, pool, status_class</td></tr>
 *   <tr><td>gatehouse_request_duration_seconds</td><td>histogram</td><td>route, pool, status_class</td></tr>
 *   <tr><td>gatehouse_request_quantiles_seconds</td><td>summary, only with percentiles configured</td>
 *       <td>route, pool, status_class, quantile</td></tr>
 *   <tr><td>gatehouse_request_body_bytes_total, gatehouse_response_body_bytes_total</td><td>counter</td>
 *       <td>route, pool</td></tr>
 *   <tr><td>gatehouse_rate_limited_total, gatehouse_auth_rejected_total</td><td>counter</td><td>route</td></tr>
 *   <tr><td>gatehouse_upstream_attempts_total, gatehouse_upstream_retries_total</td><td>counter</td>
 *       <td>pool, backend</td></tr>
 *   <tr><td>gatehouse_backend_healthy</td><td>gauge</td><td>pool, backend</td></tr>
 *   <tr><td>gatehouse_backend_state</td><td>gauge (1 for the current state)</td><td>pool, backend, state</td></tr>
 *   <tr><td>gatehouse_backend_active_requests</td><td>gauge</td><td>pool, backend</td></tr>
 *   <tr><td>gatehouse_pool_backends</td><td>gauge</td><td>pool, state</td></tr>
 *   <tr><td>gatehouse_connections_accepted_total</td><td>counter</td><td>listener</td></tr>
 *   <tr><td>gatehouse_connections_active</td><td>gauge</td><td>listener</td></tr>
 *   <tr><td>gatehouse_connections_refused_total</td><td>counter (beyond max-connections)</td><td>listener</td></tr>
 *   <tr><td>gatehouse_connections_send_timeouts_total</td><td>counter (closed by send-timeout)</td>
 *       <td>listener</td></tr>
 *   <tr><td>gatehouse_listener_requests_total</td><td>counter</td><td>listener</td></tr>
 *   <tr><td>gatehouse_listener_requests_active</td><td>gauge</td><td>listener</td></tr>
 *   <tr><td>gatehouse_tls_handshakes_total, gatehouse_tls_handshake_failures_total</td><td>counter</td>
 *       <td>listener (and protocol on success)</td></tr>
 *   <tr><td>gatehouse_access_log_written_total, gatehouse_access_log_dropped_total</td><td>counter</td><td></td></tr>
 *   <tr><td>gatehouse_cache_lookups_total</td><td>counter (requests of a caching route, by X-Cache word: hit, miss,
 *       stale, updating, revalidated, expired, bypass)</td><td>route, result</td></tr>
 *   <tr><td>gatehouse_cache_stores_total</td><td>counter</td><td>route, result (stored, refused)</td></tr>
 *   <tr><td>gatehouse_cache_stored_bytes_total</td><td>counter (body bytes stored)</td><td>route</td></tr>
 *   <tr><td>gatehouse_cache_collapsed_total</td><td>counter (misses that waited for another request's fill)</td>
 *       <td>route</td></tr>
 *   <tr><td>gatehouse_cache_invalidations_total</td><td>counter (keys invalidated by unsafe requests)</td>
 *       <td>route</td></tr>
 *   <tr><td>gatehouse_cache_purge_seconds</td><td>histogram (admin purges, until every member acknowledged)</td>
 *       <td>kind (key, prefix, tag)</td></tr>
 *   <tr><td>gatehouse_cache_entries, gatehouse_cache_bytes</td><td>gauge (this node's primary copies)</td>
 *       <td></td></tr>
 *   <tr><td>gatehouse_cache_evictions_total</td><td>counter (this node's evictions)</td><td></td></tr>
 *   <tr><td>gatehouse_config_version</td><td>gauge</td><td></td></tr>
 *   <tr><td>gatehouse_cluster_members</td><td>gauge</td><td></td></tr>
 * </table>
 *
 * <p>Labels are bounded: route, pool, backend and listener names come from the configuration, status classes are
 * {@code 1xx}..{@code 5xx} (and {@code none} when nothing was sent); never a raw path or a client address. A request
 * that matched no route counts under {@code route="none"}.
 *
 * <p>Hot path: meters are created once per (route, status class), (pool, backend) and listener, cached in
 * concurrent maps keyed by the names the request already holds, so recording a request is a few map lookups,
 * counter increments and one histogram record: no string building, no allocation. Thread-safe; called on every
 * event loop.
 */
public final class ProxyMetrics implements ExchangeObserver {

    /** Label value for a request that matched no route (and so no pool). */
    public static final String NONE = "none";
    /** Status classes by index: 0 = nothing sent (or out of range), 1..5 = 1xx..5xx. */
    static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    /** {@code result} of {@code gatehouse_cache_lookups_total}: the X-Cache words of {@link ExchangeRecord#cache()}. */
    static final String[] CACHE_RESULTS = {"hit", "miss", "stale", "updating", "revalidated", "expired", "bypass"};
    /** {@code kind} of {@code gatehouse_cache_purge_seconds}. */
    static final List<String> PURGE_KINDS = List.of("key", "prefix", "tag");
    /** Purge latency buckets: a purge waits for every member, so from a millisecond to a timeout. */
    private static final Duration[] PURGE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10)};

    /**
     * How latency is recorded.
     *
     * @param latencyBuckets histogram bucket bounds (Prometheus {@code le}); sorted, distinct, positive
     * @param percentiles    client-side percentiles (e.g. 0.5, 0.99), published as the summary
     *                       {@code gatehouse_request_quantiles_seconds}; empty for none. They cost a second record
     *                       per request and cannot be aggregated across nodes; prefer {@code histogram_quantile}
     *                       over the buckets.
     */
    public record Settings(List<Duration> latencyBuckets, List<Double> percentiles) {

        /** 5 ms to 10 s: the range where a proxy's SLOs live. */
        public static final List<Duration> DEFAULT_BUCKETS = List.of(
                Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
                Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10));
        public static final Settings DEFAULT = new Settings(DEFAULT_BUCKETS, List.of());

        public Settings {
            latencyBuckets = latencyBuckets == null || latencyBuckets.isEmpty() ? DEFAULT_BUCKETS
                    : List.copyOf(latencyBuckets);
            percentiles = percentiles == null ? List.of() : List.copyOf(percentiles);
        }
    }

    /**
     * Cumulative counters of one route on this node, for the status page ({@code GET /api/v1/stats}).
     *
     * @param byStatusClass requests by status class label ({@code 2xx}, {@code 5xx}, …); classes never seen are absent
     */
    public record RouteCounts(String route, String pool, long requests, java.util.Map<String, Long> byStatusClass,
                              double latencySecondsSum) {
    }

    /**
     * Cumulative figures of one route for the status page's history ({@link StatsHistory}), which subtracts two
     * samples to get an interval's figures.
     *
     * @param errors      requests answered with a 5xx status
     * @param cacheLookups requests of a caching route the cache decided on (every X-Cache word but BYPASS)
     * @param cacheHits   of those, the ones answered with a body from the cache (HIT, STALE, UPDATING, REVALIDATED)
     * @param latency     the route's latency histogram, to {@link LatencyHistogram#snapshot} (live, not a copy)
     */
    public record RouteSample(String route, String pool, long requests, long errors, double latencySecondsSum,
                              long cacheLookups, long cacheHits, LatencyHistogram latency) {
    }

    /** Cumulative counters of one listener on this node. */
    public record ListenerCounts(String listener, long acceptedConnections, int activeConnections, long requests,
                                 int activeRequests) {
    }

    private final MeterRegistry registry;
    private final Settings settings;
    private final Duration[] buckets;
    private final double[] percentiles;
    private final ConcurrentHashMap<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ListenerMeters> listeners = new ConcurrentHashMap<>();
    /** Cache meters by route, created with the route's first cache event (routes without caching have none). */
    private final ConcurrentHashMap<String, CacheMeters> caches = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> purges = new ConcurrentHashMap<>();
    private volatile CacheFigures cacheFigures;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, UpstreamMeters>> upstreams =
            new ConcurrentHashMap<>();
    private final MultiGauge backendHealthy;
    private final MultiGauge backendState;
    private final MultiGauge backendActive;
    private final MultiGauge poolBackends;
    private final MultiGauge poolPanic;
    private final ProxyRuntime runtime;

    /**
     * Registers the node-wide meters in {@code registry} and follows {@code runtime}: the config version gauge and
     * one health gauge per configured backend, re-registered after every config change.
     */
    public ProxyMetrics(MeterRegistry registry, ProxyRuntime runtime, Settings settings) {
        this.registry = requireNonNull(registry, "registry");
        this.runtime = requireNonNull(runtime, "runtime");
        this.settings = settings == null ? Settings.DEFAULT : settings;
        this.buckets = this.settings.latencyBuckets().stream().sorted().distinct().toArray(Duration[]::new);
        this.percentiles = this.settings.percentiles().stream().mapToDouble(Double::doubleValue).toArray();
        Gauge.builder("gatehouse.config.version", runtime, r -> r.version())
                .description("Version of the shared configuration this node serves")
                .register(registry);
        backendHealthy = MultiGauge.builder("gatehouse.backend.healthy")
                .description("1 when the backend takes new requests (not unhealthy, ejected or draining), else 0")
                .register(registry);
        backendState = MultiGauge.builder("gatehouse.backend.state")
                .description("1 for the backend's current state: healthy, unknown, unhealthy, ejected or draining")
                .register(registry);
        backendActive = MultiGauge.builder("gatehouse.backend.active.requests")
                .description("Requests in flight from this node to the backend")
                .register(registry);
        poolBackends = MultiGauge.builder("gatehouse.pool.backends")
                .description("Backends of the pool by state")
                .register(registry);
        poolPanic = MultiGauge.builder("gatehouse.pool.panic")
                .description("1 while the pool balances across all backends because too few are available")
                .register(registry);
        runtime.onApplied(version -> configApplied());
        configApplied();
    }

    /** The settings in effect. */
    public Settings settings() {
        return settings;
    }

    // ---- ExchangeObserver: the request path -----------------------------------------------------------------

    @Override
    public void requestStarted(ListenerSettings listener) {
        ListenerMeters l = listener(listener.name());
        l.requests.increment();
        l.activeRequests.increment();
    }

    @Override
    public void upstreamAttempt(String route, Backend backend, boolean retry) {
        UpstreamMeters u = upstream(backend.pool(), backend.id());
        u.attempts.increment();
        if (retry) {
            u.retries.increment();
        }
    }

    @Override
    public void completed(ExchangeRecord record) {
        if (record.listener() != null) {
            ListenerMeters l = listeners.get(record.listener());
            if (l != null) {
                l.activeRequests.decrement();
            }
        }
        RouteMeters r = route(record.route(), record.pool());
        int status = record.status();
        StatusMeters s = r.status(statusClass(status));
        s.requests.increment();
        s.latency.record(record.durationNanos(), TimeUnit.NANOSECONDS);
        r.window.record(record.durationNanos());
        if (s.quantiles != null) {
            s.quantiles.record(record.durationNanos(), TimeUnit.NANOSECONDS);
        }
        if (record.bytesIn() > 0) {
            r.bytesIn.increment(record.bytesIn());
        }
        if (record.bytesOut() > 0) {
            r.bytesOut.increment(record.bytesOut());
        }
        if (record.cache() != null) {
            int result = cacheResult(record.cache());
            if (result >= 0) {
                cache(record.route()).lookup(result).increment();
            }
        }
        if (record.attempts() == 0) {
            // Answered by the proxy itself: a filter's rejection.
            if (status == 429) {
                r.rateLimited().increment();
            } else if (status == 401 || status == 403) {
                r.authRejected().increment();
            }
        }
    }

    static int statusClass(int status) {
        return status >= 100 && status < 600 ? status / 100 : 0;
    }

    /** The index in {@link #CACHE_RESULTS} of an X-Cache word ({@code HIT}, any case); -1 for a word not known. */
    static int cacheResult(String word) {
        for (int i = 0; i < CACHE_RESULTS.length; i++) {
            if (CACHE_RESULTS[i].equalsIgnoreCase(word)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void cacheStore(String route, boolean stored, long bytes) {
        CacheMeters c = cache(route);
        if (stored) {
            c.stored.increment();
            if (bytes > 0) {
                c.storedBytes.increment(bytes);
            }
        } else {
            c.refused.increment();
        }
    }

    @Override
    public void cacheCollapsed(String route) {
        cache(route).collapsed.increment();
    }

    @Override
    public void cacheInvalidated(String route, int keys) {
        if (keys > 0) {
            cache(route).invalidations.increment(keys);
        }
    }

    // ---- the response cache's control plane (called by the app) -----------------------------------------------

    /**
     * An admin purge of {@code kind} ({@code key}, {@code prefix} or {@code tag}) completed, every member having
     * acknowledged, after {@code nanos}.
     */
    public void cachePurged(String kind, long nanos) {
        if (!PURGE_KINDS.contains(kind)) {
            throw new IllegalArgumentException("purge kind " + kind + " (expected one of " + PURGE_KINDS + ")");
        }
        Timer t = purges.get(kind);
        if (t == null) {
            t = purges.computeIfAbsent(kind, k -> Timer.builder("gatehouse.cache.purge")
                    .description("Admin cache purges, from the request until every member acknowledged")
                    .tags("kind", k)
                    .serviceLevelObjectives(PURGE_BUCKETS)
                    .register(registry));
        }
        t.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Registers {@code gatehouse.cache.entries}, {@code gatehouse.cache.bytes} and {@code gatehouse.cache.evictions}
     * read from {@code figures}; binding again replaces the source (the series stay).
     */
    public synchronized void bindCacheFigures(CacheFigures figures) {
        requireNonNull(figures, "figures");
        boolean first = cacheFigures == null;
        cacheFigures = figures;
        if (first) {
            Gauge.builder("gatehouse.cache.entries", this, m -> m.cacheFigures.entries())
                    .description("Response cache entries this node holds (primary copies)").register(registry);
            Gauge.builder("gatehouse.cache.bytes", this, m -> m.cacheFigures.bytes())
                    .description("Bytes of the response cache entries this node holds (primary copies)")
                    .register(registry);
            FunctionCounter.builder("gatehouse.cache.evictions", this, m -> m.cacheFigures.evictions())
                    .description("Response cache entries this node evicted to stay within max-size")
                    .register(registry);
        }
    }

    // ---- connections and TLS (called by the listeners) -------------------------------------------------------

    /** A connection was accepted on {@code listener}. Pair with {@link #connectionClosed}. */
    public void connectionOpened(String listener) {
        ListenerMeters l = listener(listener);
        l.accepted.increment();
        l.activeConnections.incrementAndGet();
    }

    /** A connection counted by {@link #connectionOpened} closed. */
    public void connectionClosed(String listener) {
        listener(listener).activeConnections.decrementAndGet();
    }

    /** A connection on {@code listener} was refused: the listener had {@code max-connections} open. */
    public void connectionRefused(String listener) {
        listener(listener).refused.increment();
    }

    /** A connection on {@code listener} was closed because it stayed unwritable for {@code send-timeout}. */
    public void sendTimedOut(String listener) {
        listener(listener).sendTimeouts.increment();
    }

    /**
     * A TLS handshake on {@code listener} succeeded.
     *
     * @param protocol the negotiated protocol ({@code TLSv1.3}); anything else than TLSv1.x counts as {@code other}
     */
    public void tlsHandshake(String listener, String protocol) {
        ListenerMeters l = listener(listener);
        l.tlsHandshake(protocol).increment();
    }

    /** A TLS handshake on {@code listener} failed (bad certificate, no shared cipher, timeout, plain HTTP, …). */
    public void tlsHandshakeFailed(String listener) {
        listener(listener).tlsFailures.increment();
    }

    // ---- node-level gauges fed by the app --------------------------------------------------------------------

    /** Registers {@code gatehouse.cluster.members}: the members the node currently sees. */
    public void bindClusterMembers(Supplier<Number> members) {
        requireNonNull(members, "members");
        Gauge.builder("gatehouse.cluster.members", members).strongReference(true)
                .description("Members of the Hazelcast cluster this node sees (1 when standalone)")
                .register(registry);
    }

    /** Registers the access log's written and dropped counters (the caller keeps {@code log} referenced). */
    public void bindAccessLog(AccessLog log) {
        requireNonNull(log, "log");
        FunctionCounter.builder("gatehouse.access.log.written", log, AccessLog::written)
                .description("Access log lines written").register(registry);
        FunctionCounter.builder("gatehouse.access.log.dropped", log, AccessLog::dropped)
                .description("Access log lines dropped because the queue was full").register(registry);
    }

    // ---- reading, for the status page ------------------------------------------------------------------------

    /** Per-route counters on this node, in no particular order. */
    public List<RouteCounts> routeCounts() {
        List<RouteCounts> out = new ArrayList<>();
        for (RouteMeters r : routes.values()) {
            java.util.Map<String, Long> byClass = new java.util.TreeMap<>();
            long total = 0;
            double latency = 0;
            for (int i = 0; i < STATUS_CLASSES.length; i++) {
                StatusMeters s = r.statuses.get(i);
                if (s != null) {
                    long n = (long) s.requests.count();
                    byClass.put(STATUS_CLASSES[i], n);
                    total += n;
                    latency += s.latency.totalTime(TimeUnit.SECONDS);
                }
            }
            out.add(new RouteCounts(r.route, r.pool, total, byClass, latency));
        }
        return out;
    }

    /** Per-route figures for the status page's history, in no particular order; cheap (no histogram copy). */
    public List<RouteSample> routeSamples() {
        List<RouteSample> out = new ArrayList<>();
        for (RouteMeters r : routes.values()) {
            long total = 0;
            double latency = 0;
            for (int i = 0; i < STATUS_CLASSES.length; i++) {
                StatusMeters s = r.statuses.get(i);
                if (s != null) {
                    total += (long) s.requests.count();
                    latency += s.latency.totalTime(TimeUnit.SECONDS);
                }
            }
            StatusMeters errors = r.statuses.get(5);
            long lookups = 0;
            long hits = 0;
            CacheMeters c = caches.get(r.route);
            if (c != null) {
                for (int i = 0; i < CACHE_RESULTS.length; i++) {
                    long n = (long) c.lookup(i).count();
                    switch (CACHE_RESULTS[i]) {
                        case "bypass" -> { }
                        case "hit", "stale", "updating", "revalidated" -> {
                            lookups += n;
                            hits += n;
                        }
                        default -> lookups += n;
                    }
                }
            }
            out.add(new RouteSample(r.route, r.pool, total, errors == null ? 0 : (long) errors.requests.count(),
                    latency, lookups, hits, r.window));
        }
        return out;
    }

    /** Per-listener counters on this node. */
    public List<ListenerCounts> listenerCounts() {
        List<ListenerCounts> out = new ArrayList<>();
        for (ListenerMeters l : listeners.values()) {
            out.add(new ListenerCounts(l.name, (long) l.accepted.count(), l.activeConnections.get(),
                    (long) l.requests.count(), l.activeRequests.intValue()));
        }
        return out;
    }

    // ---- meter caches ----------------------------------------------------------------------------------------

    private RouteMeters route(String route, String pool) {
        String name = route == null ? NONE : route;
        RouteMeters r = routes.get(name);
        if (r != null && (pool == null || pool == r.pool || pool.equals(r.pool))) {
            return r;
        }
        // First request of the route, or the route now sends to another pool: new series for the new pool.
        String p = pool == null ? (r != null ? r.pool : NONE) : pool;
        return routes.compute(name, (k, old) -> old != null && old.pool.equals(p) ? old : new RouteMeters(k, p));
    }

    private CacheMeters cache(String route) {
        String name = route == null ? NONE : route;
        CacheMeters c = caches.get(name);
        return c != null ? c : caches.computeIfAbsent(name, CacheMeters::new);
    }

    private ListenerMeters listener(String name) {
        ListenerMeters l = listeners.get(name);
        return l != null ? l : listeners.computeIfAbsent(name, ListenerMeters::new);
    }

    private UpstreamMeters upstream(String pool, String backend) {
        ConcurrentHashMap<String, UpstreamMeters> byBackend = upstreams.get(pool);
        if (byBackend == null) {
            byBackend = upstreams.computeIfAbsent(pool, k -> new ConcurrentHashMap<>());
        }
        UpstreamMeters u = byBackend.get(backend);
        return u != null ? u : byBackend.computeIfAbsent(backend, b -> new UpstreamMeters(pool, b));
    }

    /**
     * After a config swap: health gauges for exactly the configured backends, and the meters of routes, pools and
     * backends no longer configured removed (so deleted names do not linger as series).
     */
    private synchronized void configApplied() {
        Collection<BackendState> states = runtime.backendStates();
        List<MultiGauge.Row<?>> healthy = new ArrayList<>();
        List<MultiGauge.Row<?>> state = new ArrayList<>();
        List<MultiGauge.Row<?>> active = new ArrayList<>();
        Set<String> pools = new HashSet<>();
        for (BackendState s : states) {
            Tags tags = Tags.of("pool", s.pool(), "backend", s.backend());
            healthy.add(MultiGauge.Row.of(tags, s, b -> b.available(System.currentTimeMillis()) ? 1 : 0));
            for (String st : List.of("healthy", "unknown", "unhealthy", "ejected", "draining")) {
                state.add(MultiGauge.Row.of(tags.and("state", st), s,
                        b -> b.describe(System.currentTimeMillis()).equals(st) ? 1 : 0));
            }
            String pool = s.pool();
            String backend = s.backend();
            active.add(MultiGauge.Row.of(tags, runtime, rt -> rt.activeRequests(pool, backend)));
            pools.add(pool);
        }
        List<MultiGauge.Row<?>> byPool = new ArrayList<>();
        List<MultiGauge.Row<?>> panic = new ArrayList<>();
        for (String pool : pools) {
            panic.add(MultiGauge.Row.of(Tags.of("pool", pool), runtime, rt -> rt.panicking(pool) ? 1 : 0));
            for (String st : List.of("healthy", "unknown", "unhealthy", "ejected", "draining")) {
                byPool.add(MultiGauge.Row.of(Tags.of("pool", pool, "state", st), runtime,
                        rt -> countInState(rt, pool, st)));
            }
        }
        backendHealthy.register(healthy, true);
        backendState.register(state, true);
        backendActive.register(active, true);
        poolBackends.register(byPool, true);
        poolPanic.register(panic, true);
        forgetUnconfigured();
    }

    private static double countInState(ProxyRuntime rt, String pool, String state) {
        long now = System.currentTimeMillis();
        int n = 0;
        for (BackendState s : rt.backendStates()) {
            if (s.pool().equals(pool) && s.describe(now).equals(state)) {
                n++;
            }
        }
        return n;
    }

    private void forgetUnconfigured() {
        Set<String> routeNames = new HashSet<>();
        for (RouteConfig rc : runtime.config().routes()) {
            routeNames.add(rc.name());
        }
        routes.entrySet().removeIf(e -> {
            if (e.getKey().equals(NONE) || routeNames.contains(e.getKey())) {
                return false;
            }
            e.getValue().remove();
            return true;
        });
        caches.entrySet().removeIf(e -> {
            if (e.getKey().equals(NONE) || routeNames.contains(e.getKey())) {
                return false;
            }
            e.getValue().remove();
            return true;
        });
        Set<String> backends = new HashSet<>();
        for (BackendState s : runtime.backendStates()) {
            backends.add(s.pool() + "/" + s.backend());
        }
        upstreams.forEach((pool, byBackend) -> byBackend.entrySet().removeIf(e -> {
            if (backends.contains(pool + "/" + e.getKey())) {
                return false;
            }
            e.getValue().remove();
            return true;
        }));
    }

    /** Meters of one status class of one route. */
    private static final class StatusMeters {
        final Counter requests;
        final Timer latency;
        /** Client-side percentiles, {@code null} unless configured. */
        final Timer quantiles;

        StatusMeters(Counter requests, Timer latency, Timer quantiles) {
            this.requests = requests;
            this.latency = latency;
            this.quantiles = quantiles;
        }
    }

    private final class RouteMeters {
        final String route;
        final String pool;
        final Tags tags;
        final AtomicReferenceArray<StatusMeters> statuses = new AtomicReferenceArray<>(STATUS_CLASSES.length);
        final Counter bytesIn;
        final Counter bytesOut;
        /** Every status class together, fine-grained, for the history's windowed percentiles. */
        final LatencyHistogram window = new LatencyHistogram();
        private final List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile Counter rateLimited;
        private volatile Counter authRejected;

        RouteMeters(String route, String pool) {
            this.route = route;
            this.pool = pool;
            this.tags = Tags.of("route", route, "pool", pool);
            this.bytesIn = keep(Counter.builder("gatehouse.request.body").baseUnit("bytes")
                    .description("Request body bytes received from clients").tags(tags).register(registry));
            this.bytesOut = keep(Counter.builder("gatehouse.response.body").baseUnit("bytes")
                    .description("Response body bytes sent to clients").tags(tags).register(registry));
        }

        private <M extends Meter> M keep(M meter) {
            meters.add(meter);
            return meter;
        }

        StatusMeters status(int cls) {
            StatusMeters s = statuses.get(cls);
            return s != null ? s : create(cls);
        }

        private synchronized StatusMeters create(int cls) {
            StatusMeters s = statuses.get(cls);
            if (s == null) {
                Tags t = tags.and("status_class", STATUS_CLASSES[cls]);
                Counter c = keep(Counter.builder("gatehouse.requests").description("Requests answered")
                        .tags(t).register(registry));
                Timer latency = keep(Timer.builder("gatehouse.request.duration")
                        .description("Time from the request head to the end of the response")
                        .tags(t)
                        .serviceLevelObjectives(buckets)
                        .register(registry));
                // The Prometheus registry renders a timer either as a histogram or as a summary with quantiles,
                // not both; configured percentiles therefore get a summary of their own.
                Timer quantiles = percentiles.length == 0 ? null : keep(Timer.builder("gatehouse.request.quantiles")
                        .description("Client-side percentiles of the request duration (last two minutes)")
                        .tags(t)
                        .publishPercentiles(percentiles)
                        .percentilePrecision(2)
                        .register(registry));
                s = new StatusMeters(c, latency, quantiles);
                statuses.set(cls, s);
            }
            return s;
        }

        Counter rateLimited() {
            Counter c = rateLimited;
            if (c == null) {
                synchronized (this) {
                    if (rateLimited == null) {
                        rateLimited = keep(Counter.builder("gatehouse.rate.limited")
                                .description("Requests refused by a rate limit (429)")
                                .tags("route", route).register(registry));
                    }
                    c = rateLimited;
                }
            }
            return c;
        }

        Counter authRejected() {
            Counter c = authRejected;
            if (c == null) {
                synchronized (this) {
                    if (authRejected == null) {
                        authRejected = keep(Counter.builder("gatehouse.auth.rejected")
                                .description("Requests refused by an authentication or access filter (401/403)")
                                .tags("route", route).register(registry));
                    }
                    c = authRejected;
                }
            }
            return c;
        }

        void remove() {
            meters.forEach(registry::remove);
        }
    }

    /** The response cache's meters of one route. */
    private final class CacheMeters {
        private final Counter[] lookups = new Counter[CACHE_RESULTS.length];
        final Counter stored;
        final Counter refused;
        final Counter storedBytes;
        final Counter collapsed;
        final Counter invalidations;

        CacheMeters(String route) {
            // Every result from the start: a rate over a series that appears late misses its first increments.
            for (int i = 0; i < CACHE_RESULTS.length; i++) {
                lookups[i] = Counter.builder("gatehouse.cache.lookups")
                        .description("Requests of a caching route by what the cache did (the X-Cache word)")
                        .tags("route", route, "result", CACHE_RESULTS[i]).register(registry);
            }
            stored = Counter.builder("gatehouse.cache.stores").description("Responses offered to the cache")
                    .tags("route", route, "result", "stored").register(registry);
            refused = Counter.builder("gatehouse.cache.stores").description("Responses offered to the cache")
                    .tags("route", route, "result", "refused").register(registry);
            storedBytes = Counter.builder("gatehouse.cache.stored").baseUnit("bytes")
                    .description("Response body bytes stored in the cache").tags("route", route).register(registry);
            collapsed = Counter.builder("gatehouse.cache.collapsed")
                    .description("Misses that waited for another request's fill instead of going to the origin")
                    .tags("route", route).register(registry);
            invalidations = Counter.builder("gatehouse.cache.invalidations")
                    .description("Cache keys invalidated by successful unsafe requests (RFC 9111 section 4.4)")
                    .tags("route", route).register(registry);
        }

        Counter lookup(int result) {
            return lookups[result];
        }

        void remove() {
            for (Counter c : lookups) {
                registry.remove(c);
            }
            registry.remove(stored);
            registry.remove(refused);
            registry.remove(storedBytes);
            registry.remove(collapsed);
            registry.remove(invalidations);
        }
    }

    private final class ListenerMeters {
        final String name;
        final Counter accepted;
        final AtomicInteger activeConnections = new AtomicInteger();
        final Counter requests;
        /** Striped: every request moves it twice, from every event loop (one shared counter would bounce between cores). */
        final java.util.concurrent.atomic.LongAdder activeRequests = new java.util.concurrent.atomic.LongAdder();
        final Counter tlsFailures;
        final Counter refused;
        final Counter sendTimeouts;
        private final ConcurrentHashMap<String, Counter> tlsHandshakes = new ConcurrentHashMap<>();

        ListenerMeters(String name) {
            this.name = name;
            Tags tags = Tags.of("listener", name);
            accepted = Counter.builder("gatehouse.connections.accepted").description("Connections accepted")
                    .tags(tags).register(registry);
            Gauge.builder("gatehouse.connections.active", activeConnections, AtomicInteger::get)
                    .description("Connections open").tags(tags).register(registry);
            requests = Counter.builder("gatehouse.listener.requests").description("Requests received (before routing)")
                    .tags(tags).register(registry);
            Gauge.builder("gatehouse.listener.requests.active", activeRequests, java.util.concurrent.atomic.LongAdder::sum)
                    .description("Requests in progress").tags(tags).register(registry);
            tlsFailures = Counter.builder("gatehouse.tls.handshake.failures").description("Failed TLS handshakes")
                    .tags(tags).register(registry);
            refused = Counter.builder("gatehouse.connections.refused")
                    .description("Connections closed at once because max-connections were open").tags(tags)
                    .register(registry);
            sendTimeouts = Counter.builder("gatehouse.connections.send.timeouts")
                    .description("Connections closed because they stayed unwritable for send-timeout").tags(tags)
                    .register(registry);
        }

        Counter tlsHandshake(String protocol) {
            String p = protocol != null && protocol.startsWith("TLSv1") && protocol.length() <= 7 ? protocol : "other";
            Counter c = tlsHandshakes.get(p);
            return c != null ? c : tlsHandshakes.computeIfAbsent(p, k -> Counter.builder("gatehouse.tls.handshakes")
                    .description("Completed TLS handshakes").tags("listener", name, "protocol", k)
                    .register(registry));
        }
    }

    private final class UpstreamMeters {
        final Counter attempts;
        final Counter retries;

        UpstreamMeters(String pool, String backend) {
            Tags tags = Tags.of("pool", pool, "backend", backend);
            attempts = Counter.builder("gatehouse.upstream.attempts")
                    .description("Requests sent to the backend, retries included").tags(tags).register(registry);
            retries = Counter.builder("gatehouse.upstream.retries")
                    .description("Attempts that were retries of a failed attempt on another backend")
                    .tags(tags).register(registry);
        }

        void remove() {
            registry.remove(attempts);
            registry.remove(retries);
        }
    }
}
