package dev.gatehouse.app;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Real nodes (Vert.x + Hazelcast member + proxy + admin API) and real backends, all on 127.0.0.1. */
final class TestNodes {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The write token of {@link #nodeYaml}'s admin API (the admin API takes no write without one). */
    static final String WRITE_TOKEN = "it-writer";
    /** {@code admin:} of a node config: ephemeral port, {@link #WRITE_TOKEN}. */
    static final String ADMIN_YAML = "admin: { host: 127.0.0.1, port: 0, tokens: [ { name: it, token-sha256: "
            + ObservabilityIT.sha256(WRITE_TOKEN) + ", role: write } ] }\n";

    private TestNodes() {
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new RuntimeException(e.getCause());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** A free loopback port for Hazelcast, whose member list needs ports known in advance. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A backend answering every request with its name in the body, e.g. {@code "one"}. */
    static HttpServer backend(Vertx vertx, String name) {
        return await(vertx.createHttpServer().requestHandler(r -> r.response().end(name)).listen(0, "127.0.0.1"));
    }

    /** The cluster secret every test node shares (a real cluster gets it from a file only its nodes can read). */
    static final String SECRET = "test-cluster-secret-0123456789abcdef-0123456789";

    /** A secret file (mode 0600) next to {@code dir}, for {@code cluster.secret-file}. */
    static Path secretFile(Path dir, String secret) {
        try {
            Path f = dir.toAbsolutePath().resolveSibling(dir.getFileName() + ".secret");
            java.nio.file.Files.writeString(f, secret + "\n");
            java.nio.file.Files.setPosixFilePermissions(f,
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One node's config: listener and admin on ephemeral ports, cluster over the given member ports. */
    static String nodeYaml(Path dataDir, int clusterPort, List<Integer> memberPorts, String shared) {
        String members = memberPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(", "));
        return "data-dir: " + dataDir + "\n"
                + "cluster: { name: it-" + memberPorts.get(0) + ", host: 127.0.0.1, port: " + clusterPort
                + ", members: [" + members + "], secret-file: \"" + secretFile(dataDir, SECRET) + "\" }\n"
                + "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + ADMIN_YAML
                + shared;
    }

    static String sharedYaml(int backendPort, String extraRoutes) {
        return "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + backendPort + "\" } ]\n"
                + "routes:\n" + extraRoutes
                + "  - { name: all, pool: p, match: { path-prefix: / } }\n";
    }

    static Node start(String yaml) {
        GatehouseConfig config = ConfigParser.parse(yaml);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        try {
            return await(Node.start(vertx, config, false));
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    static void stop(Node node) {
        await(node.stop());
        await(node.vertx.close());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static HttpResponse<String> get(Node node, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.proxy.port("public") + path))
                .timeout(Duration.ofSeconds(10)).build());
    }

    static URI admin(Node node, String path) {
        return URI.create("http://127.0.0.1:" + node.admin.actualPort() + "/api/v1" + path);
    }

    static HttpResponse<String> put(Node node, String path, String json, String ifMatch) {
        HttpRequest.Builder b = HttpRequest.newBuilder(admin(node, path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + WRITE_TOKEN)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        return send(b.build());
    }

    static HttpResponse<String> adminGet(Node node, String path) {
        return send(HttpRequest.newBuilder(admin(node, path)).header("Authorization", "Bearer " + WRITE_TOKEN)
                .timeout(Duration.ofSeconds(20)).build());
    }
}
