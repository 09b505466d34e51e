package dev.gatehouse.app;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.proxy.GatehouseProxy;
import dev.gatehouse.proxy.ProxyRuntime;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** One Gatehouse node: Vert.x, the data plane and the control plane, wired from a config file. */
final class Node {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse");

    final Vertx vertx;
    final GatehouseConfig config;
    final GatehouseProxy proxy;

    private Node(Vertx vertx, GatehouseConfig config, GatehouseProxy proxy) {
        this.vertx = vertx;
        this.config = config;
        this.proxy = proxy;
    }

    static Vertx newVertx() {
        VertxOptions options = new VertxOptions()
                .setPreferNativeTransport(true)
                .setEventLoopPoolSize(Runtime.getRuntime().availableProcessors());
        Vertx vertx = Vertx.vertx(options);
        if (!vertx.isNativeTransportEnabled()) {
            LOG.info("native transport unavailable ({}); using NIO", vertx.unavailableNativeTransportCause());
        }
        return vertx;
    }

    /** Starts a node from a validated config; fails if a listener cannot bind. */
    static Future<Node> start(Vertx vertx, GatehouseConfig config) {
        ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
        return GatehouseProxy.start(vertx, config, runtime, null)
                .map(proxy -> {
                    for (ListenerConfig l : config.listeners()) {
                        LOG.info("listener {} on {}://{}:{}", l.name(), l.isTls() ? "https" : "http", l.host(),
                                proxy.port(l.name()));
                    }
                    return new Node(vertx, config, proxy);
                });
    }

    /** {@code gatehouse run}: blocks the main thread only while starting; the event loops keep the JVM up. */
    static int run(Args args, PrintStream err) {
        GatehouseConfig config = ConfigParser.readFile(Path.of(args.required("--config")));
        Vertx vertx = newVertx();
        try {
            Node node = start(vertx, config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Runtime.getRuntime().addShutdownHook(new Thread(node::shutdown, "gatehouse-shutdown"));
            LOG.info("gatehouse started (config version {})", node.proxy.runtime().version());
            return -1;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            err.println("gatehouse: could not start: " + cause.getMessage());
            vertx.close();
            return 1;
        }
    }

    void shutdown() {
        LOG.info("shutting down: closing listeners, letting requests in flight finish");
        try {
            proxy.close().compose(v -> vertx.close()).toCompletionStage().toCompletableFuture()
                    .get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown did not complete cleanly: {}", e.toString());
        }
    }
}
