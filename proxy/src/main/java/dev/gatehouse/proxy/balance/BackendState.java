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
    /** When the backend last became available again (0 = never unavailable): slow start ramps from here. */
    private volatile long recoveredAtMillis;
    /** Whether the last change came from another node (so it is not published back to the cluster). */
    private volatile boolean lastChangeRemote;
    private int activeSuccesses;
    private int activeFailures;
    private final PassiveRecord passive = new PassiveRecord();
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

    /** What this node's traffic to the backend showed (successes, failures, when), for the admin API. */
    public PassiveRecord passive() {
        return passive;
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
        setHealth(next, why, false);
    }

    /** As {@link #setHealth(Health, String)}; {@code remote} marks a state learned from another node. */
    public void setHealth(Health next, String why, boolean remote) {
        if (health != next) {
            boolean wasAvailable = available(System.currentTimeMillis());
            health = next;
            markRecovery(wasAvailable);
            changed(why, remote);
        }
    }

    /**
     * Counts one active probe result against the thresholds (HAProxy's rise/fall) and changes the health when a
     * threshold is reached. A backend of unknown health is declared healthy by its first success.
     *
     * @return true when the health changed
     */
    public synchronized boolean probeResult(boolean ok, int healthyThreshold, int unhealthyThreshold, String why) {
        if (ok) {
            activeFailures = 0;
            activeSuccesses++;
            if (health != Health.HEALTHY && (health == Health.UNKNOWN || activeSuccesses >= healthyThreshold)) {
                setHealth(Health.HEALTHY, why);
                return true;
            }
        } else {
            activeSuccesses = 0;
            activeFailures++;
            if (health != Health.UNHEALTHY && activeFailures >= unhealthyThreshold) {
                setHealth(Health.UNHEALTHY, why);
                return true;
            }
        }
        return false;
    }

    public long recoveredAtMillis() {
        return recoveredAtMillis;
    }

    public boolean lastChangeRemote() {
        return lastChangeRemote;
    }

    private void markRecovery(boolean wasAvailable) {
        if (!wasAvailable && available(System.currentTimeMillis())) {
            recoveredAtMillis = System.currentTimeMillis();
        }
    }

    public void setDraining(boolean next, String why) {
        if (draining != next) {
            draining = next;
            changed(why, false);
        }
    }

    public void eject(long untilMillis, String why) {
        eject(untilMillis, why, false);
    }

    /** Ejects until {@code untilMillis}; {@code remote} marks an ejection learned from another node. */
    public void eject(long untilMillis, String why, boolean remote) {
        if (!remote) {
            ejections++;
        }
        ejectedUntilMillis = untilMillis;
        // The ejection ends on its own; slow start then ramps from that moment.
        recoveredAtMillis = untilMillis;
        changed(why, remote);
    }

    public void uneject(String why) {
        if (ejectedUntilMillis != 0) {
            ejectedUntilMillis = 0;
            changed(why, false);
        }
    }

    /** After a successful period the ejection multiplier decays (Envoy resets it after healthy traffic). */
    public void resetEjections() {
        ejections = 0;
    }

    private void changed(String why, boolean remote) {
        since = Instant.now();
        cause = why;
        lastChangeRemote = remote;
        for (Consumer<BackendState> l : listeners) {
            l.accept(this);
        }
    }
}
