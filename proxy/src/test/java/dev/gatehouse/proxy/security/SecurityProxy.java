package dev.gatehouse.proxy.security;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.GatehouseProxy;
import dev.gatehouse.proxy.PrometheusText;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real proxy (with its Prometheus meters) in front of one {@link RecordingBackend}, from a YAML config in which
 * {@code ${backend}} stands for the backend's URL. Routes under {@code /full/} carry a {@code headers} filter, so
 * they take the full path; everything else without filters is eligible for the fast path.
 */
final class SecurityProxy implements AutoCloseable {

    final RecordingBackend backend;
    final Vertx vertx;
    final GatehouseProxy proxy;
    final PrometheusMeterRegistry registry;

    private SecurityProxy(RecordingBackend backend, Vertx vertx, GatehouseProxy proxy, PrometheusMeterRegistry registry) {
        this.backend = backend;
        this.vertx = vertx;
        this.proxy = proxy;
        this.registry = registry;
    }

    static SecurityProxy start(String yaml) {
        RecordingBackend backend = RecordingBackend.start();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
        GatehouseConfig config = ConfigParser.parse(yaml.replace("${backend}", backend.url()));
        ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyMetrics metrics = new ProxyMetrics(registry, runtime, ProxyMetrics.Settings.DEFAULT);
        GatehouseProxy proxy = await(GatehouseProxy.start(vertx, config, runtime, null, metrics, null));
        return new SecurityProxy(backend, vertx, proxy, registry);
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int port() {
        return proxy.port("public");
    }

    int port(String listener) {
        return proxy.port(listener);
    }

    PrometheusText metrics() {
        return PrometheusText.parse(registry.scrape());
    }

    /** Requests the proxy holds open (listener side) plus requests to backends still active. */
    double inFlight() {
        PrometheusText m = metrics();
        return m.sum("gatehouse_listener_requests_active") + m.sum("gatehouse_backend_active_requests");
    }

    @Override
    public void close() {
        try {
            await(vertx.close());
        } finally {
            backend.close();
        }
    }
}
