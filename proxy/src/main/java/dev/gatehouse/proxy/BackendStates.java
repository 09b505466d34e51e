package dev.gatehouse.proxy;

import dev.gatehouse.proxy.balance.BackendState;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every backend's {@link BackendState}, keyed by pool and backend id, kept across config snapshots so a change of
 * weight or of an unrelated route does not forget what health checks learned.
 */
final class BackendStates {

    private final ConcurrentHashMap<String, BackendState> states = new ConcurrentHashMap<>();

    BackendState state(String pool, String backendId) {
        return states.computeIfAbsent(pool + "/" + backendId, k -> new BackendState(pool, backendId));
    }

    Collection<BackendState> all() {
        return states.values();
    }

    /** Forgets backends no longer configured. */
    void retainOnly(java.util.Set<String> keys) {
        states.keySet().retainAll(keys);
    }
}
