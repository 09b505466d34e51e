package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.balance.Backend;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.balance.BackendStates;
import dev.gatehouse.proxy.upstream.UpstreamTls;

import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.config.SharedConfig;
import dev.gatehouse.proxy.balance.BackendState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The node's current routing state: one atomic reference to an immutable snapshot. {@link #apply} compiles a new
 * snapshot and swaps it in; requests in flight finish on the snapshot they started with.
 *
 * <p>Thread-safe. {@link #apply} is serialised; {@link #current()} is a volatile read.
 */
public final class ProxyRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyRuntime.class);

    private final AtomicReference<RuntimeSnapshot> current = new AtomicReference<>();
    private final BackendStates states = new BackendStates();
    private final FilterFactory filters;
    private final List<Consumer<Long>> listeners = new CopyOnWriteArrayList<>();
    private volatile dev.gatehouse.proxy.cache.ResponseCache cache;
    private volatile ProbeAssignment probeAssignment = ProbeAssignment.ALL;

    public ProxyRuntime(SharedConfig initial, long version) {
        this(initial, version, new FilterFactory());
    }

    public ProxyRuntime(SharedConfig initial, long version, FilterFactory filters) {
        this.filters = filters;
        apply(initial, version);
    }

    /** The node's response cache; {@link dev.gatehouse.proxy.GatehouseProxy} gives it a local one when unset. */
    public dev.gatehouse.proxy.cache.ResponseCache responseCache() {
        return cache;
    }

    /** Sets the node's response cache (the cluster's store); before the listeners start. */
    public void responseCache(dev.gatehouse.proxy.cache.ResponseCache cache) {
        this.cache = cache;
    }

    public RuntimeSnapshot current() {
        return current.get();
    }

    /** The version of the snapshot requests now start on. */
    public long version() {
        return current.get().version();
    }

    /** The shared config requests now start on. */
    public SharedConfig config() {
        return current.get().config();
    }

    /** Called with the new version after every swap. */
    public void onApplied(Consumer<Long> listener) {
        listeners.add(listener);
    }

    /**
     * Compiles {@code next} and swaps it in. Pools whose config is unchanged are reused by identity, so their
     * selectors and counters carry over; backend health carries over for every backend still configured.
     *
     * @throws IllegalArgumentException when the config cannot be compiled (it should have been validated)
     */
    public synchronized void apply(SharedConfig next, long version) {
        RuntimeSnapshot old = current.get();
        Map<String, BackendPool> pools = new HashMap<>();
        Set<String> keep = new HashSet<>();
        for (PoolConfig pc : next.pools()) {
            BackendPool reused = old == null ? null : old.pools().get(pc.name());
            pools.put(pc.name(), reused != null && reused.config.equals(pc) ? reused : new BackendPool(pc, states));
            pc.backends().forEach(b -> keep.add(pc.name() + "/" + b.id()));
        }
        Map<String, CompiledRoute> oldRoutes = new HashMap<>();
        if (old != null) {
            old.routes().routes().forEach(r -> oldRoutes.put(r.name, r));
        }
        List<CompiledRoute> routes = new ArrayList<>();
        Set<ProxyFilter> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (RouteConfig rc : next.routes()) {
            BackendPool pool = pools.get(rc.pool());
            if (pool == null) {
                throw new IllegalArgumentException("route " + rc.name() + ": unknown pool " + rc.pool());
            }
            // Unchanged filters carry over with their state: an admin write elsewhere resets no limit.
            List<ProxyFilter> fs = filters.create(rc, oldRoutes.get(rc.name()));
            live.addAll(fs);
            routes.add(new CompiledRoute(rc, pool, fs, next.cache()));
        }
        current.set(new RuntimeSnapshot(version, next, new RouteTable(routes), Map.copyOf(pools), Instant.now()));
        if (old != null) {
            for (CompiledRoute r : old.routes().routes()) {
                for (ProxyFilter f : r.filters) {
                    if (!live.contains(f)) {
                        f.close();
                    }
                }
            }
            for (BackendPool p : old.pools().values()) {
                if (pools.get(p.name) != p) {
                    p.retire();
                }
            }
            states.retainOnly(keep);
            LOG.info("applied config version {} ({} routes, {} pools)", version, routes.size(), pools.size());
        }
        listeners.forEach(l -> l.accept(version));
    }

    /** Every configured backend's state, for health checks, the admin API and metrics. */
    public Collection<BackendState> backendStates() {
        return states.all();
    }

    /** The state of one backend, created if it is not known yet. */
    public BackendState backendState(String pool, String backendId) {
        return states.state(pool, backendId);
    }

    /** Requests in flight from this node to one backend (0 when the backend is not configured). */
    public int activeRequests(String pool, String backendId) {
        BackendPool p = current.get().pools().get(pool);
        if (p != null) {
            for (dev.gatehouse.proxy.balance.Backend b : p.backends) {
                if (b.id().equals(backendId)) {
                    return b.activeRequests();
                }
            }
        }
        return 0;
    }

    /** Which backends this node probes actively; all of them unless a cluster divides the work. */
    public void probeAssignment(ProbeAssignment assignment) {
        this.probeAssignment = assignment;
    }

    public ProbeAssignment probeAssignment() {
        return probeAssignment;
    }

    /** Follows state changes of every backend, present and future (runs on the thread that made the change). */
    public void onBackendStateChange(Consumer<BackendState> listener) {
        states.onChange(listener);
    }

    /** Whether a pool currently balances across all backends because too few are healthy. */
    public boolean panicking(String pool) {
        BackendPool p = current.get().pools().get(pool);
        return p != null && p.panicking();
    }

    /** The filter factory, for tests that reach the node's bcrypt pool. */
    public FilterFactory filterFactory() {
        return filters;
    }

    /** How many nodes share cluster-scoped limits (rate limits with {@code scope: cluster}). */
    public void clusterNodes(java.util.function.IntSupplier nodes) {
        filters.clusterNodes = nodes;
    }

    /**
     * What would stop {@code next} from being applied on this node: TLS files of pools and filter files (a JWKS)
     * that cannot be loaded. Checked before a new version is stored, so a version every node cannot run is never written.
     */
    public List<dev.gatehouse.config.ConfigProblem> check(SharedConfig next) {
        // Pools' TLS files (CA bundles, client certificates) as a node would load them.
        List<dev.gatehouse.config.ConfigProblem> problems = new ArrayList<>(UpstreamTls.problems(next.pools()));
        for (int i = 0; i < next.routes().size(); i++) {
            RouteConfig rc = next.routes().get(i);
            for (int j = 0; j < rc.filters().size(); j++) {
                try {
                    filters.create(rc, rc.filters().get(j));
                } catch (RuntimeException e) {
                    problems.add(new dev.gatehouse.config.ConfigProblem(
                            "routes[" + i + "].filters[" + j + "]", String.valueOf(e.getMessage())));
                }
            }
        }
        return problems;
    }
}
