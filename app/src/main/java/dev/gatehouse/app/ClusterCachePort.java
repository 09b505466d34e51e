package dev.gatehouse.app;

import dev.gatehouse.admin.CachePort;
import dev.gatehouse.proxy.cache.ResponseStore;
import io.vertx.core.Future;

/**
 * The admin API's view of the cluster's response cache: purges and statistics over {@link HazelcastResponseStore}.
 * A purge's future completes when every live member has dropped the entries from its near cache; it says who did and
 * how long it took. Statistics report the storage bounds this node's member runs with ({@code max-size} is fixed
 * when the member starts) and the live {@code max-entry-size}.
 */
final class ClusterCachePort implements CachePort {

    private final HazelcastResponseStore store;

    ClusterCachePort(HazelcastResponseStore store) {
        this.store = store;
    }

    @Override
    public Future<Purged> purgeKey(String url) {
        String key;
        try {
            key = HazelcastResponseStore.keyOf(url);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        return timed(store.purgeKey(key));
    }

    @Override
    public Future<Purged> purgePrefix(String prefix) {
        try {
            return timed(store.purgePathPrefix(prefix));
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
    }

    @Override
    public Future<Purged> purgeTag(String tag) {
        return timed(store.purgeTag(tag));
    }

    private static Future<Purged> timed(Future<ResponseStore.Purge> purge) {
        long t0 = System.nanoTime();
        return purge.map(p -> new Purged(p.removed(), p.acknowledgedBy(), (System.nanoTime() - t0) / 1_000_000));
    }

    @Override
    public Future<Stats> stats() {
        long maxBytes = store.storage().maxSize().bytes();
        long maxEntryBytes = store.maxEntryBytes();
        return store.stats().map(s -> new Stats(s.entries(), s.bytes(), s.hits(), s.misses(), maxBytes, maxEntryBytes,
                s.members().stream().map(m -> new MemberStats(m.member(), m.ownedEntries(), m.ownedBytes(),
                        m.backupEntries(), m.hits(), m.misses(), m.stored(), m.evictions(), m.nearCacheEntries(),
                        m.nearCacheBytes(), m.nearCacheHits(), m.nearCacheMisses(), m.nearCacheInvalidations()))
                        .toList()));
    }
}
