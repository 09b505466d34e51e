package dev.gatehouse.app;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.gatehouse.app.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Three embedded members in one JVM sharing one versioned config through Hazelcast. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterConfigIT {

    @TempDir
    static Path dir;
    static Vertx backends;
    static HttpServer one;
    static HttpServer two;
    static List<Integer> ports;
    static final List<Node> nodes = new ArrayList<>();

    @BeforeAll
    static void start() {
        backends = Vertx.vertx();
        one = TestNodes.backend(backends, "one");
        two = TestNodes.backend(backends, "two");
        ports = List.of(TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort());
        String shared = TestNodes.sharedYaml(one.actualPort(), "");
        List<CompletableFuture<Node>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String yaml = TestNodes.nodeYaml(dir.resolve("n" + i), ports.get(i), ports, shared);
            starting.add(CompletableFuture.supplyAsync(() -> TestNodes.start(yaml)));
        }
        starting.forEach(f -> nodes.add(f.join()));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 3);
    }

    @AfterAll
    static void stop() {
        nodes.forEach(n -> {
            try {
                TestNodes.stop(n);
            } catch (RuntimeException ignored) {
                // already stopped by a test
            }
        });
        await(backends.close());
    }

    static String routeJson(String name, String prefix) {
        return "{\"name\":\"" + name + "\",\"pool\":\"q\",\"match\":{\"path-prefix\":\"" + prefix + "\"}}";
    }

    @Test
    @Order(1)
    void allMembersAgreeOnTheStartingVersion() {
        for (Node n : nodes) {
            assertThat(TestNodes.get(n, "/x").body()).isEqualTo("one");
            assertThat(n.store.current().version()).isEqualTo(nodes.get(0).store.current().version());
        }
        JsonObject cluster = new JsonObject(TestNodes.adminGet(nodes.get(1), "/cluster").body());
        JsonArray members = cluster.getJsonArray("members");
        assertThat(members).hasSize(3);
    }

    @Test
    @Order(2)
    void aWriteOnOneNodeIsRoutedByTheOthers() {
        long before = nodes.get(0).store.current().version();
        HttpResponse<String> pool = TestNodes.put(nodes.get(0), "/pools/q",
                "{\"name\":\"q\",\"backends\":[{\"url\":\"http://127.0.0.1:" + two.actualPort() + "\"}]}", null);
        assertThat(pool.statusCode()).isIn(200, 201);
        HttpResponse<String> route = TestNodes.put(nodes.get(0), "/routes/two?position=0", routeJson("two", "/two/"), null);
        assertThat(route.statusCode()).as(route.body()).isIn(200, 201);
        assertThat(new JsonObject(route.body()).getLong("version")).isEqualTo(before + 2);
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(TestNodes.get(n, "/two/a").body()).isEqualTo("two"));
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonArray members = new JsonObject(TestNodes.adminGet(nodes.get(2), "/cluster").body())
                    .getJsonArray("members");
            for (int i = 0; i < members.size(); i++) {
                assertThat(members.getJsonObject(i).getLong("applied-version")).isEqualTo(before + 2);
            }
        });
    }

    @Test
    @Order(3)
    void racingWritersOnDifferentNodesOneWinsOneGets412() {
        String etag = TestNodes.adminGet(nodes.get(0), "/config").headers().firstValue("ETag").orElseThrow();
        String config = TestNodes.adminGet(nodes.get(0), "/config").body();
        // Two different edits of the same version, sent to two different nodes at once.
        CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() ->
                TestNodes.put(nodes.get(1), "/config", config.replace("/two/", "/zwei/"), etag));
        CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() ->
                TestNodes.put(nodes.get(2), "/config", config.replace("/two/", "/deux/"), etag));
        List<Integer> statuses = List.of(a.join().statusCode(), b.join().statusCode());
        assertThat(statuses).containsExactlyInAnyOrder(200, 412);
        String winner = a.join().statusCode() == 200 ? "/zwei/" : "/deux/";
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(TestNodes.get(n, winner + "x").body()).isEqualTo("two"));
        }
    }

    @Test
    @Order(4)
    void anInvalidWriteChangesNothingAnywhere() {
        long before = nodes.get(0).store.current().version();
        HttpResponse<String> r = TestNodes.put(nodes.get(1), "/routes/bad", "{\"name\":\"bad\",\"pool\":\"nope\"}", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("unknown pool");
        for (Node n : nodes) {
            assertThat(n.store.current().version()).isEqualTo(before);
        }
    }

    @Test
    @Order(5)
    void killAMemberAndTheOthersKeepServingAndWriting() {
        Node victim = nodes.remove(2);
        TestNodes.stop(victim);
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 2);
        assertThat(TestNodes.get(nodes.get(0), "/x").body()).isEqualTo("one");
        HttpResponse<String> r = TestNodes.put(nodes.get(1), "/routes/after-kill?position=0",
                routeJson("after-kill", "/k/"), null);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(TestNodes.get(n, "/k/").body()).isEqualTo("two"));
        }
    }

    @Test
    @Order(6)
    void aNodeJoiningLateAdoptsTheClustersVersion() {
        long version = nodes.get(0).store.current().version();
        // Its file says something else: the cluster's newer state must win.
        String yaml = TestNodes.nodeYaml(dir.resolve("late"), TestNodes.freePort(), ports,
                TestNodes.sharedYaml(two.actualPort(), ""));
        Node late = TestNodes.start(yaml);
        nodes.add(late);
        assertThat(late.store.current().version()).isEqualTo(version);
        assertThat(TestNodes.get(late, "/x").body()).isEqualTo("one");
        assertThat(TestNodes.get(late, "/k/").body()).isEqualTo("two");
    }
}
