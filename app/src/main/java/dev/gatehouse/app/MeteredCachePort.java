package dev.gatehouse.app;

import dev.gatehouse.admin.CachePort;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import io.vertx.core.Future;

import static java.util.Objects.requireNonNull;

/**
 * A {@link CachePort} that times every purge into {@code gatehouse_cache_purge_seconds{kind}}: from the admin request
 * until every member acknowledged. Failed purges are not timed (their time is a timeout, not a purge). The admin API
 * knows no meter registry, so the node wraps its cache port in this before handing it over.
 */
final class MeteredCachePort implements CachePort {

    private final CachePort port;
    private final ProxyMetrics metrics;

    MeteredCachePort(CachePort port, ProxyMetrics metrics) {
        this.port = requireNonNull(port, "port");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public Future<Purged> purgeKey(String url) {
        long start = System.nanoTime();
        return port.purgeKey(url).onSuccess(p -> metrics.cachePurged("key", System.nanoTime() - start));
    }

    @Override
    public Future<Purged> purgePrefix(String prefix) {
        long start = System.nanoTime();
        return port.purgePrefix(prefix).onSuccess(p -> metrics.cachePurged("prefix", System.nanoTime() - start));
    }

    @Override
    public Future<Purged> purgeTag(String tag) {
        long start = System.nanoTime();
        return port.purgeTag(tag).onSuccess(p -> metrics.cachePurged("tag", System.nanoTime() - start));
    }

    @Override
    public Future<Stats> stats() {
        return port.stats();
    }
}
