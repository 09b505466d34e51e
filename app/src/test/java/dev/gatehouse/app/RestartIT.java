package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Stop every node of a cluster and start them again: the last version written comes back from data-dir. */
class RestartIT {

    @TempDir
    static Path dir;
    static Vertx backends;
    static HttpServer one;
    static HttpServer two;

    @BeforeAll
    static void start() {
        backends = Vertx.vertx();
        one = TestNodes.backend(backends, "one");
        two = TestNodes.backend(backends, "two");
    }

    @AfterAll
    static void stop() {
        TestNodes.await(backends.close());
    }

    @Test
    void aFullRestartComesBackWithTheLastVersion() {
        List<Integer> ports = List.of(TestNodes.freePort(), TestNodes.freePort());
        String shared = TestNodes.sharedYaml(one.actualPort(), "");
        String yamlA = TestNodes.nodeYaml(dir.resolve("a"), ports.get(0), ports, shared);
        String yamlB = TestNodes.nodeYaml(dir.resolve("b"), ports.get(1), ports, shared);
        CompletableFuture<Node> startingB = CompletableFuture.supplyAsync(() -> TestNodes.start(yamlB));
        Node a = TestNodes.start(yamlA);
        Node b = startingB.join();

        HttpResponse<String> w = TestNodes.put(a, "/pools/p",
                "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:" + two.actualPort() + "\"}]}", null);
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
        long written = a.store.current().version();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.store.current().version() == written);

        TestNodes.stop(b);
        TestNodes.stop(a);

        // Same files (whose shared part still says backend "one"): the persisted, newer version must win.
        CompletableFuture<Node> restartingB = CompletableFuture.supplyAsync(() -> TestNodes.start(yamlB));
        Node a2 = TestNodes.start(yamlA);
        Node b2 = restartingB.join();
        try {
            assertThat(a2.store.current().version()).isEqualTo(written);
            assertThat(b2.store.current().version()).isEqualTo(written);
            assertThat(TestNodes.get(a2, "/").body()).isEqualTo("two");
            assertThat(TestNodes.get(b2, "/").body()).isEqualTo("two");
        } finally {
            TestNodes.stop(b2);
            TestNodes.stop(a2);
        }
    }

    @Test
    void seedFromFileMakesTheFileTheNewVersion() {
        int port = TestNodes.freePort();
        Path data = dir.resolve("seed");
        Node n = TestNodes.start(TestNodes.nodeYaml(data, port, List.of(port), TestNodes.sharedYaml(one.actualPort(), "")));
        TestNodes.put(n, "/pools/p",
                "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:" + two.actualPort() + "\"}]}", null);
        long v = n.store.current().version();
        TestNodes.stop(n);
        Vertx vertx = Vertx.vertx();
        try {
            Node seeded = TestNodes.await(Node.start(vertx, dev.gatehouse.config.ConfigParser.parse(
                    TestNodes.nodeYaml(data, port, List.of(port), TestNodes.sharedYaml(one.actualPort(), ""))), true));
            assertThat(seeded.store.current().version()).isEqualTo(v + 1);
            assertThat(TestNodes.get(seeded, "/").body()).isEqualTo("one");
            TestNodes.await(seeded.stop());
        } finally {
            TestNodes.await(vertx.close());
        }
    }
}
