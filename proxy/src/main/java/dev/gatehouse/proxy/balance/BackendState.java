package dev.gatehouse.proxy.balance;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The one view of a backend's availability: what active checks, passive outlier detection and the operator
 * (draining) have decided. Balancers never read it; the pool turns it into the eligible set.
 *
 * <p>Thread-safe: written by health checkers and request completions on any event loop, read on every pick.
 */
public final class BackendState {

    /** What the health signals currently say. */
    public enum Health { UNKNOWN, HEALTHY, UNHEALTHY }

    private final String pool;
    private final String backend;
    private volatile Health health = Health.UNKNOWN;
    private volatile boolean draining;
    private volatile long ejectedUntilMillis;
    private volatile int ejections;
    private volatile Instant since = Instant.now();
    private volatile String cause = "";
    private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger consecutiveFailures =
            new java.util.concurrent.atomic.AtomicInteger();

    public BackendState(String pool, String backend) {
        this.pool = pool;
        this.backend = backend;
    }

    public String pool() {
        return pool;
    }

    public String backend() {
        return backend;
    }

    public Health health() {
        return health;
    }

    public boolean draining() {
        return draining;
    }

    public boolean ejected(long nowMillis) {
        return ejectedUntilMillis > nowMillis;
    }

    public long ejectedUntilMillis() {
        return ejectedUntilMillis;
    }

    public int ejections() {
        return ejections;
    }

    public Instant since() {
        return since;
    }

    public String cause() {
        return cause;
    }

    /** May take new requests: not unhealthy, not ejected, not draining. UNKNOWN counts as healthy. */
    public boolean available(long nowMillis) {
        return health != Health.UNHEALTHY && !draining && !ejected(nowMillis);
    }

    /** A short state name for logs and the admin API. */
    public String describe(long nowMillis) {
        if (draining) {
            return "draining";
        }
        if (ejected(nowMillis)) {
            return "ejected";
        }
        return health.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Counts a failed request; returns the run of consecutive failures including this one. */
    public int recordFailure() {
        return consecutiveFailures.incrementAndGet();
    }

    /** A success ends the run of failures. */
    public void recordSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    public void onChange(Consumer<BackendState> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<BackendState> listener) {
        listeners.remove(listener);
    }

    public void setHealth(Health next, String why) {
        if (health != next) {
            health = next;
            changed(why);
        }
    }

    public void setDraining(boolean next, String why) {
        if (draining != next) {
            draining = next;
            changed(why);
        }
    }

    public void eject(long untilMillis, String why) {
        ejections++;
        ejectedUntilMillis = untilMillis;
        changed(why);
    }

    public void uneject(String why) {
        if (ejectedUntilMillis != 0) {
            ejectedUntilMillis = 0;
            changed(why);
        }
    }

    /** After a successful period the ejection multiplier decays (Envoy resets it after healthy traffic). */
    public void resetEjections() {
        ejections = 0;
    }

    private void changed(String why) {
        since = Instant.now();
        cause = why;
        for (Consumer<BackendState> l : listeners) {
            l.accept(this);
        }
    }
}
