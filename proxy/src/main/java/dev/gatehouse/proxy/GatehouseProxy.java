package dev.gatehouse.proxy;

import dev.gatehouse.proxy.route.FilterUpkeepVerticle;
import dev.gatehouse.proxy.health.HealthCheckVerticle;
import dev.gatehouse.proxy.health.HealthSignals;
import dev.gatehouse.proxy.health.OutlierDetector;
import dev.gatehouse.proxy.listener.ListenerTls;
import dev.gatehouse.proxy.listener.ProxyVerticle;
import dev.gatehouse.proxy.observe.AccessLog;
import dev.gatehouse.proxy.observe.CacheFigures;
import dev.gatehouse.proxy.observe.ExchangeObserver;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.proxy.cache.LocalMissCollapsing;
import dev.gatehouse.proxy.cache.LocalResponseStore;
import dev.gatehouse.proxy.cache.ResponseCache;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The data plane of one node: its listeners on every event loop, sharing one {@link ProxyRuntime}.
 *
 * <p>{@link #start} binds the listeners once on one event loop (resolving port 0), then on the others at the
 * same ports, so tests can use ephemeral ports and production gets one accept queue per core.
 */
public final class GatehouseProxy {

    static {
        // Before any handshake in this JVM, even one of a TLS backend or test server (see ServerTls).
        dev.gatehouse.tls.ClientRenegotiation.refuse();
    }

    private final Vertx vertx;
    private final ProxyRuntime runtime;
    private final List<String> deployments;
    private final List<ProxyVerticle> listeners;
    private final ListenerSet listenerSet;

    private GatehouseProxy(Vertx vertx, ProxyRuntime runtime, List<String> deployments, List<ProxyVerticle> listeners,
                           ListenerSet listenerSet) {
        this.vertx = vertx;
        this.runtime = runtime;
        this.deployments = deployments;
        this.listeners = listeners;
        this.listenerSet = listenerSet;
    }

    /** Starts the listeners of {@code config} with a new runtime at version 1. */
    public static Future<GatehouseProxy> start(Vertx vertx, GatehouseConfig config) {
        return start(vertx, config, new ProxyRuntime(config.shared(), 1), null);
    }

    /**
     * Starts the listeners of {@code config} serving {@code runtime}.
     *
     * @param tls builds a listener's server TLS options; {@code null} when no listener uses TLS
     */
    public static Future<GatehouseProxy> start(Vertx vertx, GatehouseConfig config, ProxyRuntime runtime,
                                               ListenerTls tls) {
        return start(vertx, config, runtime, tls, null, null);
    }

    /**
     * Starts the listeners of {@code config} serving {@code runtime}, observed by the request-path meters and the
     * access log.
     *
     * @param tls       builds a listener's server TLS options; {@code null} when no listener uses TLS
     * @param metrics   records every exchange and connection; {@code null} for none
     * @param accessLog gets every finished exchange; {@code null} when the access log is off
     */
    public static Future<GatehouseProxy> start(Vertx vertx, GatehouseConfig config, ProxyRuntime runtime,
                                               ListenerTls tls, ProxyMetrics metrics, AccessLog accessLog) {
        List<ExchangeObserver> observers = new ArrayList<>();
        if (metrics != null) {
            observers.add(metrics);
        }
        if (accessLog != null) {
            observers.add(accessLog);
        }
        ExchangeObserver observer = ExchangeObserver.of(observers);
        if (runtime.responseCache() == null) {
            // No cluster store was given: this node caches in its own memory.
            dev.gatehouse.config.CacheConfig c = config.shared().cache() != null ? config.shared().cache()
                    : dev.gatehouse.config.CacheConfig.DEFAULT;
            LocalResponseStore store = new LocalResponseStore(c.maxSize().bytes(), c.maxEntrySize().bytes());
            runtime.responseCache(new ResponseCache(store, new LocalMissCollapsing(vertx)));
            if (metrics != null) {
                metrics.bindCacheFigures(new CacheFigures() {
                    @Override
                    public long entries() {
                        return store.entries();
                    }

                    @Override
                    public long bytes() {
                        return store.bytes();
                    }

                    @Override
                    public long evictions() {
                        return store.evictions();
                    }
                });
            }
        }
        int loops = eventLoops(vertx);
        boolean compression = config.routes().stream().anyMatch(RouteConfig::compression);
        HealthSignals health = new OutlierDetector(runtime);
        List<ProxyVerticle> instances = new java.util.concurrent.CopyOnWriteArrayList<>();
        // Health checks and filter upkeep first (their own verticles, off the request path), then one listener
        // instance per event loop, then every listener bound on each of them (the first resolves port 0, the others
        // bind the port it got).
        return vertx.deployVerticle(new HealthCheckVerticle(runtime))
                .compose(healthId -> vertx.deployVerticle(new FilterUpkeepVerticle(runtime))
                        .map(upkeepId -> List.of(healthId, upkeepId)))
                .compose(support -> vertx.deployVerticle(() -> {
                            ProxyVerticle v = new ProxyVerticle(runtime, compression, loops, health, observer, metrics);
                            instances.add(v);
                            return v;
                        }, new DeploymentOptions().setInstances(loops))
                        .compose(id -> {
                            List<String> deployments = List.of(support.get(0), support.get(1), id);
                            return ListenerSet.open(List.copyOf(instances), config.listeners(), tls, metrics)
                                    .map(set -> new GatehouseProxy(vertx, runtime, deployments, List.copyOf(instances),
                                            set))
                                    .recover(err -> undeploy(vertx, deployments)
                                            .transform(ar -> Future.failedFuture(err)));
                        }));
    }

    private static Future<Void> undeploy(Vertx vertx, List<String> deployments) {
        List<Future<Void>> undeploy = new ArrayList<>();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            undeploy.add(vertx.undeploy(deployments.get(i)));
        }
        return Future.all(undeploy).mapEmpty();
    }

    private static int eventLoops(Vertx vertx) {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public ProxyRuntime runtime() {
        return runtime;
    }

    /** The port each listener bound, by listener name. */
    public Map<String, Integer> ports() {
        return listenerSet.ports();
    }

    public int port(String listener) {
        return listenerSet.ports().get(listener);
    }

    /** The listeners serving now, changed while the node runs with {@link ListenerSet#reconfigure}. */
    public ListenerSet listenerSet() {
        return listenerSet;
    }

    /**
     * Stops accepting, lets the requests in flight finish for at most {@code grace} (each connection closes once its
     * request is answered), then stops like {@link #close()}.
     */
    public Future<Void> shutdown(java.time.Duration grace) {
        for (ProxyVerticle v : listeners) {
            v.shutdownGrace(grace);
        }
        return close();
    }

    /** Stops at once: connections are closed with whatever they had in flight. */
    public Future<Void> close() {
        return undeploy(vertx, deployments);
    }
}
