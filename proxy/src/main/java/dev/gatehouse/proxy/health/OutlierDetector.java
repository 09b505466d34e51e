package dev.gatehouse.proxy.health;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.OutlierDetectionConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health (Envoy's outlier detection): a backend that fails {@code consecutive-failures} requests in a row
 * is ejected for {@code base-ejection} × the number of times it has been ejected, capped at {@code max-ejection}.
 * It comes back on its own when the ejection runs out.
 */
public final class OutlierDetector implements HealthSignals {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.health");

    private final ProxyRuntime runtime;

    public OutlierDetector(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void success(Backend backend) {
        BackendState state = backend.state();
        state.recordSuccess();
        state.passive().success();
    }

    @Override
    public void failure(Backend backend, String cause) {
        BackendState state = backend.state();
        state.passive().failure(cause);
        int run = state.recordFailure();
        BackendPool pool = runtime.current().pools().get(backend.pool());
        OutlierDetectionConfig od = pool == null ? null : pool.config.outlierDetection();
        if (od == null || run < od.consecutiveFailures()) {
            return;
        }
        long now = System.currentTimeMillis();
        if (state.ejected(now)) {
            return;
        }
        state.recordSuccess();
        long millis = Math.min(od.baseEjection().toMillis() * (state.ejections() + 1), od.maxEjection().toMillis());
        state.eject(now + millis, run + " consecutive failures, last: " + cause);
        LOG.warn("backend {} ejected for {}ms after {} consecutive failures (last: {})", backend, millis, run, cause);
    }
}
