package dev.gatehouse.admin;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The last minutes of one node's traffic for {@code GET /api/v1/stats/history} and the status page's charts: one value
 * per interval, oldest first, in columns that share {@link #times()}.
 *
 * @param intervalSeconds the sampling interval
 * @param capacity        intervals kept at most (the window is {@code intervalSeconds × capacity})
 * @param times           end of each interval, epoch millis
 * @param node            the whole node (every route, and requests that matched none)
 * @param routes          one series per route seen in the window
 */
public record NodeHistory(int intervalSeconds, int capacity, long[] times, Series node, List<RouteSeries> routes) {

    public NodeHistory {
        requireNonNull(times, "times");
        requireNonNull(node, "node");
        routes = List.copyOf(routes);
    }

    /** No history: a node without a request path. */
    public static NodeHistory empty() {
        double[] none = new double[0];
        return new NodeHistory(0, 0, new long[0], new Series(none, none, none, none, none), List.of());
    }

    /**
     * Values per interval, aligned with {@link NodeHistory#times()}; NaN where there is nothing to say (no requests
     * for latency and error rate, no cache lookups for the hit ratio, a route not seen yet).
     *
     * @param requestsPerSecond requests answered per second
     * @param errorRate         share of them answered 5xx
     * @param averageSeconds    mean latency
     * @param p99Seconds        99th percentile latency of that interval's requests
     * @param cacheHitRatio     share of cache lookups answered from the cache
     */
    public record Series(double[] requestsPerSecond, double[] errorRate, double[] averageSeconds, double[] p99Seconds,
                         double[] cacheHitRatio) {
    }

    /** One route's series; {@code pool} as of its latest interval. */
    public record RouteSeries(String route, String pool, Series series) {
    }
}
