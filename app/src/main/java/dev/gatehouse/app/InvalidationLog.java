package dev.gatehouse.app;

import java.util.concurrent.ConcurrentHashMap;

/**
 * When keys were last invalidated on this member (an unsafe request's invalidation, a purge), so that a fill which
 * began before stores nothing: without it, a response still on its way to the store when its key is purged (the store
 * is asynchronous, after the client has its answer) lands after the purge and is served for its whole freshness.
 * Purges too large to list, and prefix and tag purges on the member that runs them, move an epoch for every key.
 * Times are this member's clock, taken when it learns of the invalidation: never earlier than the invalidation.
 */
final class InvalidationLog {

    /** Fills take at most a route timeout or so; past this an invalidation can no longer race one. */
    static final long KEEP_MS = 10 * 60_000;
    /** Past this many keys, the old ones are dropped first; if all are recent, the epoch moves instead. */
    static final int MAX_KEYS = 100_000;

    private final ConcurrentHashMap<String, Long> keys = new ConcurrentHashMap<>();
    private volatile long epoch;

    void key(String key, long now) {
        if (keys.size() >= MAX_KEYS) {
            keys.values().removeIf(t -> t < now - KEEP_MS);
            if (keys.size() >= MAX_KEYS) {
                keys.clear();
                all(now);
                return;
            }
        }
        keys.merge(key, now, Math::max);
    }

    void all(long now) {
        epoch = Math.max(epoch, now);
    }

    /** Whether {@code key} was invalidated at or after {@code sinceMillis}. */
    boolean since(String key, long sinceMillis) {
        if (epoch >= sinceMillis) {
            return true;
        }
        Long t = keys.get(key);
        return t != null && t >= sinceMillis;
    }
}
