package dev.gatehouse.app;

import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes share one view of backend health: each backend is probed by one node only, and what that node learns
 * reaches the other within a second.
 */
class ClusterHealthIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static final AtomicBoolean sick = new AtomicBoolean();
    static final AtomicInteger probes = new AtomicInteger();
    static HttpServer backend;
    static HttpServer spare;
    static final List<Node> nodes = new ArrayList<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        backend = TestNodes.await(vertx.createHttpServer().requestHandler(r -> {
            if (r.path().equals("/health")) {
                probes.incrementAndGet();
                r.response().setStatusCode(sick.get() ? 503 : 200).end();
            } else {
                r.response().end("main");
            }
        }).listen(0, "127.0.0.1"));
        spare = TestNodes.backend(vertx, "spare");
        List<Integer> ports = List.of(TestNodes.freePort(), TestNodes.freePort());
        String shared = "pools:\n  - name: p\n    slow-start: 0s\n"
                + "    health-check: { path: /health, interval: 200ms, timeout: 150ms, healthy-threshold: 1, unhealthy-threshold: 2 }\n"
                + "    backends: [ { url: \"http://127.0.0.1:" + backend.actualPort() + "\" },"
                + " { url: \"http://127.0.0.1:" + spare.actualPort() + "\" } ]\n"
                + "routes:\n  - { name: all, pool: p, match: { path-prefix: / } }\n";
        List<CompletableFuture<Node>> starting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String yaml = TestNodes.nodeYaml(dir.resolve("n" + i), ports.get(i), ports, shared);
            starting.add(CompletableFuture.supplyAsync(() -> TestNodes.start(yaml)));
        }
        starting.forEach(f -> nodes.add(f.join()));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 2);
    }

    @AfterAll
    static void stop() {
        nodes.forEach(TestNodes::stop);
        TestNodes.await(vertx.close());
    }

    static BackendState state(Node n) {
        return n.proxy.runtime().backendState("p", "127.0.0.1:" + backend.actualPort());
    }

    @Test
    void oneNodeProbesEachBackendAndBothLearnItsHealth() {
        // Probing is divided: two nodes probe the backend about as often as one would (every 200 ms), not twice.
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> true);
        int before = probes.get();
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
        int inThreeSeconds = probes.get() - before;
        assertThat(inThreeSeconds).as("probes in 3 s").isBetween(8, 20);

        sick.set(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> state(nodes.get(0)).health() == BackendState.Health.UNHEALTHY
                || state(nodes.get(1)).health() == BackendState.Health.UNHEALTHY);
        long firstSeen = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).until(() ->
                state(nodes.get(0)).health() == BackendState.Health.UNHEALTHY
                        && state(nodes.get(1)).health() == BackendState.Health.UNHEALTHY);
        System.out.printf("cluster health: the second node learned the verdict %d ms after the first%n",
                (System.nanoTime() - firstSeen) / 1_000_000);
        for (Node n : nodes) {
            for (int i = 0; i < 10; i++) {
                assertThat(TestNodes.get(n, "/x").body()).isEqualTo("spare");
            }
        }
        sick.set(false);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                state(nodes.get(0)).health() == BackendState.Health.HEALTHY
                        && state(nodes.get(1)).health() == BackendState.Health.HEALTHY);
    }

    @Test
    void anEjectionOnOneNodeReachesTheOther() {
        BackendState a = state(nodes.get(0));
        a.eject(System.currentTimeMillis() + 2_000, "test ejection");
        await().atMost(Duration.ofSeconds(1)).until(() -> state(nodes.get(1)).ejected(System.currentTimeMillis()));
        await().atMost(Duration.ofSeconds(5)).until(() -> !state(nodes.get(1)).ejected(System.currentTimeMillis()));
    }
}
