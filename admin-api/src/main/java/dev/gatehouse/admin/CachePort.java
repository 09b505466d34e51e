package dev.gatehouse.admin;

import io.vertx.core.Future;

/**
 * Purges from the cluster-wide response cache. Optional: without it {@code POST /api/v1/cache/purge} answers 501.
 * Each method returns the number of entries removed. Called on the admin event loop; must not block.
 */
public interface CachePort {

    /** Removes the entry of one URL (as the cache keys it). */
    Future<Long> purgeKey(String key);

    /** Removes every entry whose path starts with {@code prefix}. */
    Future<Long> purgePrefix(String prefix);

    /** Removes every entry tagged {@code tag} (for example by a {@code Cache-Tag} response header). */
    Future<Long> purgeTag(String tag);
}
