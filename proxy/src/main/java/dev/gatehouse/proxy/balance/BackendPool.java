package dev.gatehouse.proxy.balance;


import dev.gatehouse.config.BackendConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendSelector;
import dev.gatehouse.proxy.balance.BackendState;
import dev.gatehouse.proxy.balance.BalancingStrategy;
import dev.gatehouse.proxy.balance.Selection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A pool's backends and its current selector. Health decides the eligible set; the strategy picks within it.
 * The selector is rebuilt whenever a backend's state changes, and lazily when an ejection or a slow start ends.
 *
 * <p>Two rules shape the eligible set: a backend that just came back gets a share of traffic that ramps up over
 * {@code slow-start}, and when fewer than {@code panic-threshold} percent of the backends are available the pool
 * balances across all of them (Envoy's panic mode): overloading the few survivors would take them down too.
 */
public final class BackendPool {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.health");
    /** The smallest share a backend in slow start gets, so that it is tried at all. */
    private static final double SLOW_START_FLOOR = 0.1;

    public final PoolConfig config;
    public final String name;
    public final List<Backend> backends;
    public final int maxRequestsPerBackend;
    private final BalancingStrategy strategy;
    private final long slowStartMillis;
    private final Consumer<BackendState> onStateChange = s -> refresh();
    /** Retries in flight from this node: the retry budget counts against it. */
    public final AtomicInteger retriesInFlight = new AtomicInteger();
    private volatile BackendSelector selector;
    private volatile int eligibleCount;
    private volatile boolean panic;
    private volatile Backend[] ramping = new Backend[0];
    /** Earliest time the eligible set must be recomputed (an ejection or slow start ends); MAX_VALUE if none. */
    private volatile long nextRefreshMillis = Long.MAX_VALUE;

    public BackendPool(PoolConfig config, BackendStates states) {
        this.config = config;
        this.name = config.name();
        List<Backend> list = new ArrayList<>();
        for (BackendConfig b : config.backends()) {
            BackendState state = states.state(config.name(), b.id());
            state.setDraining(b.draining(), b.draining() ? "draining by configuration" : "undrained by configuration");
            list.add(new Backend(config.name(), b.id(), b.host(), b.port(), b.isTls(), b.weight(), state));
        }
        this.backends = List.copyOf(list);
        this.strategy = BalancingStrategy.of(config.balancer());
        this.slowStartMillis = config.slowStart().toMillis();
        this.maxRequestsPerBackend = config.circuitBreaker().maxRequests();
        for (Backend b : backends) {
            b.state().onChange(onStateChange);
        }
        refresh();
    }

    /**
     * Envoy's retry budget: retries in flight may be at most a share of the pool's active requests, with a floor,
     * so that in an outage retries cannot multiply the load on backends that are already failing.
     */
    public boolean retryWithinBudget() {
        int active = 0;
        for (Backend b : backends) {
            active += b.activeRequests();
        }
        int allowed = Math.max(config.retryBudget().minConcurrency(), active * config.retryBudget().percent() / 100);
        return retriesInFlight.get() < allowed;
    }

    /** The backend for this request, or {@code null} when none is eligible or all were tried. */
    public Backend select(Selection selection) {
        if (System.currentTimeMillis() >= nextRefreshMillis) {
            refresh();
        }
        Backend picked = selector.select(selection);
        Backend[] ramp = ramping;
        if (picked == null || ramp.length == 0 || !contains(ramp, picked)) {
            return picked;
        }
        // Slow start: a ramping backend keeps a pick with probability equal to its ramp; otherwise another
        // backend takes the request, so its share grows smoothly from the floor to its full weight.
        double share = rampShare(picked, System.currentTimeMillis());
        if (ThreadLocalRandom.current().nextDouble() < share) {
            return picked;
        }
        Backend other = selector.select(new Selection() {
            @Override
            public long hashKey() {
                return selection.hashKey();
            }

            @Override
            public boolean excluded(Backend backend) {
                return backend == picked || selection.excluded(backend);
            }
        });
        return other != null ? other : picked;
    }

    private static boolean contains(Backend[] array, Backend b) {
        for (Backend x : array) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }

    double rampShare(Backend b, long now) {
        long since = now - b.state().recoveredAtMillis();
        if (slowStartMillis <= 0 || since >= slowStartMillis) {
            return 1.0;
        }
        return Math.max(SLOW_START_FLOOR, (double) Math.max(0, since) / slowStartMillis);
    }

    public int eligibleCount() {
        return eligibleCount;
    }

    public boolean panicking() {
        return panic;
    }

    /** Recomputes the eligible set; cheap enough to run on every state change. */
    synchronized void refresh() {
        long now = System.currentTimeMillis();
        long next = Long.MAX_VALUE;
        List<Backend> available = new ArrayList<>(backends.size());
        List<Backend> notDraining = new ArrayList<>(backends.size());
        List<Backend> ramp = new ArrayList<>();
        for (Backend b : backends) {
            BackendState s = b.state();
            if (!s.draining()) {
                notDraining.add(b);
            }
            if (s.available(now)) {
                available.add(b);
                long rampEnd = s.recoveredAtMillis() + slowStartMillis;
                if (slowStartMillis > 0 && s.recoveredAtMillis() > 0 && rampEnd > now) {
                    ramp.add(b);
                    next = Math.min(next, rampEnd);
                }
            } else if (s.ejected(now)) {
                next = Math.min(next, s.ejectedUntilMillis());
            }
        }
        boolean nowPanic = !notDraining.isEmpty() && config.panicThreshold() > 0
                && available.size() * 100 < config.panicThreshold() * notDraining.size();
        if (nowPanic != panic) {
            if (nowPanic) {
                LOG.warn("pool {} in panic mode: {} of {} backends available (threshold {}%), balancing across all",
                        name, available.size(), notDraining.size(), config.panicThreshold());
            } else {
                LOG.info("pool {} left panic mode: {} of {} backends available", name, available.size(),
                        notDraining.size());
            }
            panic = nowPanic;
        }
        List<Backend> eligible = nowPanic ? notDraining : available;
        selector = strategy.newSelector(eligible);
        eligibleCount = eligible.size();
        ramping = nowPanic ? new Backend[0] : ramp.toArray(Backend[]::new);
        nextRefreshMillis = next;
    }

    /** Stops following backend state; called when a snapshot no longer uses this pool. */
    public void retire() {
        for (Backend b : backends) {
            b.state().removeListener(onStateChange);
        }
    }
}
