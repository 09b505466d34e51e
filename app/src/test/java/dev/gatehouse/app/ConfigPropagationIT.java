package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 20 admin writes on a three-node cluster while clients send steady traffic to all three nodes: every write
 * reaches every node, and no client request fails. Prints the write-to-applied times (a measurement for the
 * record, not an assertion: timing assertions on a shared 2-core machine only flake).
 */
class ConfigPropagationIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static HttpServer one;
    static HttpServer two;
    static final List<Node> nodes = new ArrayList<>();
    /** version → node index → nanoTime when that node's runtime swapped to it. */
    static final Map<Long, Map<Integer, Long>> applied = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        one = TestNodes.backend(vertx, "one");
        two = TestNodes.backend(vertx, "two");
        List<Integer> ports = List.of(TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort());
        String shared = "pools:\n  - name: p\n    balancer: weighted-round-robin\n    backends: [ { url: \"http://127.0.0.1:"
                + one.actualPort() + "\" }, { url: \"http://127.0.0.1:" + two.actualPort() + "\" } ]\n"
                + "routes:\n  - { name: all, pool: p, match: { path-prefix: / } }\n";
        List<CompletableFuture<Node>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String yaml = TestNodes.nodeYaml(dir.resolve("n" + i), ports.get(i), ports, shared);
            starting.add(CompletableFuture.supplyAsync(() -> TestNodes.start(yaml)));
        }
        starting.forEach(f -> nodes.add(f.join()));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 3);
        for (int i = 0; i < nodes.size(); i++) {
            int index = i;
            nodes.get(i).proxy.runtime().onApplied(v ->
                    applied.computeIfAbsent(v, k -> new ConcurrentHashMap<>()).put(index, System.nanoTime()));
        }
    }

    @AfterAll
    static void stop() {
        nodes.forEach(TestNodes::stop);
        TestNodes.await(vertx.close());
    }

    @Test
    void twentyWritesUnderLoadReachEveryNodeWithoutFailingARequest() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ok = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Node target = nodes.get(c % nodes.size());
            Thread t = new Thread(() -> {
                URI uri = URI.create("http://127.0.0.1:" + target.proxy.port("public") + "/steady");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (running.get() && System.nanoTime() < deadline) {
                    try {
                        HttpResponse<String> r = TestNodes.send(HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(5)).build());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        List<Double> allNodesMillis = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Node writer = nodes.get(i % 3);
            String body = i % 2 == 0
                    ? "{\"name\":\"r" + i + "\",\"pool\":\"p\",\"match\":{\"path-prefix\":\"/r" + i + "/\"}}"
                    : null;
            long t0 = System.nanoTime();
            HttpResponse<String> r = body != null
                    ? TestNodes.put(writer, "/routes/r" + i + "?position=0", body, null)
                    : TestNodes.put(writer, "/pools/p/backends/127.0.0.1:" + two.actualPort(),
                    "{\"url\":\"http://127.0.0.1:" + two.actualPort() + "\",\"weight\":" + (i + 1) + "}", null);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
            long version = new io.vertx.core.json.JsonObject(r.body()).getLong("version");
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    applied.getOrDefault(version, Map.of()).size() == 3);
            long last = Collections.max(applied.get(version).values());
            allNodesMillis.add((last - t0) / 1e6);
        }
        running.set(false);
        for (Thread t : clients) {
            t.join(10_000);
        }
        Collections.sort(allNodesMillis);
        System.out.printf("config propagation over 20 writes, 3 nodes: write-to-applied-on-all median %.1f ms,"
                        + " max %.1f ms; client requests during the writes: %d ok, %d failed%n",
                allNodesMillis.get(10), allNodesMillis.get(19), ok.get(), failures.size());
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isPositive();
        for (Node n : nodes) {
            assertThat(TestNodes.get(n, "/r18/x").statusCode()).isEqualTo(200);
        }
    }
}
