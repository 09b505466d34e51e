package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.balance.BackendState;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every backend's {@link BackendState}, keyed by pool and backend id, kept across config snapshots so a change of
 * weight or of an unrelated route does not forget what health checks learned.
 */
public final class BackendStates {

    private final ConcurrentHashMap<String, BackendState> states = new ConcurrentHashMap<>();

    private final java.util.List<java.util.function.Consumer<BackendState>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    public BackendState state(String pool, String backendId) {
        return states.computeIfAbsent(pool + "/" + backendId, k -> {
            BackendState s = new BackendState(pool, backendId);
            s.onChange(new TransitionLog());
            for (var l : listeners) {
                s.onChange(l);
            }
            return s;
        });
    }

    /** Follows every backend's state changes, including backends configured later. */
    public void onChange(java.util.function.Consumer<BackendState> listener) {
        listeners.add(listener);
        states.values().forEach(s -> s.onChange(listener));
    }

    /** One log line per transition (not per probe), with its cause. */
    private static final class TransitionLog implements java.util.function.Consumer<BackendState> {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("gatehouse.health");
        private String last = "unknown";

        @Override
        public synchronized void accept(BackendState s) {
            String now = s.describe(System.currentTimeMillis());
            if (!now.equals(last)) {
                LOG.info("backend {}/{} {} -> {}: {}{}", s.pool(), s.backend(), last, now, s.cause(),
                        s.lastChangeRemote() ? " (learned from the cluster)" : "");
                last = now;
            }
        }
    }

    public Collection<BackendState> all() {
        return states.values();
    }

    /** Forgets backends no longer configured. */
    public void retainOnly(java.util.Set<String> keys) {
        states.keySet().retainAll(keys);
    }
}
