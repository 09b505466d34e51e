package dev.gatehouse.config;

/**
 * The {@code cache} section: the cluster-wide response cache's storage. {@link ConfigValidator} checks every value's
 * range, and until the request engine uses the cache it accepts only {@link #DEFAULT} (which earlier versions wrote
 * into every stored configuration), so no file configures a cache that does not exist.
 *
 * @param maxSize             the whole map's budget, primary copies (default 256MB; at least 1MB)
 * @param maxEntrySize        the largest stored entry, all its variants (default 8MB; 1KB up to {@code max-size}
 *                            and at most 1GB)
 * @param eviction            which entries go first when {@code max-size} is reached (default {@code lru})
 * @param nearCacheMaxEntries hot entries each node keeps in its near cache (default 10000; 1-10000000)
 */
public record CacheConfig(DataSize maxSize, DataSize maxEntrySize, Eviction eviction, Integer nearCacheMaxEntries) {

    public static final CacheConfig DEFAULT = new CacheConfig(null, null, null, null);

    public CacheConfig {
        maxSize = maxSize == null ? DataSize.ofMegabytes(256) : maxSize;
        maxEntrySize = maxEntrySize == null ? DataSize.ofMegabytes(8) : maxEntrySize;
        eviction = eviction == null ? Eviction.LRU : eviction;
        nearCacheMaxEntries = nearCacheMaxEntries == null ? 10_000 : nearCacheMaxEntries;
    }

    /** The two sizes only, the rest defaulted (what earlier versions stored). */
    public CacheConfig(DataSize maxSize, DataSize maxEntrySize) {
        this(maxSize, maxEntrySize, null, null);
    }

    /** Eviction policy: least recently used or least frequently used. */
    public enum Eviction { LRU, LFU }
}
