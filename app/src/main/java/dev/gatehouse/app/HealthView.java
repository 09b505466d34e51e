package dev.gatehouse.app;

import dev.gatehouse.admin.BackendStatus;
import dev.gatehouse.admin.HealthPort;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Backend states as this node sees them, for {@code GET /api/v1/health}. */
final class HealthView implements HealthPort {

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
        for (BackendState s : runtime.backendStates()) {
            out.add(new BackendStatus(s.pool(), s.backend(), s.describe(now), node, s.since(), s.cause(),
                    runtime.activeRequests(s.pool(), s.backend())));
        }
        out.sort(Comparator.comparing(BackendStatus::pool).thenComparing(BackendStatus::backend));
        return Future.succeededFuture(out);
    }
}
