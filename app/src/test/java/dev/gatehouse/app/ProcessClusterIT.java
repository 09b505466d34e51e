package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two nodes as separate JVM processes, started with the real command line, sharing config through Hazelcast. */
class ProcessClusterIT {

    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();
    Vertx vertx;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroy);
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
    }

    private Process node(String name, int clusterPort, List<Integer> members, int listen, int admin, int backend)
            throws IOException {
        String yaml = "data-dir: " + dir.resolve(name) + "\n"
                + "cluster: { name: proc-" + members.get(0) + ", host: 127.0.0.1, port: " + clusterPort
                + ", members: [127.0.0.1:" + members.get(0) + ", 127.0.0.1:" + members.get(1) + "], secret-file: \""
                + TestNodes.secretFile(dir.resolve(name), TestNodes.SECRET) + "\" }\n"
                + "listeners: [ { name: public, host: 127.0.0.1, port: " + listen + " } ]\n"
                + TestNodes.ADMIN_YAML.replace("port: 0", "port: " + admin)
                + TestNodes.sharedYaml(backend, "");
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.gatehouse.app.Main", "run", "--config", file.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @Test
    void aWriteOnOneProcessIsRoutedByTheOther() throws Exception {
        vertx = Vertx.vertx();
        HttpServer one = TestNodes.backend(vertx, "one");
        HttpServer two = TestNodes.backend(vertx, "two");
        List<Integer> members = List.of(TestNodes.freePort(), TestNodes.freePort());
        int listenA = TestNodes.freePort();
        int listenB = TestNodes.freePort();
        int adminA = TestNodes.freePort();
        int adminB = TestNodes.freePort();
        node("a", members.get(0), members, listenA, adminA, one.actualPort());
        node("b", members.get(1), members, listenB, adminB, one.actualPort());

        // Both processes fully up: each admin API answers (it starts last) and sees two members.
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            for (int admin : new int[] {adminA, adminB}) {
                String cluster = TestNodes.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + admin + "/api/v1/cluster"))
                        .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                        .timeout(Duration.ofSeconds(5)).build()).body();
                assertThat(new io.vertx.core.json.JsonObject(cluster).getJsonArray("members")).hasSize(2);
            }
        });
        HttpResponse<String> w = TestNodes.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + adminA + "/api/v1/pools/p"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:" + two.actualPort() + "\"}]}"))
                .build());
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(get("http://127.0.0.1:" + listenB + "/").body()).isEqualTo("two"));
    }

    private static HttpResponse<String> get(String url) {
        return TestNodes.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build());
    }
}
