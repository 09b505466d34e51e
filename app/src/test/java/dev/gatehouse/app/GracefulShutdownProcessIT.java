package dev.gatehouse.app;

import dev.gatehouse.app.GatehouseProcesses.GatehouseProcess;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM on a node process of a two-node cluster: {@code /readyz} answers 503 at once while the listener still
 * serves for {@code shutdown.readiness-delay}, a request in flight when the listener closes is drained, the process
 * exits 0, and the surviving member keeps the config version and the cache entries (no origin refetch). Then two
 * SIGTERMs on the survivor: the second exits at once.
 */
class GracefulShutdownProcessIT {

    @TempDir
    Path dir;
    Vertx vertx;
    io.vertx.core.http.HttpClient client;
    GatehouseProcesses cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
    }

    static HttpResponse<String> get(URI uri) {
        return TestNodes.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build());
    }

    /**
     * A GET through node {@code n} with {@code Host: cache.test}: the cache key holds the authority, which must not
     * differ by the node's port. Status and body.
     */
    String cached(GatehouseProcess n, String path) {
        io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions()
                .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(n.listenerPort, "127.0.0.1"))
                .setHost("cache.test").setPort(80).setURI(path).setTimeout(20_000);
        return TestNodes.await(client.request(o).compose(req -> req.send()
                .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b))));
    }

    static HttpResponse<String> readyz(GatehouseProcess n) {
        return get(URI.create("http://127.0.0.1:" + n.adminPort + "/readyz"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // two JVMs start on a loaded machine; the leave itself is bounded
    void aSigtermedNodeFailsReadinessKeepsServingDrainsLeavesCleanlyAndExitsZero() throws Exception {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
        AtomicInteger originRequests = new AtomicInteger();
        HttpServer origin = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
            if (req.path().startsWith("/slower/")) { // in flight when the listener stops accepting
                vertx.setTimer(3000, id -> req.response().end("slow done"));
                return;
            }
            originRequests.incrementAndGet();
            req.response().putHeader("Cache-Control", "max-age=300").end("origin says " + req.path());
        }).listen(0, "127.0.0.1"));
        String shared = "shutdown: { readiness-delay: 3s, drain-timeout: 10s }\n" // node-local, beside the shared part
                + "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + origin.actualPort() + "\" } ]\n"
                + "routes:\n  - { name: slow, pool: p, match: { path-prefix: /slow/ } }\n"
                + "  - { name: cached, pool: p, match: { path-prefix: / }, cache: { enabled: true } }\n";
        cluster = GatehouseProcesses.start(dir, 2, shared);
        GatehouseProcess survivor = cluster.node(0);
        GatehouseProcess leaver = cluster.node(1);

        // Data the leaver holds a share of: cache entries and a config version written through it.
        for (int i = 0; i < 20; i++) {
            assertThat(cached(leaver, "/c/" + i)).isEqualTo("200 origin says /c/" + i);
        }
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> new io.vertx.core.json
                .JsonObject(GatehouseProcesses.adminGet(survivor, "/cache").body()).getLong("entries") >= 20);
        HttpResponse<String> config = GatehouseProcesses.adminGet(leaver, "/config");
        HttpResponse<String> written = TestNodes.send(HttpRequest.newBuilder(leaver.admin("/config"))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                .header("Content-Type", "application/json")
                .header("If-Match", config.headers().firstValue("ETag").orElseThrow())
                .PUT(HttpRequest.BodyPublishers.ofString(config.body().replace("/slow/", "/slower/"))).build());
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        String version = written.headers().firstValue("ETag").orElseThrow();
        assertThat(readyz(leaver).statusCode()).isEqualTo(200);

        long sigterm = System.nanoTime();
        leaver.process.destroy(); // SIGTERM

        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> readyz(leaver).statusCode() == 503);
        assertThat(readyz(leaver).body()).contains("shutdown: leaving");
        // Still within the readiness delay: a new request is served, and a slow one will be in flight at the close.
        CompletableFuture<HttpResponse<String>> inFlight = TestNodes.HTTP.sendAsync(
                // HTTP/1.1: JDK 17's client fails every stream of an HTTP/2 connection on GOAWAY (JDK-8335181).
                HttpRequest.newBuilder(leaver.url("/slower/x")).version(java.net.http.HttpClient.Version.HTTP_1_1)
                        .timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> during = get(leaver.url("/c/during"));
        assertThat(during.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - sigterm)).isLessThan(Duration.ofSeconds(3));

        assertThat(inFlight.get(20, TimeUnit.SECONDS).body()).isEqualTo("slow done");
        assertThat(leaver.process.waitFor(30, TimeUnit.SECONDS)).as(leaver.log()).isTrue();
        assertThat(leaver.process.exitValue()).as(leaver.log()).isZero();
        assertThat(leaver.log()).contains("leaving (1/4)", "leaving (2/4)", "leaving (3/4)", "leaving (4/4)");

        // The survivor alone, with everything: the config version and every cache entry (no origin refetch).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)) // the view is read-memoized
                .until(() -> cluster.clusterSize(survivor) == 1);
        assertThat(GatehouseProcesses.adminGet(survivor, "/config").headers().firstValue("ETag")).contains(version);
        int before = originRequests.get();
        for (int i = 0; i < 20; i++) {
            assertThat(cached(survivor, "/c/" + i)).isEqualTo("200 origin says /c/" + i);
        }
        assertThat(originRequests.get()).isEqualTo(before);

        // Two SIGTERMs: the second exits at once, within the first's readiness delay.
        survivor.process.destroy();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> survivor.log().contains("leaving (1/4)"));
        long second = System.nanoTime();
        survivor.process.destroy();
        assertThat(survivor.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - second)).isLessThan(Duration.ofSeconds(2));
        assertThat(survivor.process.exitValue()).isEqualTo(1);
        assertThat(survivor.log()).contains("second SIGTERM while leaving: exiting now")
                .doesNotContain("leaving (2/4)");
    }
}
