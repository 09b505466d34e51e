package dev.gatehouse.proxy.health;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.route.RuntimeSnapshot;

import dev.gatehouse.config.HealthCheckConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.UpstreamTlsConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Active health checks of every pool that configures them. Runs in its own verticle, so probes never run inside a
 * request's event-loop turn; each backend has at most one probe in flight (the next is scheduled only when the
 * last has finished), and a random jitter keeps probes of different backends from aligning.
 */
public final class HealthCheckVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.health");

    private final ProxyRuntime runtime;
    /** pool name → the probes of its backends, with the checker built for the pool's health-check config. */
    private final Map<String, PoolProbes> pools = new HashMap<>();
    private boolean stopped;

    public HealthCheckVerticle(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    private final class PoolProbes {
        final HealthCheckConfig config;
        /** The pool's TLS to https:// backends: probes verify backends as requests do. */
        final UpstreamTlsConfig tls;
        final HealthChecker checker;
        final Map<String, Probe> probes = new HashMap<>();

        PoolProbes(HealthCheckConfig config, PoolConfig pool) {
            this.config = config;
            this.tls = pool.tls();
            this.checker = HealthChecker.of(vertx, config, pool);
        }
    }

    /** One backend's probe loop. */
    private final class Probe {
        final PoolProbes pool;
        volatile Backend backend;
        long timer = -1;
        boolean cancelled;

        Probe(PoolProbes pool, Backend backend) {
            this.pool = pool;
            this.backend = backend;
        }

        void schedule(boolean first) {
            if (cancelled || stopped) {
                return;
            }
            long interval = pool.config.interval().toMillis();
            long jitterMax = pool.config.jitter().toMillis();
            // The first probe comes soon but spread out; later ones every interval plus jitter.
            long delay = first ? 1 + ThreadLocalRandom.current().nextLong(Math.max(1, Math.min(interval, 250)))
                    : interval + (jitterMax > 0 ? ThreadLocalRandom.current().nextLong(jitterMax + 1) : 0);
            timer = vertx.setTimer(delay, id -> run());
        }

        void run() {
            timer = -1;
            Backend b = backend;
            if (cancelled || !runtime.probeAssignment().probes(b.pool(), b.id())) {
                schedule(false);
                return;
            }
            pool.checker.check(b).onComplete(ar -> {
                if (!cancelled) {
                    String why = ar.succeeded() ? "active check passed"
                            : "active check failed: " + describe(ar.cause());
                    b.state().probeResult(ar.succeeded(), pool.config.healthyThreshold(),
                            pool.config.unhealthyThreshold(), why);
                }
                schedule(false);
            });
        }

        void cancel() {
            cancelled = true;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        if (t instanceof java.util.concurrent.TimeoutException || (m != null && m.contains("imed out"))) {
            return "timeout";
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public Future<?> start() {
        runtime.onApplied(version -> vertx.runOnContext(v -> reconcile()));
        reconcile();
        return Future.succeededFuture();
    }

    /** Matches the running probes to the current snapshot: new backends get probes, removed ones lose them. */
    private void reconcile() {
        if (stopped) {
            return;
        }
        RuntimeSnapshot snapshot = runtime.current();
        Map<String, BackendPool> current = snapshot.pools();
        for (var it = pools.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            BackendPool pool = current.get(e.getKey());
            if (pool == null || pool.config.healthCheck() == null || !pool.config.healthCheck().equals(e.getValue().config)
                    || !Objects.equals(pool.config.tls(), e.getValue().tls)) {
                e.getValue().probes.values().forEach(Probe::cancel);
                e.getValue().checker.close();
                it.remove();
            }
        }
        for (BackendPool pool : current.values()) {
            HealthCheckConfig hc = pool.config.healthCheck();
            if (hc == null) {
                continue;
            }
            PoolProbes probes = pools.computeIfAbsent(pool.name, n -> new PoolProbes(hc, pool.config));
            Map<String, Backend> byId = new HashMap<>();
            pool.backends.forEach(b -> byId.put(b.id(), b));
            probes.probes.entrySet().removeIf(e -> {
                if (!byId.containsKey(e.getKey())) {
                    e.getValue().cancel();
                    return true;
                }
                return false;
            });
            for (Backend b : pool.backends) {
                Probe p = probes.probes.get(b.id());
                if (p == null) {
                    p = new Probe(probes, b);
                    probes.probes.put(b.id(), p);
                    p.schedule(true);
                } else {
                    p.backend = b;
                }
            }
        }
        LOG.debug("health checks: {} pools probed", pools.size());
    }

    @Override
    public Future<?> stop() {
        stopped = true;
        pools.values().forEach(p -> {
            p.probes.values().forEach(Probe::cancel);
            p.checker.close();
        });
        pools.clear();
        return Future.succeededFuture();
    }
}
