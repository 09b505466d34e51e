package dev.gatehouse.proxy.route;

import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.RouteCacheConfig;
import dev.gatehouse.proxy.cache.Freshness;
import dev.gatehouse.proxy.cache.Storability;

import java.time.Duration;

/**
 * How a route uses the response cache, compiled once per configuration version from the route's {@code cache}
 * section and the cluster-wide {@code cache} section.
 */
public final class RouteCaching {

    public final Storability storability;
    public final Freshness.Heuristic heuristic;
    /** {@code CDN-Cache-Control} is removed downstream too (Gatehouse-Cache-Control always is). */
    public final boolean stripCdnCacheControl;
    /** How long a miss waits for another request's fill of the same key; 0: no collapsing. */
    public final long collapseWaitMillis;
    /** How long a stale entry with a validator is kept for revalidation. */
    public final long keepMillis;
    /** Responses longer than this stream through without being stored. */
    public final long maxEntryBytes;

    RouteCaching(RouteCacheConfig route, CacheConfig cache) {
        this.storability = new Storability(route.storeSetCookie());
        this.heuristic = new Freshness.Heuristic(Duration.ofDays(1),
                route.defaultTtl().isZero() ? null : route.defaultTtl());
        this.stripCdnCacheControl = route.stripCdnCacheControl();
        this.collapseWaitMillis = cache.collapseWait().toMillis();
        this.keepMillis = cache.keep().toMillis();
        this.maxEntryBytes = cache.maxEntrySize().bytes();
    }

    /** The caching of a route, or {@code null} when the route does not cache. */
    static RouteCaching of(RouteCacheConfig route, CacheConfig cache) {
        return route == null || !route.enabled() ? null
                : new RouteCaching(route, cache == null ? CacheConfig.DEFAULT : cache);
    }
}
