package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up rule across a cluster of embedded members: nodes restarted together with the same edited file make
 * one version, and a node restarted later with that file does not undo an admin edit made after the first stored it.
 */
class FileSourceIT {

    @TempDir
    static Path dir;
    static Vertx backends;
    static HttpServer one;
    static HttpServer two;
    static HttpServer three;

    @BeforeAll
    static void start() {
        backends = Vertx.vertx();
        one = TestNodes.backend(backends, "one");
        two = TestNodes.backend(backends, "two");
        three = TestNodes.backend(backends, "three");
    }

    @AfterAll
    static void stop() {
        TestNodes.await(backends.close());
    }

    static Node[] startBoth(String yamlA, String yamlB) {
        CompletableFuture<Node> b = CompletableFuture.supplyAsync(() -> TestNodes.start(yamlB));
        Node a = TestNodes.start(yamlA);
        return new Node[] {a, b.join()};
    }

    @Test
    void nodesRestartedTogetherWithTheSameEditedFileMakeOneVersion() {
        List<Integer> ports = List.of(TestNodes.freePort(), TestNodes.freePort());
        String before = TestNodes.sharedYaml(one.actualPort(), "");
        Node[] first = startBoth(TestNodes.nodeYaml(dir.resolve("t-a"), ports.get(0), ports, before),
                TestNodes.nodeYaml(dir.resolve("t-b"), ports.get(1), ports, before));
        long v = first[0].store.current().version();
        TestNodes.stop(first[1]);
        TestNodes.stop(first[0]);

        String edited = TestNodes.sharedYaml(two.actualPort(), "");
        Node[] again = startBoth(TestNodes.nodeYaml(dir.resolve("t-a"), ports.get(0), ports, edited),
                TestNodes.nodeYaml(dir.resolve("t-b"), ports.get(1), ports, edited));
        try {
            for (Node n : again) {
                assertThat(n.store.current().version()).isEqualTo(v + 1);
                assertThat(TestNodes.get(n, "/x").body()).isEqualTo("two");
            }
        } finally {
            TestNodes.stop(again[1]);
            TestNodes.stop(again[0]);
        }
    }

    @Test
    void aNodeRestartedLaterWithTheEditedFileKeepsTheAdminEditMadeSince() {
        List<Integer> ports = List.of(TestNodes.freePort(), TestNodes.freePort());
        String before = TestNodes.sharedYaml(one.actualPort(), "");
        Node[] first = startBoth(TestNodes.nodeYaml(dir.resolve("s-a"), ports.get(0), ports, before),
                TestNodes.nodeYaml(dir.resolve("s-b"), ports.get(1), ports, before));
        long v = first[0].store.current().version();
        TestNodes.stop(first[1]);
        TestNodes.stop(first[0]);

        String edited = TestNodes.sharedYaml(two.actualPort(), "");
        Node a = TestNodes.start(TestNodes.nodeYaml(dir.resolve("s-a"), ports.get(0), ports, edited));
        Node b = null;
        try {
            assertThat(a.store.current().version()).isEqualTo(v + 1);
            HttpResponse<String> w = TestNodes.put(a, "/pools/p",
                    "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:" + three.actualPort() + "\"}]}", null);
            assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
            assertThat(a.store.current().version()).isEqualTo(v + 2);

            b = TestNodes.start(TestNodes.nodeYaml(dir.resolve("s-b"), ports.get(1), ports, edited));
            assertThat(b.store.current().version()).isEqualTo(v + 2);
            assertThat(TestNodes.get(b, "/x").body()).isEqualTo("three");
            assertThat(TestNodes.get(a, "/x").body()).isEqualTo("three");
        } finally {
            if (b != null) {
                TestNodes.stop(b);
            }
            TestNodes.stop(a);
        }
    }
}
