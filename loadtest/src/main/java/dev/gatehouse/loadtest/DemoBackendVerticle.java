package dev.gatehouse.loadtest;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.util.concurrent.atomic.AtomicBoolean;

/** One HTTP server of a demo backend; a backend deploys one instance per event loop on the same port. */
final class DemoBackendVerticle extends VerticleBase {

    private final String name;
    private final String host;
    private final int port;
    private final AtomicBoolean healthy;
    private final Payloads payloads;
    private HttpServer server;
    private volatile int actualPort = -1;

    DemoBackendVerticle(String name, String host, int port, AtomicBoolean healthy, Payloads payloads) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.healthy = healthy;
        this.payloads = payloads;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setHttp2ClearTextEnabled(true)
                .setHandle100ContinueAutomatically(true)
                .setTcpNoDelay(true);
        server = vertx.createHttpServer(options)
                .requestHandler(new DemoBackendHandler(vertx, name, healthy, payloads));
        return server.listen().map(s -> {
            actualPort = s.actualPort();
            return s;
        });
    }

    @Override
    public Future<?> stop() {
        return server.close();
    }

    /** The port this server is bound to; -1 before it has started. */
    int actualPort() {
        return actualPort;
    }
}
