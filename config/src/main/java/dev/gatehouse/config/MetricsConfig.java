package dev.gatehouse.config;

import java.time.Duration;
import java.util.List;

/**
 * How request latency is recorded ({@code metrics}). Node-local. Absent values keep the defaults: SLO buckets from
 * 5ms to 10s and no client-side percentiles.
 *
 * @param latencyBuckets histogram bucket bounds of {@code gatehouse_request_duration_seconds}, ascending
 * @param percentiles    client-side percentiles to publish as well (each above 0 and at most 1, e.g. 0.99); they
 *                       cannot be aggregated across nodes, so the buckets are usually the better choice
 * @param requests       false stops recording each request (requests, latency, bytes, attempts, connections, and
 *                       the status page's rates); backend health, config version, cluster and JVM metrics stay.
 *                       Default true
 */
public record MetricsConfig(List<Duration> latencyBuckets, List<Double> percentiles, Boolean requests) {

    public static final MetricsConfig DEFAULT = new MetricsConfig(null, null, null);

    public MetricsConfig {
        latencyBuckets = latencyBuckets == null ? List.of() : List.copyOf(latencyBuckets);
        percentiles = percentiles == null ? List.of() : List.copyOf(percentiles);
        requests = requests == null ? Boolean.TRUE : requests;
    }
}
