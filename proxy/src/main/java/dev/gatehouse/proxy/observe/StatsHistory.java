package dev.gatehouse.proxy.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The last minutes of this node's traffic, per route and for the node, for the status page's charts: a bounded ring of
 * {@link Tick}s, one per {@link #sample} (a timer calls it every interval). Each tick holds what happened between two
 * samples: requests, 5xx answers, latency sum, the 99th percentile of that interval's latencies (from the difference of
 * two {@link LatencyHistogram} snapshots, never cumulative since start) and cache lookups and hits.
 *
 * <p>Kept in the node, so a page opened now shows the minutes before it at once. Thread-safe: {@link #sample} runs on
 * the sampling thread, {@link #ticks} on the admin event loop; both hold the lock for a few microseconds (copying
 * references, no I/O), so the event loop never waits for long.
 */
public final class StatsHistory {

    /** The default: one tick every 5 s, 180 of them: the last 15 minutes. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final int DEFAULT_CAPACITY = 180;

    /**
     * What happened in one interval on one route (or the whole node).
     *
     * @param pool       the route's pool; {@code null} for the node
     * @param p99Seconds the interval's 99th percentile latency; NaN without requests
     */
    public record Point(String pool, long requests, long errors, double latencySecondsSum, double p99Seconds,
                        long cacheLookups, long cacheHits) {

        /** Requests per second over an interval of {@code seconds}. */
        public double requestsPerSecond(double seconds) {
            return seconds > 0 ? requests / seconds : Double.NaN;
        }

        /** Share of requests answered 5xx; NaN without requests. */
        public double errorRate() {
            return requests > 0 ? (double) errors / requests : Double.NaN;
        }

        /** Mean latency in seconds; NaN without requests. */
        public double averageSeconds() {
            return requests > 0 ? latencySecondsSum / requests : Double.NaN;
        }

        /** Share of cache lookups answered from the cache; NaN without lookups. */
        public double cacheHitRatio() {
            return cacheLookups > 0 ? (double) cacheHits / cacheLookups : Double.NaN;
        }
    }

    /**
     * One interval, ending at {@code timeMillis} and lasting {@code seconds}.
     *
     * @param routes by route name; a route without a sample in this interval (not yet seen) is absent
     */
    public record Tick(long timeMillis, double seconds, Point node, Map<String, Point> routes) {
        public Tick {
            routes = Map.copyOf(routes);
        }
    }

    private final Supplier<List<ProxyMetrics.RouteSample>> source;
    private final Tick[] ring;
    private int next;
    private int size;
    private long lastMillis = -1;
    /** The previous cumulative reading of every route, to subtract. */
    private Map<String, Reading> previous = new HashMap<>();

    /**
     * @param source   the cumulative per-route figures (e.g. {@link ProxyMetrics#routeSamples()})
     * @param capacity ticks kept; older ones are overwritten
     */
    public StatsHistory(Supplier<List<ProxyMetrics.RouteSample>> source, int capacity) {
        this.source = requireNonNull(source, "source");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        this.ring = new Tick[capacity];
    }

    /** Ticks kept at most. */
    public int capacity() {
        return ring.length;
    }

    /**
     * Reads the figures and, from the second call on, appends the interval since the previous call. A route met for
     * the first time counts from zero (its meters were created with its first request); a route whose meters were
     * replaced (it now sends to another pool) counts from zero again.
     */
    public void sample(long nowMillis) {
        List<ProxyMetrics.RouteSample> samples = source.get();
        Map<String, Reading> now = new HashMap<>();
        for (ProxyMetrics.RouteSample s : samples) {
            long[] counts = new long[LatencyHistogram.BUCKETS];
            s.latency().snapshot(counts);
            now.put(s.route(), new Reading(s, counts));
        }
        synchronized (this) {
            if (lastMillis >= 0 && nowMillis > lastMillis) {
                append(nowMillis, now);
            }
            if (lastMillis < 0 || nowMillis > lastMillis) {
                lastMillis = nowMillis;
                previous = now;
            }
        }
    }

    private void append(long nowMillis, Map<String, Reading> now) {
        long[] nodeCounts = new long[LatencyHistogram.BUCKETS];
        long[] delta = new long[LatencyHistogram.BUCKETS];
        Map<String, Point> routes = new LinkedHashMap<>();
        long requests = 0;
        long errors = 0;
        double latency = 0;
        long lookups = 0;
        long hits = 0;
        for (Reading r : now.values()) {
            Reading before = previous.get(r.sample.route());
            if (before != null && before.sample.latency() != r.sample.latency()) {
                before = null; // new meters: they started from zero
            }
            ProxyMetrics.RouteSample s = r.sample;
            ProxyMetrics.RouteSample b = before == null ? null : before.sample;
            for (int i = 0; i < delta.length; i++) {
                delta[i] = Math.max(0, r.counts[i] - (before == null ? 0 : before.counts[i]));
                nodeCounts[i] += delta[i];
            }
            Point p = new Point(s.pool(),
                    Math.max(0, s.requests() - (b == null ? 0 : b.requests())),
                    Math.max(0, s.errors() - (b == null ? 0 : b.errors())),
                    Math.max(0, s.latencySecondsSum() - (b == null ? 0 : b.latencySecondsSum())),
                    LatencyHistogram.percentile(delta, 0.99),
                    Math.max(0, s.cacheLookups() - (b == null ? 0 : b.cacheLookups())),
                    Math.max(0, s.cacheHits() - (b == null ? 0 : b.cacheHits())));
            routes.put(s.route(), p);
            requests += p.requests();
            errors += p.errors();
            latency += p.latencySecondsSum();
            lookups += p.cacheLookups();
            hits += p.cacheHits();
        }
        Point node = new Point(null, requests, errors, latency, LatencyHistogram.percentile(nodeCounts, 0.99),
                lookups, hits);
        ring[next] = new Tick(nowMillis, (nowMillis - lastMillis) / 1000.0, node, routes);
        next = (next + 1) % ring.length;
        size = Math.min(size + 1, ring.length);
    }

    /** The ticks kept, oldest first. */
    public synchronized List<Tick> ticks() {
        List<Tick> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(ring[(next - size + i + ring.length) % ring.length]);
        }
        return out;
    }

    private record Reading(ProxyMetrics.RouteSample sample, long[] counts) {
    }
}
