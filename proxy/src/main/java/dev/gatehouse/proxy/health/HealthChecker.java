package dev.gatehouse.proxy.health;

import dev.gatehouse.config.HealthCheckConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** One active probe of a backend. The future fails with the reason when the backend is not healthy. */
interface HealthChecker {

    Future<Void> check(Backend backend);

    /** Closes what the checker holds open (clients, connections). */
    default Future<Void> close() {
        return Future.succeededFuture();
    }

    /** @param pool the probed pool: its {@code tls} decides how https:// backends are verified */
    static HealthChecker of(Vertx vertx, HealthCheckConfig config, PoolConfig pool) {
        return "tcp".equals(config.type()) ? new TcpHealthChecker(vertx, config)
                : new HttpHealthChecker(vertx, config, pool);
    }
}
