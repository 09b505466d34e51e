package dev.gatehouse.proxy;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

/**
 * The entry point of the request path for one listener on one event loop: pins the current snapshot and hands the
 * request to a new {@link Exchange}.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {

    final Vertx vertx;
    final ProxyRuntime runtime;
    final ListenerSettings listener;
    final UpstreamClients clients;
    final HealthSignals health;

    ProxyHandler(Vertx vertx, ProxyRuntime runtime, ListenerSettings listener, UpstreamClients clients,
                 HealthSignals health) {
        this.vertx = vertx;
        this.runtime = runtime;
        this.listener = listener;
        this.clients = clients;
        this.health = health;
    }

    @Override
    public void handle(HttpServerRequest request) {
        // Nothing of the body is read until a backend is ready to take it (backpressure from the first byte).
        request.pause();
        new Exchange(this, request, runtime.current()).start();
    }
}
