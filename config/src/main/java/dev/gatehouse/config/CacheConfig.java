package dev.gatehouse.config;

/**
 * The {@code cache} section, reserved for the cluster-wide response cache (not built yet). {@link ConfigValidator}
 * accepts only {@link #DEFAULT}, which earlier versions wrote into every stored configuration, and rejects any
 * other value, so no file configures a cache that does not exist.
 */
public record CacheConfig(DataSize maxSize, DataSize maxEntrySize) {

    public static final CacheConfig DEFAULT = new CacheConfig(null, null);

    public CacheConfig {
        maxSize = maxSize == null ? DataSize.ofMegabytes(256) : maxSize;
        maxEntrySize = maxEntrySize == null ? DataSize.ofMegabytes(8) : maxEntrySize;
    }
}
