package dev.gatehouse.app;

import dev.gatehouse.admin.BackendStatus;
import dev.gatehouse.admin.HealthPort;
import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.balance.PassiveRecord;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Backend states as this node sees them, for {@code GET /api/v1/health}: the state health checks, outlier detection
 * and draining decided, and what this node's own traffic showed (the only signal for a pool without a
 * {@code health-check}).
 */
final class HealthView implements HealthPort {

    /** The recent window of {@link PassiveRecord}: 12 rolls of the 5 s history sampler. */
    private static final int WINDOW_SECONDS = 60;

    private final ProxyRuntime runtime;
    private final String node;

    HealthView(ProxyRuntime runtime, String node) {
        this.runtime = runtime;
        this.node = node;
    }

    @Override
    public Future<List<BackendStatus>> backends() {
        long now = System.currentTimeMillis();
        List<BackendStatus> out = new ArrayList<>();
        var pools = runtime.current().pools();
        for (BackendState s : runtime.backendStates()) {
            BackendPool pool = pools.get(s.pool());
            String checks = pool == null ? null : pool.config.healthCheck() != null ? "active" : "passive";
            int active = runtime.activeRequests(s.pool(), s.backend());
            boolean atLimit = pool != null && active >= pool.config.circuitBreaker().maxRequests();
            out.add(new BackendStatus(s.pool(), s.backend(), s.describe(now), node, s.since(), s.cause(), active,
                    checks, passive(s, now, atLimit)));
        }
        out.sort(Comparator.comparing(BackendStatus::pool).thenComparing(BackendStatus::backend));
        return Future.succeededFuture(out);
    }

    /**
     * @param atLimit the backend has {@code circuit-breaker.max-requests} in flight from this node: picks skip it (the
     *                circuit breaker) until one ends
     */
    static BackendStatus.Passive passive(BackendState s, long now, boolean atLimit) {
        PassiveRecord p = s.passive();
        String state = s.ejected(now) ? "ejected" : atLimit ? "at-limit"
                : p.verdict(now).name().toLowerCase(Locale.ROOT).replace('_', '-');
        long recentFailures = p.recentFailures();
        return new BackendStatus.Passive(state, instant(p.lastSuccessMillis()), instant(p.lastFailureMillis()),
                p.lastFailureCause(), p.recentSuccesses() + recentFailures, recentFailures,
                p.windowed() ? WINDOW_SECONDS : 0, s.consecutiveFailures(), s.ejections(),
                s.ejected(now) ? Instant.ofEpochMilli(s.ejectedUntilMillis()) : null);
    }

    private static Instant instant(long millis) {
        return millis == 0 ? null : Instant.ofEpochMilli(millis);
    }
}
