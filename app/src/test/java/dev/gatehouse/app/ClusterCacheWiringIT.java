package dev.gatehouse.app;

import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node wired with the cluster cache: the engine gets the Hazelcast store and collapsing before it starts, the
 * member's map is sized from the shared state the node starts with (persisted first, the file otherwise), and the
 * admin API reports those settings.
 */
class ClusterCacheWiringIT {

    @TempDir
    Path dir;
    Vertx vertx;
    HttpServer origin;

    @BeforeEach
    void origin() {
        vertx = Vertx.vertx();
        origin = TestNodes.await(vertx.createHttpServer().requestHandler(r -> r.response()
                .putHeader("Cache-Control", "max-age=60").end("cached " + r.path())).listen(0, "127.0.0.1"));
    }

    @AfterEach
    void stop() {
        TestNodes.await(vertx.close());
    }

    String yaml(int clusterPort, String maxSize) {
        String shared = "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + origin.actualPort()
                + "\" } ]\n"
                + "routes:\n  - { name: all, pool: p, match: { path-prefix: / }, cache: { enabled: true } }\n"
                + "cache: { max-size: " + maxSize + ", near-cache-max-entries: 500 }\n";
        return TestNodes.nodeYaml(dir.resolve("data"), clusterPort, List.of(clusterPort), shared);
    }

    @Test
    void theMembersMapIsSizedFromThePersistedStateAndTheEngineCachesInIt() {
        int port = TestNodes.freePort();
        Node first = TestNodes.start(yaml(port, "32MB"));
        try {
            assertThat(first.proxy.runtime().responseCache().store()).isInstanceOf(HazelcastResponseStore.class);
            assertThat(first.proxy.runtime().responseCache().collapsing()).isInstanceOf(HazelcastMissCollapsing.class);
            MapConfig map = first.hz.getConfig().getMapConfig(HazelcastResponseStore.MAP);
            assertThat(map.getEvictionConfig().getSize()).isEqualTo(32);
            assertThat(map.getNearCacheConfig().getInMemoryFormat()).isEqualTo(InMemoryFormat.OBJECT);
            assertThat(map.getNearCacheConfig().getEvictionConfig().getSize()).isEqualTo(500);

            HttpResponse<String> miss = get(first, "/a");
            assertThat(miss.body()).isEqualTo("cached /a");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> first.hz
                    .getMap(HazelcastResponseStore.MAP).size() == 1);
            assertThat(get(first, "/a").headers().firstValue("Cache-Status").orElse("")).startsWith("gatehouse; hit");
            JsonObject stats = new JsonObject(TestNodes.adminGet(first, "/cache").body());
            assertThat(stats.getLong("entries")).isEqualTo(1);
            assertThat(stats.getLong("max-size")).isEqualTo(32L << 20);
        } finally {
            TestNodes.stop(first);
        }

        // Restarted with another max-size in its file: the persisted state (32MB) is what it starts with.
        Node again = TestNodes.start(yaml(port, "16MB"));
        try {
            assertThat(again.hz.getConfig().getMapConfig(HazelcastResponseStore.MAP).getEvictionConfig().getSize())
                    .isEqualTo(32);
            assertThat(new JsonObject(TestNodes.adminGet(again, "/cache").body()).getLong("max-size"))
                    .isEqualTo(32L << 20);
        } finally {
            TestNodes.stop(again);
        }
    }

    static HttpResponse<String> get(Node node, String path) {
        return TestNodes.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.proxy.port("public")
                + path)).timeout(Duration.ofSeconds(10)).build());
    }
}
