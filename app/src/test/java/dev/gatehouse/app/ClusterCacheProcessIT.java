package dev.gatehouse.app;

import dev.gatehouse.app.GatehouseProcesses.GatehouseProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster response cache across three Gatehouse processes (real command line, real Hazelcast members over
 * loopback) in front of one origin that counts its requests: a response filled through one node is a hit on
 * another; fifty concurrent misses over the three nodes make one origin request; a purge by tag is acknowledged by
 * every member; killing a member loses no entry (the last test: it kills one).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterCacheProcessIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static HttpServer origin;
    static GatehouseProcesses cluster;
    static HttpClient client;
    /** Origin requests per path. */
    static final Map<String, AtomicInteger> originRequests = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(64));
        origin = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
            originRequests.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
            Runnable answer = () -> {
                req.response().putHeader("Cache-Control", "max-age=60").putHeader("Content-Type", "text/plain");
                if (req.path().startsWith("/tagged/")) {
                    req.response().putHeader("Surrogate-Key", "tag-purge other");
                }
                req.response().end("origin says " + req.path());
            };
            if (req.path().startsWith("/slow/")) {
                vertx.setTimer(1500, id -> answer.run()); // long enough for the others to miss meanwhile
            } else {
                answer.run();
            }
        }).listen(0, "127.0.0.1"));
        String shared = "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + origin.actualPort()
                + "\" } ]\n"
                + "routes:\n  - { name: all, pool: p, match: { path-prefix: / }, cache: { enabled: true } }\n"
                + "cache: { max-size: 64MB, max-entry-size: 1MB, collapse-wait: 10s }\n";
        cluster = GatehouseProcesses.start(dir, 3, shared);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (vertx != null) {
            TestNodes.await(vertx.close()); // the client and the origin with it
        }
    }

    /** What a request through a node got. */
    record Answer(int status, String cacheStatus, String body) {
        boolean hit() {
            return cacheStatus.startsWith("gatehouse; hit");
        }
    }

    /**
     * A GET through node {@code n} with {@code Host: cache.test}: every node must see the same host (the cache key
     * holds the authority), whatever port the node listens on.
     */
    static Future<Answer> send(GatehouseProcess n, String path, String cacheControl) {
        RequestOptions o = new RequestOptions().setServer(SocketAddress.inetSocketAddress(n.listenerPort, "127.0.0.1"))
                .setHost("cache.test").setPort(80).setURI(path).setTimeout(30_000);
        if (cacheControl != null) {
            o.putHeader("Cache-Control", cacheControl);
        }
        return client.request(o).compose(req -> req.send().compose(resp -> resp.body().map(b -> new Answer(
                resp.statusCode(), resp.getHeader("Cache-Status") == null ? "" : resp.getHeader("Cache-Status"),
                b.toString()))));
    }

    static Answer get(GatehouseProcess n, String path) {
        return TestNodes.await(send(n, path, null));
    }

    static int originCount(String path) {
        AtomicInteger n = originRequests.get(path);
        return n == null ? 0 : n.get();
    }

    static JsonObject cacheStats(GatehouseProcess n) {
        HttpResponse<String> r = GatehouseProcesses.adminGet(n, "/cache");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    /** Waits until the cluster holds at least {@code entries} entries (stores complete after the response). */
    static void awaitEntries(GatehouseProcess n, long entries) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> cacheStats(n).getLong("entries") >= entries);
    }

    @Test
    @Order(1)
    void filledThroughOneNodeItIsAHitOnTheOthers() {
        Answer miss = get(cluster.node(0), "/fill/a");
        assertThat(miss.status()).isEqualTo(200);
        assertThat(miss.hit()).as(miss.cacheStatus()).isFalse();
        awaitEntries(cluster.node(0), 1);

        for (GatehouseProcess n : List.of(cluster.node(1), cluster.node(2))) {
            Answer r = get(n, "/fill/a");
            assertThat(r.body()).isEqualTo("origin says /fill/a");
            assertThat(r.hit()).as(n + ": " + r.cacheStatus()).isTrue();
        }
        assertThat(originCount("/fill/a")).isEqualTo(1);
        JsonObject stats = cacheStats(cluster.node(2));
        assertThat(stats.getJsonArray("members")).hasSize(3);
        assertThat(stats.getLong("max-size")).isEqualTo(64L << 20);
        assertThat(stats.getLong("max-entry-size")).isEqualTo(1L << 20);
    }

    @Test
    @Order(2)
    void fiftyConcurrentMissesOverThreeNodesMakeOneOriginRequest() {
        String path = "/slow/collapsed";
        List<Future<Answer>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(send(cluster.node(i % 3), path, null));
        }
        List<Answer> answers = TestNodes.await(Future.all(sent)).list();

        assertThat(answers).hasSize(50).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("origin says " + path);
        });
        assertThat(originCount(path)).isEqualTo(1);
    }

    @Test
    @Order(3)
    void aPurgeByTagIsAcknowledgedByEveryMemberAndLeavesNoCopy() {
        List<String> paths = List.of("/tagged/1", "/tagged/2");
        for (String p : paths) {
            get(cluster.node(0), p);
        }
        awaitEntries(cluster.node(0), 2 + 2); // and the two of the tests before
        for (GatehouseProcess n : cluster.nodes()) { // in every node's near cache
            for (String p : paths) {
                assertThat(get(n, p).hit()).isTrue();
                assertThat(get(n, p).hit()).isTrue();
            }
        }
        List<String> members = cacheStats(cluster.node(0)).getJsonArray("members").stream()
                .map(m -> ((JsonObject) m).getString("member")).sorted().toList();

        HttpResponse<String> purge = GatehouseProcesses.adminPost(cluster.node(1), "/cache/purge",
                "{\"tag\":\"tag-purge\"}");

        assertThat(purge.statusCode()).as(purge.body()).isEqualTo(200);
        JsonObject answer = new JsonObject(purge.body());
        // The acknowledgement time, for the benchmark notes (three processes on loopback).
        System.out.println("purge by tag over 3 members: " + purge.body());
        assertThat(answer.getLong("purged")).isEqualTo(2);
        JsonArray acks = answer.getJsonArray("acknowledged-by");
        assertThat(acks.stream().map(Object::toString).sorted().toList()).isEqualTo(members).hasSize(3);
        int fetched = originCount("/tagged/1");
        for (GatehouseProcess n : cluster.nodes()) { // at once, on every node: no stale near-cache copy
            for (String p : paths) {
                Answer r = TestNodes.await(send(n, p, "only-if-cached"));
                assertThat(r.status()).as(n + " " + p + ": " + r.cacheStatus()).isEqualTo(504);
            }
        }
        assertThat(originCount("/tagged/1")).isEqualTo(fetched);
        assertThat(get(cluster.node(2), "/tagged/1").hit()).isFalse();
        assertThat(originCount("/tagged/1")).isEqualTo(fetched + 1);
    }

    /** Last: kills a node. */
    @Test
    @Order(100)
    void killingAMemberUnderLoadLosesNoEntry() throws Exception {
        List<String> paths = IntStream.range(0, 30).mapToObj(i -> "/kill/" + i).toList();
        for (String p : paths) {
            get(cluster.node(0), p);
        }
        GatehouseProcess survivor = cluster.node(0);
        GatehouseProcess reader = cluster.node(1);
        GatehouseProcess victim = cluster.node(2);
        await().atMost(Duration.ofSeconds(20)).until(() -> paths.stream().allMatch(p -> get(survivor, p).hit()));
        // The victim owns some of them (its primary copies): they live on only as backups elsewhere.
        JsonObject before = cacheStats(survivor);
        assertThat(before.getJsonArray("members").stream().map(m -> (JsonObject) m)
                .mapToLong(m -> m.getLong("owned-entries")).min().orElse(0)).isPositive();
        Map<String, Integer> fetched = new java.util.HashMap<>();
        paths.forEach(p -> fetched.put(p, originCount(p)));

        // Load on the survivor (bounded in count and time) while the victim dies.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger served = new AtomicInteger();
        AtomicInteger notHit = new AtomicInteger();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int i = 0; i < 20_000 && !stop.get() && System.nanoTime() < end; i++) {
                Answer r = get(survivor, paths.get(i % paths.size()));
                if (r.status() == 200) {
                    served.incrementAndGet();
                }
                if (!r.hit()) {
                    notHit.incrementAndGet();
                }
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() >= 50);
        victim.kill();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> cluster.clusterSize(survivor) == 2
                && cluster.clusterSize(reader) == 2);
        int servedAtLeave = served.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() >= servedAtLeave + 50);
        stop.set(true);
        load.get(30, TimeUnit.SECONDS);

        assertThat(notHit.get()).as("requests on the survivor that were not hits").isZero();
        // The reader never read these: every answer comes from the map, the victim's entries from their backups.
        for (String p : paths) {
            Answer r = get(reader, p);
            assertThat(r.body()).isEqualTo("origin says " + p);
            assertThat(r.hit()).as(p + ": " + r.cacheStatus()).isTrue();
        }
        paths.forEach(p -> assertThat(originCount(p)).as("origin requests for " + p).isEqualTo(fetched.get(p)));
    }
}
