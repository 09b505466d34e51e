package dev.gatehouse.proxy;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A Vert.x instance, real backends and the proxy in front of them, from a YAML config in which {@code ${b0}},
 * {@code ${b1}}… stand for the backends' URLs. The listener named {@code public} is bound on an ephemeral port.
 */
final class ProxyHarness implements AutoCloseable {

    final Vertx vertx;
    final TestBackend[] backends;
    final GatehouseProxy proxy;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ProxyHarness(Vertx vertx, TestBackend[] backends, GatehouseProxy proxy) {
        this.vertx = vertx;
        this.backends = backends;
        this.proxy = proxy;
    }

    static ProxyHarness start(int backendCount, String yaml) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
        TestBackend[] backends = new TestBackend[backendCount];
        String text = yaml;
        for (int i = 0; i < backendCount; i++) {
            backends[i] = TestBackend.start(vertx, "b" + i);
            text = text.replace("${b" + i + "}", backends[i].url());
        }
        GatehouseConfig config = ConfigParser.parse(text);
        GatehouseProxy proxy = Await.result(GatehouseProxy.start(vertx, config));
        return new ProxyHarness(vertx, backends, proxy);
    }

    /** A one-pool, one-route config over {@code n} backends with the given pool and route extras. */
    static String simple(int n, String poolExtra, String routeExtra) {
        StringBuilder sb = new StringBuilder();
        sb.append("listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n");
        sb.append("pools:\n  - name: p\n").append(indent(poolExtra, 4)).append("    backends:\n");
        for (int i = 0; i < n; i++) {
            sb.append("      - { url: \"${b").append(i).append("}\" }\n");
        }
        sb.append("routes:\n  - name: r\n    pool: p\n    match: { path-prefix: / }\n").append(indent(routeExtra, 4));
        return sb.toString();
    }

    private static String indent(String s, int n) {
        if (s == null || s.isBlank()) {
            return "";
        }
        String pad = " ".repeat(n);
        StringBuilder sb = new StringBuilder();
        for (String line : s.split("\n")) {
            sb.append(pad).append(line).append('\n');
        }
        return sb.toString();
    }

    int port() {
        return proxy.port("public");
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15)).GET().build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        Await.result(vertx.close());
    }
}
