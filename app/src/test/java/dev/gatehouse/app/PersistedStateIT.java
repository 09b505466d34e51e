package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A node restarted over a damaged state file comes back on the previous generation, and says so. */
class PersistedStateIT {

    @TempDir
    Path dir;
    Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        TestNodes.await(vertx.close());
    }

    static void write(Node n, int port) {
        HttpResponse<String> w = TestNodes.put(n, "/pools/p",
                "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:" + port + "\"}]}", null);
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
    }

    @Test
    void aCorruptStateFileFallsBackToThePreviousGenerationLoudly() throws Exception {
        HttpServer one = TestNodes.backend(vertx, "one");
        HttpServer two = TestNodes.backend(vertx, "two");
        HttpServer three = TestNodes.backend(vertx, "three");
        int port = TestNodes.freePort();
        String yaml = TestNodes.nodeYaml(dir.resolve("a"), port, List.of(port), TestNodes.sharedYaml(one.actualPort(), ""));

        Node a = TestNodes.start(yaml);
        write(a, two.actualPort());   // version 2
        write(a, three.actualPort()); // version 3
        assertThat(a.store.current().version()).isEqualTo(3);
        assertThat(a.store.startProblem()).isNull();
        TestNodes.stop(a);

        Path file = dir.resolve("a").resolve(SharedConfigStore.STATE_FILE);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2)); // torn

        Node again = TestNodes.start(yaml);
        try {
            assertThat(again.store.current().version()).isEqualTo(2);
            assertThat(TestNodes.get(again, "/x").body()).isEqualTo("two");
            assertThat(again.store.startProblem()).contains("is unreadable").contains("previous generation");
            assertThat(again.metrics.registry.scrape()).contains("gatehouse_config_state_degraded 1.0");
        } finally {
            TestNodes.stop(again);
        }
    }

    @Test
    void anIntactStateFileRestartsOnItsVersionWithoutComplaint() {
        HttpServer one = TestNodes.backend(vertx, "one");
        HttpServer two = TestNodes.backend(vertx, "two");
        int port = TestNodes.freePort();
        String yaml = TestNodes.nodeYaml(dir.resolve("b"), port, List.of(port), TestNodes.sharedYaml(one.actualPort(), ""));
        Node b = TestNodes.start(yaml);
        write(b, two.actualPort());
        TestNodes.stop(b);
        Node again = TestNodes.start(yaml);
        try {
            assertThat(again.store.current().version()).isEqualTo(2);
            assertThat(again.store.startProblem()).isNull();
            assertThat(again.metrics.registry.scrape()).contains("gatehouse_config_state_degraded 0.0");
        } finally {
            TestNodes.stop(again);
        }
    }
}
