package dev.gatehouse.config;

/**
 * The {@code cache} section: the cluster-wide response cache's storage. {@link ConfigValidator} checks every value's
 * range.
 *
 * @param maxSize             the whole map's budget, primary copies (default 256MB; at least 1MB)
 * @param maxEntrySize        the largest stored entry, all its variants (default 8MB; 1KB up to {@code max-size}
 *                            and at most 1GB)
 * @param eviction            which entries go first when {@code max-size} is reached (default {@code lru})
 * @param nearCacheMaxEntries hot entries each node keeps in its near cache (default 10000; 1-10000000)
 * @param collapseWait        how long concurrent misses for one key (on all nodes) wait for the one request that
 *                            fills it before going to the origin themselves (default 5s; 0 turns collapsing off)
 * @param keep                how long a stale entry that has a validator is kept for revalidation after its
 *                            freshness and stale windows end (default 1h; 0: dropped when it can no longer be served)
 */
public record CacheConfig(DataSize maxSize, DataSize maxEntrySize, Eviction eviction, Integer nearCacheMaxEntries,
                          java.time.Duration collapseWait, java.time.Duration keep) {

    public static final CacheConfig DEFAULT = new CacheConfig(null, null, null, null, null, null);

    public CacheConfig {
        maxSize = maxSize == null ? DataSize.ofMegabytes(256) : maxSize;
        maxEntrySize = maxEntrySize == null ? DataSize.ofMegabytes(8) : maxEntrySize;
        eviction = eviction == null ? Eviction.LRU : eviction;
        nearCacheMaxEntries = nearCacheMaxEntries == null ? 10_000 : nearCacheMaxEntries;
        collapseWait = collapseWait == null ? java.time.Duration.ofSeconds(5) : collapseWait;
        keep = keep == null ? java.time.Duration.ofHours(1) : keep;
    }

    public CacheConfig(DataSize maxSize, DataSize maxEntrySize, Eviction eviction, Integer nearCacheMaxEntries) {
        this(maxSize, maxEntrySize, eviction, nearCacheMaxEntries, null, null);
    }

    /** The two sizes only, the rest defaulted (what earlier versions stored). */
    public CacheConfig(DataSize maxSize, DataSize maxEntrySize) {
        this(maxSize, maxEntrySize, null, null, null, null);
    }

    /** Eviction policy: least recently used or least frequently used. */
    public enum Eviction { LRU, LFU }
}
