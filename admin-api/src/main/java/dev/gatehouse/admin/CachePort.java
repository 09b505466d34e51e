package dev.gatehouse.admin;

import io.vertx.core.Future;

import java.util.List;

/**
 * The cluster-wide response cache, as the admin API sees it: purges and statistics. Optional: without it {@code
 * POST /api/v1/cache/purge} and {@code GET /api/v1/cache} answer 501. Called on the admin event loop; must not block.
 * A purge completes only when every live member has dropped the entries (its near cache included).
 */
public interface CachePort {

    /** Removes the entry of one URL ({@code https://host/path?query}, keyed as the cache keys it). */
    Future<Purged> purgeKey(String url);

    /** Removes every entry whose path starts with {@code prefix} (on every host). */
    Future<Purged> purgePrefix(String prefix);

    /** Removes every entry tagged {@code tag} (by a {@code Surrogate-Key} or {@code Cache-Tag} response header). */
    Future<Purged> purgeTag(String tag);

    /** Entries, bytes and lookups of the whole cluster, and each member's figures. */
    Future<Stats> stats();

    /** What a purge did: entries removed, the members that acknowledged, and how long it took. */
    record Purged(long removed, List<String> acknowledgedBy, long millis) {
        public Purged {
            acknowledgedBy = List.copyOf(acknowledgedBy);
        }
    }

    /**
     * The cache across the cluster: primary entries and their bytes, lookups (hits and misses over all members), and
     * the configured bounds.
     */
    record Stats(long entries, long bytes, long hits, long misses, long maxBytes, long maxEntryBytes,
                 List<MemberStats> members) {
        public Stats {
            members = List.copyOf(members);
        }

        public double hitRatio() {
            return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
        }
    }

    /** One member: the entries it owns and backs up, its lookups and stores, its near cache. */
    record MemberStats(String member, long ownedEntries, long ownedBytes, long backupEntries, long hits, long misses,
                       long stored, long evictions, long nearCacheEntries, long nearCacheBytes, long nearCacheHits,
                       long nearCacheMisses, long nearCacheInvalidations) {
    }
}
