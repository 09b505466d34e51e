package dev.gatehouse.loadtest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * N demo HTTP backends named {@code backend-1..N}, for demos, tests and benchmarks of a proxy in front of them.
 * Each backend is a real Vert.x HTTP server (HTTP/1.1 and h2c) with one server instance per core, all sharing
 * its port; the endpoints are listed on {@link DemoBackendHandler}: {@code GET /}, {@code /bytes/{n}},
 * {@code /health} (+ {@code POST /admin/sick}, {@code /admin/well}), {@code /delay/{ms}}, {@code /status/{code}},
 * {@code POST|PUT /echo}, {@code /headers}, {@code /ws}. Every response carries {@code X-Backend: backend-N}.
 *
 * <pre>{@code
 * DemoBackends backends = DemoBackends.start(vertx, List.of(0, 0, 0)).await();   // ephemeral ports
 * backends.stop(1);          // backend-2 goes away (connections refused) ...
 * backends.start(1);         // ... and comes back on the same port
 * backends.close();
 * }</pre>
 *
 * <p>Indexes are 0-based: index {@code i} is {@code backend-(i+1)}. The methods may be called from any thread;
 * calls for the same index must not overlap (wait for the returned future).
 */
public final class DemoBackends {

    /** The address backends bind to unless told otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    private static final AtomicInteger EPHEMERAL_KEYS = new AtomicInteger(1000);

    private final Vertx vertx;
    private final String host;
    private final int instances;
    private final Payloads payloads = new Payloads();
    private final List<Backend> backends = new ArrayList<>();

    private DemoBackends(Vertx vertx, String host, List<Integer> ports) {
        this.vertx = vertx;
        this.host = host;
        this.instances = VertxDefaults.cores();
        for (int i = 0; i < ports.size(); i++) {
            backends.add(new Backend("backend-" + (i + 1), ports.get(i)));
        }
    }

    /**
     * Starts one backend per entry of {@code ports} on {@value #DEFAULT_HOST}.
     *
     * @param ports the port of each backend; 0 picks an ephemeral port (see {@link #ports()})
     * @return the running backends, or a failure (for example a port in use) after stopping those that started
     */
    public static Future<DemoBackends> start(Vertx vertx, List<Integer> ports) {
        return start(vertx, DEFAULT_HOST, ports);
    }

    /** As {@link #start(Vertx, List)}, binding {@code host}. */
    public static Future<DemoBackends> start(Vertx vertx, String host, List<Integer> ports) {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(ports, "ports");
        for (Integer port : ports) {
            if (port == null || port < 0 || port > 65535) {
                return Future.failedFuture(new IllegalArgumentException("port: " + port + " (expected: 0..65535)"));
            }
        }
        DemoBackends backends = new DemoBackends(vertx, host, ports);
        List<Future<Void>> started = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            started.add(backends.start(i));
        }
        return Future.join(started)
                .map(backends)
                .recover(err -> backends.close().transform(ignored -> Future.failedFuture(err)));
    }

    /** How many backends there are. */
    public int size() {
        return backends.size();
    }

    /** The name of backend {@code index}: {@code backend-(index+1)}. */
    public String name(int index) {
        return backend(index).name;
    }

    /** The bound port of each backend, in order (ephemeral ports resolved); a backend keeps its port on restart. */
    public List<Integer> ports() {
        return backends.stream().map(b -> b.port).toList();
    }

    /** {@code http://host:port} of each backend, in order. */
    public List<String> urls() {
        return backends.stream().map(b -> "http://" + host + ":" + b.port).toList();
    }

    /** Whether backend {@code index} is serving. */
    public boolean isRunning(int index) {
        return !backend(index).deployments.isEmpty();
    }

    /** Makes {@code /health} of backend {@code index} answer 200 ({@code true}) or 503 ({@code false}). */
    public void setHealthy(int index, boolean healthy) {
        backend(index).healthy.set(healthy);
    }

    /** Stops backend {@code index}: its port closes and new connections are refused. No-op if stopped. */
    public Future<Void> stop(int index) {
        Backend b = backend(index);
        List<String> ids = List.copyOf(b.deployments);
        b.deployments.clear();
        List<Future<Void>> undeployed = ids.stream().map(vertx::undeploy).toList();
        return Future.join(undeployed).mapEmpty();
    }

    /** (Re)starts backend {@code index} on its port. No-op if it is running. */
    public Future<Void> start(int index) {
        Backend b = backend(index);
        if (!b.deployments.isEmpty()) {
            return Future.succeededFuture();
        }
        // One server per event loop, all on one port. Vert.x shares a port among servers only when it is fixed
        // (> 0) or the same negative number, which binds one random port for all; port 0 would give each its own.
        int bindPort = b.port > 0 ? b.port : -EPHEMERAL_KEYS.incrementAndGet();
        AtomicReference<DemoBackendVerticle> last = new AtomicReference<>();
        DeploymentOptions options = new DeploymentOptions().setInstances(instances);
        return vertx.deployVerticle(() -> {
                    DemoBackendVerticle v = new DemoBackendVerticle(b.name, host, bindPort, b.healthy, payloads);
                    last.set(v);
                    return v;
                }, options)
                .map(id -> {
                    b.deployments.add(id);
                    b.port = last.get().actualPort();
                    return (Void) null;
                })
                .recover(err -> Future.failedFuture(new IllegalStateException(
                        b.name + " could not listen on " + host + ":" + b.port + ": " + err.getMessage(), err)));
    }

    /** Stops every backend. The {@link Vertx} instance is left running: it belongs to the caller. */
    public Future<Void> close() {
        List<Future<Void>> stopped = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            stopped.add(stop(i));
        }
        return Future.join(stopped).mapEmpty();
    }

    private Backend backend(int index) {
        if (index < 0 || index >= backends.size()) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0.." + (backends.size() - 1) + ")");
        }
        return backends.get(index);
    }

    private static final class Backend {
        final String name;
        final AtomicBoolean healthy = new AtomicBoolean(true);
        final List<String> deployments = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile int port;

        Backend(String name, int port) {
            this.name = name;
            this.port = port;
        }
    }
}
