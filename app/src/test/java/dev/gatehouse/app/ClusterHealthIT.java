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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes share one view of backend health: each backend is probed by one node only, and what that node learns
 * reaches the other (typically within a second; the waits here are generous so a loaded machine
 * does not fail them).
 */
class ClusterHealthIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static final AtomicBoolean sick = new AtomicBoolean();
    /** When each probe reached the backend (System.nanoTime). */
    static final List<Long> probes = new CopyOnWriteArrayList<>();
    static HttpServer backend;
    static HttpServer spare;
    static final List<Node> nodes = new ArrayList<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        backend = TestNodes.await(vertx.createHttpServer().requestHandler(r -> {
            if (r.path().equals("/health")) {
                probes.add(System.nanoTime());
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
        // Probing is divided: one node probes the backend, not both. Judged on the gaps between consecutive probes
        // rather than on a count in a fixed window, which a loaded machine skews: one prober waits 200 ms after
        // each answer, so its probes are never closer than that however late its timers fire, while with two
        // probers every other gap is at most about 100 ms. Two short gaps are allowed for the moment the nodes
        // divide the work after the cluster formed.
        int start = probes.size() + 5;
        int gaps = 20;
        await().atMost(Duration.ofSeconds(60)).until(() -> probes.size() > start + gaps);
        List<Long> seen = List.copyOf(probes.subList(start, start + gaps + 1));
        List<Long> shortGaps = new ArrayList<>();
        for (int i = 1; i < seen.size(); i++) {
            long gapMillis = (seen.get(i) - seen.get(i - 1)) / 1_000_000;
            if (gapMillis < 150) {
                shortGaps.add(gapMillis);
            }
        }
        assertThat(shortGaps).as("gaps under 150 ms among %d probes of a 200 ms interval", gaps).hasSizeLessThanOrEqualTo(2);

        sick.set(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> state(nodes.get(0)).health() == BackendState.Health.UNHEALTHY
                || state(nodes.get(1)).health() == BackendState.Health.UNHEALTHY);
        long firstSeen = System.nanoTime();
        // Typically well within a second (printed below); the bound only fails a verdict that never arrives (the
        // second node does not probe this backend itself, so it can only learn it through the cluster).
        await().atMost(Duration.ofSeconds(10)).until(() ->
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
        long until = System.currentTimeMillis() + 5_000;
        a.eject(until, "test ejection");
        // The other node takes the same ejection (same end), whenever it arrives; then it ends there too.
        await().atMost(Duration.ofSeconds(10)).until(() -> state(nodes.get(1)).ejectedUntilMillis() == until);
        await().atMost(Duration.ofSeconds(20)).until(() -> !state(nodes.get(1)).ejected(System.currentTimeMillis()));
    }
}
