package dev.gatehouse.app;

import dev.gatehouse.app.FaultCluster.Member;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fault-injection suite (tag {@code fault}): three real node processes forming one cluster through
 * {@link ClusterRelay}s, real backends on loopback, and steady load from a bounded client loop while faults are
 * injected. Each scenario asserts on failed requests, data kept and recovery time, prints one summary line and appends
 * it to {@code target/fault-report.txt}. The processes are shared: the scenarios run in order, the one that kills a
 * node last.
 */
@Tag("fault")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIT {

    static final Path REPORT = Path.of("target", "fault-report.txt");
    static final String HOST = "cache.test";

    /** Configs, data and logs of the nodes and HAProxy: kept under target/ for a look after a failure. */
    static Path dir;
    static Vertx vertx;
    static HttpClient client;
    static HttpServer origin;
    static HttpServer flaky;
    static int flakyPort;
    static RawBackend raw;
    static FaultCluster cluster;
    /** Origin requests per path. */
    static final Map<String, AtomicInteger> originRequests = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        Assumptions.assumeTrue(ClusterRelay.supported(), "the suite's cluster relays read /proc (Linux only)");
        dir = Files.createDirectories(Path.of("target", "fault-suite", Long.toString(System.currentTimeMillis()))
                .toAbsolutePath());
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000),
                new PoolOptions().setHttp1MaxSize(16));
        origin = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
            originRequests.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
            if (req.path().startsWith("/slow/")) {
                vertx.setTimer(3000, id -> req.response().end("late"));
                return;
            }
            req.response().putHeader("Cache-Control", "max-age=600").end("origin says " + req.path());
        }).listen(0, "127.0.0.1"));
        flakyPort = TestNodes.freePort();
        flaky = listenFlaky();
        raw = new RawBackend();
        String o = "\"http://127.0.0.1:" + origin.actualPort() + "\"";
        String shared = "pools:\n"
                + "  - { name: origin, backends: [ { url: " + o + " } ] }\n"
                + "  - { name: flaky, backends: [ { url: \"http://127.0.0.1:" + flakyPort + "\" } ] }\n"
                + "  - { name: raw, backends: [ { url: \"http://127.0.0.1:" + raw.port() + "\" } ] }\n"
                + "routes:\n"
                + "  - { name: slow, pool: origin, match: { path-prefix: /slow/ }, timeout: 500ms }\n"
                + "  - { name: flaky, pool: flaky, match: { path-prefix: /flaky/ } }\n"
                + "  - { name: raw, pool: raw, match: { path-prefix: /raw/ } }\n"
                + "  - name: marker\n    pool: origin\n    match: { path-prefix: /marker/ }\n"
                + "    filters: [ { type: headers, response: { set: { X-Marker: \"0\" } } } ]\n"
                + "  - { name: cached, pool: origin, match: { path-prefix: /cached/ }, cache: { enabled: true } }\n"
                + "  - { name: plain, pool: origin, match: { path-prefix: / } }\n"
                + "cache: { max-size: 64MB, max-entry-size: 1MB }\n";
        Files.createDirectories(REPORT.getParent());
        Files.writeString(REPORT, "# fault-injection suite, " + java.time.Instant.now() + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long started = System.nanoTime();
        cluster = FaultCluster.start(dir, 3, 2, shared);
        System.out.println("fault suite: three nodes ready in " + millisSince(started) + " ms");
    }

    static HttpServer listenFlaky() {
        return TestNodes.await(vertx.createHttpServer().requestHandler(req -> req.response().end("flaky ok"))
                .listen(flakyPort, "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
    }

    // ---- scenarios ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void twentyConfigChangesUnderLoadFailNoRequestAndEveryNodeConverges() {
        List<Member> all = cluster.members;
        long base = FaultCluster.version(all.get(0));
        Load load = Load.start(targets(all), i -> "/plain/" + (i % 50), 6, 200_000, Duration.ofSeconds(60),
                Answer::ok);
        load.awaitSent(200);
        long lastWrite = 0;
        for (int i = 1; i <= 20; i++) {
            Member m = all.get(i % all.size());
            long expected = base + i - 1;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> FaultCluster.version(m) == expected);
            HttpResponse<String> w = FaultCluster.putConfig(m, withMarker(FaultCluster.adminGet(m, "/config").body(),
                    i), expected);
            assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
            lastWrite = System.nanoTime();
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> all.stream().allMatch(n -> FaultCluster.version(n) == base + 20));
        long converged = millisSince(lastWrite);
        load.awaitSent(load.sent() + 200);
        load.stop();

        for (Member n : all) {
            assertThat(send(n, "/marker/x").marker()).as(n.toString()).isEqualTo("20");
        }
        report("20 config changes under load", load, 0, converged);
        assertThat(load.failed()).as(load.failures()).isZero();
    }

    @Test
    @Order(2)
    void backendFaultsGetTheRightStatusInBoundedTimeAndLeakNothing() throws Exception {
        List<Member> all = cluster.members;
        // Warm every route and connection pool first: the baseline holds pooled upstream connections.
        for (int round = 0; round < 3; round++) {
            for (Member n : all) {
                send(n, "/flaky/warm");
                send(n, "/raw/ok");
                send(n, "/plain/warm");
            }
        }
        Map<Member, Long> fdsBefore = new ConcurrentHashMap<>();
        Map<Member, Long> heapBefore = new ConcurrentHashMap<>();
        for (Member n : all) {
            heapBefore.put(n, heapAfterGc(n));
            fdsBefore.put(n, openFds(n));
        }
        Load load = Load.start(targets(all), i -> "/plain/" + (i % 50), 4, 200_000, Duration.ofSeconds(60),
                Answer::ok);
        load.awaitSent(100);

        // A dead backend: 502/503 at once; after revival served again.
        TestNodes.await(flaky.close());
        Faults killed = faults(all, "/flaky/x", 30, a -> a.status() == 502 || a.status() == 503);
        long revived = System.nanoTime();
        flaky = listenFlaky();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> all.stream().allMatch(n -> send(n, "/flaky/again").status() == 200));
        long recovery = millisSince(revived);
        report("backend killed + revived", killed.sent, killed.wrong, 0, recovery);

        // A slow backend beyond the route's 500ms timeout: 504, within a bounded time.
        Faults slow = faults(all, "/slow/x", 15, a -> a.status() == 504);
        report("backend slow: 504 (ms: slowest)", slow.sent, slow.wrong, 0, slow.maxMillis);
        // Garbage instead of HTTP: 502.
        Faults garbage = faults(all, "/raw/garbage", 30, a -> a.status() == 502);
        report("backend garbage: 502 (ms: slowest)", garbage.sent, garbage.wrong, 0, garbage.maxMillis);
        // Truncated and reset mid-body: the head was already forwarded, so the client connection is cut (never a
        // hang, never a complete-looking answer); before the head, 502.
        Predicate<Answer> cut = a -> a.aborted() || a.status() == 502;
        Faults truncated = faults(all, "/raw/truncated", 30, cut);
        report("backend truncated (ms: slowest)", truncated.sent, truncated.wrong, 0, truncated.maxMillis);
        Faults reset = faults(all, "/raw/reset", 30, cut);
        report("backend reset mid-body (ms: slowest)", reset.sent, reset.wrong, 0, reset.maxMillis);
        load.stop();
        report("steady load during backend faults", load, 0, 0);

        assertThat(killed.wrong).as(killed.toString()).isZero();
        assertThat(slow.wrong).as(slow.toString()).isZero();
        assertThat(garbage.wrong).as(garbage.toString()).isZero();
        assertThat(truncated.wrong).as(truncated.toString()).isZero();
        assertThat(reset.wrong).as(reset.toString()).isZero();
        for (Faults f : List.of(killed, slow, garbage, truncated, reset)) {
            assertThat(f.maxMillis).as(f.toString()).isLessThan(3000);
        }
        assertThat(load.failed()).as(load.failures()).isZero();

        // Nothing leaked: open descriptors back to the warmed baseline, heap after a full GC bounded.
        for (Member n : all) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(openFds(n)).as(n + " open file descriptors")
                            .isLessThanOrEqualTo(fdsBefore.get(n) + 8));
            long heap = heapAfterGc(n);
            System.out.printf("fault suite: %s heap after GC %d KiB before the faults, %d KiB after; fds %d -> %d%n",
                    n, heapBefore.get(n) >> 10, heap >> 10, fdsBefore.get(n), openFds(n));
            assertThat(heap).as(n + " heap used after GC").isLessThan(heapBefore.get(n) + (32L << 20));
        }
    }

    @Test
    @Order(3)
    void aSplitBrainRefusesWritesOnTheMinorityAndHealsToTheNewestVersion() {
        List<Member> all = cluster.members;
        List<Member> majority = all.subList(0, 2);
        Member minority = all.get(2);
        long before = FaultCluster.version(all.get(0));
        Load load = Load.start(targets(all), i -> "/plain/" + (i % 50), 6, 400_000, Duration.ofSeconds(120),
                Answer::ok);
        load.awaitSent(100);

        long cut = System.nanoTime();
        cluster.partition(Set.of(0, 1));
        long detected;
        // Healed whatever happens: the scenarios after this one need the whole cluster.
        try {
            cluster.awaitMembers(majority, 2);
            cluster.awaitMembers(List.of(minority), 1);
            detected = millisSince(cut);

            HttpResponse<String> refused = FaultCluster.putConfig(minority,
                    withMarker(FaultCluster.adminGet(minority, "/config").body(), 100), before);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(refused.body()).contains("no quorum");
            HttpResponse<String> written = FaultCluster.putConfig(majority.get(0),
                    withMarker(FaultCluster.adminGet(majority.get(0), "/config").body(), 101), before);
            assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
            assertThat(FaultCluster.version(minority)).isEqualTo(before);
        } finally {
            cluster.heal();
        }
        long healed = System.nanoTime();
        cluster.awaitMembers(all, 3);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> all.stream().allMatch(n -> FaultCluster.version(n) == before + 1));
        long recovery = millisSince(healed);
        load.awaitSent(load.sent() + 200);
        load.stop();
        // Every node serves the majority's version, and the former minority writes again.
        for (Member n : all) {
            assertThat(send(n, "/marker/x").marker()).as(n.toString()).isEqualTo("101");
        }
        HttpResponse<String> after = FaultCluster.putConfig(minority,
                withMarker(FaultCluster.adminGet(minority, "/config").body(), 102), before + 1);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> all.stream().allMatch(n -> FaultCluster.version(n) == before + 2));
        System.out.println("fault suite: split detected by both sides in " + detected + " ms");
        report("split brain + heal", load, 0, recovery);
        assertThat(load.failed()).as(load.failures()).isZero();
    }

    @Test
    @Order(4)
    void aRollingRestartBehindHaproxyFailsNoRequest() throws Exception {
        Path haproxy = haproxyBinary();
        Assumptions.assumeTrue(haproxy != null, "HAProxy is not installed (.ci/run installs Debian's haproxy): the"
                + " rolling restart behind a load balancer following /readyz is skipped");
        List<Member> all = cluster.members;
        long version = FaultCluster.version(all.get(0));
        int port = TestNodes.freePort();
        int statsPort = TestNodes.freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        StringBuilder c = new StringBuilder()
                .append("global\n  maxconn 2000\n")
                // No retries and no redispatch: a request sent to a node that stopped serving fails visibly.
                .append("defaults\n  mode http\n  retries 0\n  timeout connect 2s\n  timeout client 30s\n")
                .append("  timeout server 30s\n  timeout check 1s\n")
                .append("frontend fe\n  bind 127.0.0.1:").append(port).append("\n  default_backend nodes\n")
                .append("backend nodes\n  balance roundrobin\n  option httpchk\n")
                // HTTP/1.1 with a Host: the admin listener answers a request without one 421 (DNS rebinding).
                .append("  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1\n")
                // A failed check marks a node down within inter (200 ms) + timeout check (1 s) < readiness delay (2 s).
                .append("  default-server inter 200ms fall 1 rise 2\n");
        for (Member m : all) {
            c.append("  server n").append(m.index).append(" 127.0.0.1:").append(m.listenerPort)
                    .append(" check port ").append(m.adminPort).append("\n");
        }
        c.append("listen stats\n  bind 127.0.0.1:").append(statsPort).append("\n  stats enable\n  stats uri /stats\n");
        Files.writeString(cfg, c.toString());
        Process lb = new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        try {
            URI stats = URI.create("http://127.0.0.1:" + statsPort + "/stats;csv");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> all.stream().allMatch(m -> haproxyUp(stats, m)));
            Load load = Load.start(List.of(SocketAddress.inetSocketAddress(port, "127.0.0.1")),
                    i -> "/plain/" + (i % 50), 8, 1_000_000, Duration.ofSeconds(150), Answer::ok);
            load.awaitSent(200);
            long slowest = 0;
            for (Member m : all) {
                long t = System.nanoTime();
                m.process.destroy(); // SIGTERM
                assertThat(m.process.waitFor(60, TimeUnit.SECONDS)).as(m.log()).isTrue();
                assertThat(m.process.exitValue()).as(m.log()).isZero();
                cluster.launch(m);
                cluster.awaitReady(m);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                        .until(() -> haproxyUp(stats, m));
                cluster.awaitMembers(all, 3);
                slowest = Math.max(slowest, millisSince(t));
            }
            load.awaitSent(load.sent() + 200);
            load.stop();
            long lost = all.stream().filter(m -> FaultCluster.version(m) != version).count();
            report("rolling restart, HAProxy (ms: slowest node)", load, lost, slowest);
            assertThat(load.failed()).as(load.failures()).isZero();
            assertThat(lost).isZero();
        } finally {
            lb.destroy();
            lb.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Last: kills a node. */
    @Test
    @Order(100)
    void sigkillOfOneNodeFailsNoRequestOnTheSurvivorsAndLosesNothing() {
        List<Member> survivors = cluster.members.subList(0, 2);
        Member victim = cluster.members.get(2);
        List<String> paths = java.util.stream.IntStream.range(0, 30).mapToObj(i -> "/cached/" + i).toList();
        for (String p : paths) {
            send(victim, p); // filled through the victim: it holds primary copies of some
        }
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> survivors.stream().allMatch(n -> paths.stream().allMatch(p -> send(n, p).hit())));
        Map<String, Integer> fetched = new java.util.HashMap<>();
        paths.forEach(p -> fetched.put(p, originRequests.get(p).get()));
        long version = FaultCluster.version(survivors.get(0));

        Load load = Load.start(targets(survivors), i -> paths.get(i % paths.size()), 6, 200_000,
                Duration.ofSeconds(60), a -> a.ok() && a.hit());
        load.awaitSent(300);
        long killed = System.nanoTime();
        victim.process.destroyForcibly(); // SIGKILL
        cluster.awaitMembers(survivors, 2);
        long recovery = millisSince(killed);
        load.awaitSent(load.sent() + 300);
        load.stop();

        long refetched = paths.stream().filter(p -> originRequests.get(p).get() != fetched.get(p)).count();
        long versionLost = survivors.stream().filter(n -> FaultCluster.version(n) != version).count();
        report("SIGKILL 1 of 3 nodes", load, refetched + versionLost, recovery);
        assertThat(load.failed()).as("failed or not a cache hit: " + load.failures()).isZero();
        assertThat(refetched).as("cache entries fetched again from the origin").isZero();
        assertThat(versionLost).isZero();
    }

    // ---- load and answers -------------------------------------------------------------------------------------

    /** What one request got: status, the marker header, the cache status; aborted when the exchange broke. */
    record Answer(int status, String marker, String cacheStatus, boolean aborted, String error) {
        boolean ok() {
            return status == 200 && !aborted;
        }

        boolean hit() {
            return cacheStatus != null && cacheStatus.startsWith("gatehouse; hit");
        }
    }

    static List<SocketAddress> targets(List<Member> nodes) {
        return nodes.stream().map(n -> SocketAddress.inetSocketAddress(n.listenerPort, "127.0.0.1")).toList();
    }

    static Future<Answer> request(SocketAddress to, String path) {
        RequestOptions o = new RequestOptions().setServer(to).setHost(HOST).setPort(80).setURI(path)
                .setTimeout(15_000);
        return client.request(o).compose(req -> req.send().compose(resp -> resp.body()
                        .map(b -> new Answer(resp.statusCode(), resp.getHeader("X-Marker"),
                                resp.getHeader("Cache-Status"), false, null))
                        .recover(e -> Future.succeededFuture(new Answer(resp.statusCode(), null, null, true,
                                e.toString())))))
                .recover(e -> Future.succeededFuture(new Answer(-1, null, null, true, e.toString())));
    }

    static Answer send(Member n, String path) {
        return TestNodes.await(request(SocketAddress.inetSocketAddress(n.listenerPort, "127.0.0.1"), path));
    }

    /**
     * Steady load: {@code concurrency} request loops spread over {@code targets}, each sending its next request
     * {@link #PACE_MILLIS} after the last is answered; bounded in count and time.
     */
    static final class Load {
        /** Pause of each request loop between an answer and its next request: at most 250/s per loop. */
        static final long PACE_MILLIS = 4;
        private final AtomicLong sent = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final Queue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicInteger running = new AtomicInteger();
        private final Promise<Void> done = Promise.promise();

        static Load start(List<SocketAddress> targets, IntFunction<String> path, int concurrency, long max,
                          Duration time, Predicate<Answer> ok) {
            Load l = new Load();
            long deadline = System.nanoTime() + time.toNanos();
            l.running.set(concurrency);
            AtomicInteger next = new AtomicInteger();
            for (int w = 0; w < concurrency; w++) {
                vertx.runOnContext(v -> l.loop(targets, path, next, max, deadline, ok));
            }
            return l;
        }

        private void loop(List<SocketAddress> targets, IntFunction<String> path, AtomicInteger next, long max,
                          long deadline, Predicate<Answer> ok) {
            if (stop.get() || sent.get() >= max || System.nanoTime() > deadline) {
                if (running.decrementAndGet() == 0) {
                    done.tryComplete();
                }
                return;
            }
            int i = next.getAndIncrement();
            SocketAddress to = targets.get(i % targets.size());
            String p = path.apply(i);
            sent.incrementAndGet();
            request(to, p).onComplete(ar -> {
                Answer a = ar.result();
                if (!ok.test(a)) {
                    failed.incrementAndGet();
                    if (failures.size() < 20) {
                        failures.add(to.port() + p + " -> " + a);
                    }
                }
                // Paced: steady load that leaves the two CI cores to the nodes starting and leaving meanwhile.
                vertx.setTimer(PACE_MILLIS, id -> loop(targets, path, next, max, deadline, ok));
            });
        }

        long sent() {
            return sent.get();
        }

        long failed() {
            return failed.get();
        }

        String failures() {
            return failures.toString();
        }

        /** Waits until at least {@code n} requests were sent (the loops keep going). */
        void awaitSent(long n) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> sent.get() >= n
                    || done.future().isComplete());
        }

        void stop() {
            stop.set(true);
            TestNodes.await(done.future());
        }
    }

    /** Outcome of a burst of requests to a faulty route: how many, how many got a wrong answer, the slowest. */
    record Faults(long sent, long wrong, long maxMillis, List<String> wrongAnswers) {
    }

    /** {@code count} concurrent requests to {@code path} over the nodes; each must satisfy {@code expected}. */
    static Faults faults(List<Member> nodes, String path, int count, Predicate<Answer> expected) {
        List<Future<Object[]>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            SocketAddress to = SocketAddress.inetSocketAddress(nodes.get(i % nodes.size()).listenerPort, "127.0.0.1");
            all.add(request(to, path).map(a -> new Object[] {a, millisSince(t)}));
        }
        List<Object[]> got = TestNodes.await(Future.all(all)).list();
        long wrong = 0;
        long max = 0;
        List<String> wrongAnswers = new ArrayList<>();
        for (Object[] r : got) {
            Answer a = (Answer) r[0];
            max = Math.max(max, (Long) r[1]);
            if (!expected.test(a)) {
                wrong++;
                wrongAnswers.add(a.toString());
            }
        }
        return new Faults(count, wrong, max, wrongAnswers);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** The config JSON of GET /config with the marker route's response header set to {@code value}. */
    static String withMarker(String config, int value) {
        JsonObject c = new JsonObject(config);
        JsonArray routes = c.getJsonArray("routes");
        for (int i = 0; i < routes.size(); i++) {
            JsonObject r = routes.getJsonObject(i);
            if ("marker".equals(r.getString("name"))) {
                r.getJsonArray("filters").getJsonObject(0).getJsonObject("response").getJsonObject("set")
                        .put("X-Marker", Integer.toString(value));
            }
        }
        return c.encode();
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    static void report(String scenario, Load load, long lost, long recoveryMillis) {
        report(scenario, load.sent(), load.failed(), lost, recoveryMillis);
    }

    /** One summary line: printed, and appended to {@link #REPORT} for the fault table. */
    static void report(String scenario, long sent, long failed, long lost, long recoveryMillis) {
        String line = String.format("FAULT | %-44s | requests %7d | failed %4d | lost %d | recovery %6d ms",
                scenario, sent, failed, lost, recoveryMillis);
        System.out.println(line);
        try {
            Files.createDirectories(REPORT.getParent());
            Files.writeString(REPORT, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("could not append to " + REPORT + ": " + e);
        }
    }

    static long openFds(Member n) {
        try (var s = Files.list(Path.of("/proc", Long.toString(n.process.pid()), "fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Heap used by node {@code n} right after a full GC ({@code jcmd GC.run}), from its /metrics. */
    static long heapAfterGc(Member n) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(n.process.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String metrics = TestNodes.send(java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + n.adminPort + "/metrics")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN).build()).body();
        long sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertThat(sum).as("heap figures in /metrics").isPositive();
        return sum;
    }

    static Path haproxyBinary() {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, "haproxy");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Whether HAProxy's stats (CSV) show node {@code m} UP. */
    static boolean haproxyUp(URI stats, Member m) {
        String csv = TestNodes.send(java.net.http.HttpRequest.newBuilder(stats).timeout(Duration.ofSeconds(5))
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build()).body();
        for (String line : csv.split("\n")) {
            String[] f = line.split(",");
            if (f.length > 17 && f[0].equals("nodes") && f[1].equals("n" + m.index)) {
                return f[17].equals("UP");
            }
        }
        return false;
    }

    /**
     * A backend speaking broken HTTP on purpose, chosen by path: {@code /raw/garbage} (not HTTP at all),
     * {@code /raw/truncated} (a head promising 1000 bytes, 100 sent, then FIN), {@code /raw/reset} (the same, then
     * RST); anything else a proper 200.
     */
    static final class RawBackend implements AutoCloseable {
        private final ServerSocket server;
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "raw-backend");
            t.setDaemon(true);
            return t;
        });

        RawBackend() throws IOException {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            threads.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        threads.execute(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                s.setSoTimeout(10_000);
                StringBuilder head = new StringBuilder();
                int b;
                while ((b = in.read()) >= 0) {
                    head.append((char) b);
                    if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
                        break;
                    }
                }
                String line = head.toString().split("\r\n", 2)[0];
                String path = line.split(" ").length > 1 ? line.split(" ")[1] : "";
                String partial = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(100);
                if (path.startsWith("/raw/garbage")) {
                    out.write("THIS IS NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } else if (path.startsWith("/raw/truncated")) {
                    out.write(partial.getBytes(StandardCharsets.US_ASCII));
                } else if (path.startsWith("/raw/reset")) {
                    out.write(partial.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.setSoLinger(true, 0); // close() sends RST
                } else {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException e) {
                // the proxy went away first
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closing anyway
            }
            threads.shutdownNow();
        }
    }
}
