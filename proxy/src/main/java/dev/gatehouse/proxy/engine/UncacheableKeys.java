package dev.gatehouse.proxy.engine;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Keys whose last fill turned out not storable (Varnish's hit-for-miss): their misses go to the origin at once instead
 * of queueing behind one another for a response that will not be stored. A later storable answer is still stored (the
 * request still fills), and storing one ends the mark. One node's memory: bounded, and forgotten after {@link #TTL_MS}.
 */
final class UncacheableKeys {

    /** As long as Varnish's default hit-for-miss object lives. */
    static final long TTL_MS = 120_000;
    /** Past this many marks the oldest are not worth finding: all are dropped, and collapsing resumes for them. */
    static final int MAX_KEYS = 10_000;

    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();

    void mark(String key, long nowMillis) {
        if (until.size() >= MAX_KEYS) {
            until.clear();
        }
        until.put(key, nowMillis + TTL_MS);
    }

    boolean marked(String key, long nowMillis) {
        Long t = until.get(key);
        if (t == null) {
            return false;
        }
        if (t <= nowMillis) {
            until.remove(key, t);
            return false;
        }
        return true;
    }

    void clear(String key) {
        until.remove(key);
    }

    int size() {
        return until.size();
    }
}
