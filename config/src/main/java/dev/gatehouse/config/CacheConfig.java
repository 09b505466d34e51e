package dev.gatehouse.config;

/** The cluster-wide response cache. Entries larger than {@code maxEntrySize} are never stored. */
public record CacheConfig(DataSize maxSize, DataSize maxEntrySize) {

    public static final CacheConfig DEFAULT = new CacheConfig(null, null);

    public CacheConfig {
        maxSize = maxSize == null ? DataSize.ofMegabytes(256) : maxSize;
        maxEntrySize = maxEntrySize == null ? DataSize.ofMegabytes(8) : maxEntrySize;
    }
}
