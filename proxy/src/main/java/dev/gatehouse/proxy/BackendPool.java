package dev.gatehouse.proxy;

import dev.gatehouse.config.BackendConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendSelector;
import dev.gatehouse.proxy.balance.BackendState;
import dev.gatehouse.proxy.balance.BalancingStrategy;
import dev.gatehouse.proxy.balance.Selection;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A pool's backends and its current selector. Health decides the eligible set; the strategy picks within it.
 * The selector is rebuilt whenever a backend's state changes, and lazily when an ejection runs out.
 */
final class BackendPool {

    final PoolConfig config;
    final String name;
    final List<Backend> backends;
    private final BalancingStrategy strategy;
    private final Consumer<BackendState> onStateChange = s -> refresh();
    private volatile BackendSelector selector;
    private volatile int eligibleCount;
    /** Earliest time an ejection ends and the eligible set must be recomputed; Long.MAX_VALUE if none. */
    private volatile long nextRefreshMillis = Long.MAX_VALUE;

    BackendPool(PoolConfig config, BackendStates states) {
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
        for (Backend b : backends) {
            b.state().onChange(onStateChange);
        }
        refresh();
    }

    /** The backend for this request, or {@code null} when none is eligible or all were tried. */
    Backend select(Selection selection) {
        if (System.currentTimeMillis() >= nextRefreshMillis) {
            refresh();
        }
        return selector.select(selection);
    }

    int eligibleCount() {
        return eligibleCount;
    }

    /** Recomputes the eligible set; cheap enough to run on every state change. */
    synchronized void refresh() {
        long now = System.currentTimeMillis();
        long next = Long.MAX_VALUE;
        List<Backend> eligible = new ArrayList<>(backends.size());
        for (Backend b : backends) {
            BackendState s = b.state();
            if (s.available(now)) {
                eligible.add(b);
            } else if (s.ejected(now)) {
                next = Math.min(next, s.ejectedUntilMillis());
            }
        }
        selector = strategy.newSelector(eligible);
        eligibleCount = eligible.size();
        nextRefreshMillis = next;
    }

    /** Stops following backend state; called when a snapshot no longer uses this pool. */
    void retire() {
        for (Backend b : backends) {
            b.state().removeListener(onStateChange);
        }
    }
}
