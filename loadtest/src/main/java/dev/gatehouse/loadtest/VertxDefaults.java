package dev.gatehouse.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/** The Vert.x setup shared by the demo backends and the load generator: one event loop per core, epoll if present. */
final class VertxDefaults {

    private VertxDefaults() {
    }

    static int cores() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    static VertxOptions options() {
        return new VertxOptions()
                .setEventLoopPoolSize(cores())
                .setPreferNativeTransport(true);
    }

    /** A one-line description of the transport in use, for start-up banners. */
    static String transport(Vertx vertx) {
        if (vertx.isNativeTransportEnabled()) {
            return "native";
        }
        Throwable cause = vertx.unavailableNativeTransportCause();
        return "nio" + (cause == null ? "" : " (native unavailable: " + cause.getMessage() + ")");
    }
}
