package dev.gatehouse.proxy.health;

import dev.gatehouse.config.HealthCheckConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

import java.util.concurrent.TimeUnit;

/** Healthy when a TCP connection to the backend opens within the timeout; the connection is closed at once. */
final class TcpHealthChecker implements HealthChecker {

    private final HealthCheckConfig config;
    private final NetClient client;

    TcpHealthChecker(Vertx vertx, HealthCheckConfig config) {
        this.config = config;
        this.client = vertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) config.timeout().toMillis()));
    }

    @Override
    public Future<Void> check(Backend backend) {
        return client.connect(backend.port(), backend.host())
                .compose(socket -> socket.close())
                .timeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Future<Void> close() {
        return client.close();
    }
}
