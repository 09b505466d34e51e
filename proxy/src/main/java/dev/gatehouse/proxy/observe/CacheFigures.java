package dev.gatehouse.proxy.observe;

/**
 * This node's share of the response cache, read by the gauges {@code gatehouse_cache_entries},
 * {@code gatehouse_cache_bytes} and {@code gatehouse_cache_evictions_total} (see
 * {@link ProxyMetrics#bindCacheFigures}). The cluster wiring implements it from Hazelcast's local map statistics (the
 * entries this member owns, their memory cost, its evictions); a node-local cache from its own store. Summed over the
 * nodes, the figures are the cluster's. Read at scrape time on the scraping thread: cheap, never blocking.
 */
public interface CacheFigures {

    /** No cache: every figure 0. */
    CacheFigures NONE = new CacheFigures() {
        @Override
        public long entries() {
            return 0;
        }

        @Override
        public long bytes() {
            return 0;
        }

        @Override
        public long evictions() {
            return 0;
        }
    };

    /** Entries this node holds as primary copies. */
    long entries();

    /** Their size in bytes. */
    long bytes();

    /** Entries this node evicted to stay within {@code max-size}, since it started (never decreases). */
    long evictions();
}
