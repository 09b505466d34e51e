package dev.gatehouse.proxy.listener;

import dev.gatehouse.config.ListenerConfig;
import io.vertx.core.http.HttpServerOptions;

/** Configures TLS (key managers, trust, protocols) on the server options of a TLS listener. */
@FunctionalInterface
public interface ListenerTls {

    void configure(ListenerConfig listener, HttpServerOptions options);
}
