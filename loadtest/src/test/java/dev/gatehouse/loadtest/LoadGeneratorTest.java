package dev.gatehouse.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.loadtest.DemoBackendsTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Short, low-rate runs against a real demo backend on 127.0.0.1; each run is bounded to about two seconds. */
class LoadGeneratorTest {

    private static Vertx vertx;
    private static DemoBackends backends;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(VertxDefaults.options());
        backends = await(DemoBackends.start(vertx, List.of(0)));
        base = backends.urls().get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close());
        }
    }

    @Test
    void openLoopSendsTheScheduledCountWithoutErrors() throws Exception {
        LoadReport report = run("--url", base + "/bytes/1024", "--rate", "200/s", "--duration", "1500ms",
                "--warmup", "200ms");
        // the schedule is exact: 200/s for 1.5 s is 300 intended requests
        assertThat(report.requests()).isEqualTo(300);
        assertThat(report.responses()).isCloseTo(300, within(15L));
        assertThat(report.errorCount()).isZero();
        assertThat(report.successes()).isEqualTo(report.responses());
        assertThat(report.statuses()).containsOnlyKeys(200);
        assertThat(report.bytes()).isEqualTo(report.responses() * 1024);
        assertThat(report.latencyUs().getTotalCount()).isEqualTo(report.responses());
        assertThat(report.achievedRate()).isCloseTo(200, within(10.0));
        assertThat(report.latencyMs(50)).isPositive().isLessThanOrEqualTo(report.latencyMs(99));
        assertThat(report.maxLatencyMs()).isGreaterThanOrEqualTo(report.latencyMs(99.9));
    }

    @Test
    void closedLoopKeepsConnectionsBusy() throws Exception {
        LoadReport report = run("--url", base + "/", "--connections", "3", "--duration", "1s", "--warmup", "0s");
        assertThat(report.responses()).isPositive().isEqualTo(report.requests());
        assertThat(report.errorCount()).isZero();
        assertThat(report.mode()).isEqualTo("closed-loop");
    }

    @Test
    void countsServerErrorsByStatusClass() throws Exception {
        LoadReport report = run("--url", base + "/status/500", "--rate", "100/s", "--duration", "1s",
                "--warmup", "0s");
        assertThat(report.responses()).isCloseTo(100, within(5L));
        assertThat(report.errors().get(ErrorKind.STATUS_5XX)).isEqualTo(report.responses());
        assertThat(report.errors().get(ErrorKind.STATUS_4XX)).isZero();
        assertThat(report.successes()).isZero();
        assertThat(report.statuses()).containsOnlyKeys(500);

        LoadReport notFound = run("--url", base + "/status/404", "--connections", "1", "--duration", "300ms",
                "--warmup", "0s");
        assertThat(notFound.errors().get(ErrorKind.STATUS_4XX)).isEqualTo(notFound.responses()).isPositive();
    }

    @Test
    void countsConnectFailures() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        LoadReport report = run("--url", "http://127.0.0.1:" + closedPort + "/", "--rate", "50/s",
                "--duration", "500ms", "--warmup", "0s");
        assertThat(report.requests()).isEqualTo(25);
        assertThat(report.errors().get(ErrorKind.CONNECT)).isEqualTo(25);
        assertThat(report.responses()).isZero();
    }

    @Test
    void inFlightCapHoldsBackLateRequests() throws Exception {
        // 2 in flight at most against a 300 ms backend: 20 intended over 1 s, only a few can be answered
        LoadReport report = run("--url", base + "/delay/300", "--rate", "20/s", "--duration", "1s",
                "--warmup", "0s", "--max-in-flight", "2");
        assertThat(report.requests()).isEqualTo(20);
        assertThat(report.errors().get(ErrorKind.UNSENT)).isPositive();
        assertThat(report.responses() + report.errors().get(ErrorKind.UNSENT)).isEqualTo(20);
        // latency counts from the intended time, so held-back requests show the wait (coordinated omission)
        assertThat(report.maxLatencyMs()).isGreaterThan(500);
    }

    @Test
    void postsABodyAndSendsHeaders() throws Exception {
        LoadReport report = run("--url", base + "/echo", "--connections", "2", "--duration", "500ms",
                "--warmup", "0s", "--body-size", "2KB", "--header", "X-Test: yes");
        assertThat(report.options().method().name()).isEqualTo("POST");
        assertThat(report.errorCount()).isZero();
        assertThat(report.bytes()).isEqualTo(report.responses() * 2048).isPositive();
    }

    @Test
    void http2OpenLoop() throws Exception {
        LoadReport report = run("--url", base + "/", "--rate", "100/s", "--duration", "1s", "--warmup", "0s",
                "--http2");
        assertThat(report.responses()).isCloseTo(100, within(5L));
        assertThat(report.errorCount()).isZero();
    }

    /**
     * Two stand-in cache nodes on loopback: keys 1..5 answer as hits, the rest as misses that "went to the origin"
     * (counted, and readable as the origin counter). The run's hit, origin and per-target figures must match what
     * the servers saw, request for request.
     */
    @Test
    void zipfKeysOverTwoTargetsCountHitsOriginRequestsAndPerTargetShares() throws Exception {
        java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong hitKeys = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong misses = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong maxKey = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong[] perNode = {new java.util.concurrent.atomic.AtomicLong(),
                new java.util.concurrent.atomic.AtomicLong()};
        int[] ports = new int[2];
        for (int node = 0; node < 2; node++) {
            int n = node;
            io.vertx.core.http.HttpServer server = await(vertx.createHttpServer().requestHandler(req -> {
                if (req.path().equals("/count")) {
                    req.response().end(Long.toString(misses.get()));
                    return;
                }
                long key = Long.parseLong(req.path().substring("/c/".length()));
                seen.incrementAndGet();
                perNode[n].incrementAndGet();
                maxKey.accumulateAndGet(key, Math::max);
                if (key <= 5) {
                    hitKeys.incrementAndGet();
                    req.response().putHeader("Cache-Status", "node; hit; ttl=60").end("x");
                } else {
                    misses.incrementAndGet();
                    req.response().putHeader("Cache-Status", "node; fwd=miss; stored").end("x");
                }
            }).listen(0, "127.0.0.1"));
            ports[node] = server.actualPort();
        }
        LoadReport report = run("--url", "http://127.0.0.1:" + ports[0] + "/c/{key}",
                "--url", "http://127.0.0.1:" + ports[1] + "/c/{key}", "--keys", "1000", "--zipf", "1.2",
                "--seed", "5", "--connections", "4", "--duration", "1s", "--warmup", "0s",
                "--origin-counter", "http://127.0.0.1:" + ports[0] + "/count");

        assertThat(report.errorCount()).isZero();
        assertThat(report.responses()).isPositive().isEqualTo(seen.get());
        assertThat(report.hits()).isEqualTo(hitKeys.get());
        assertThat(report.cacheAnswers()).isEqualTo(report.responses());
        assertThat(report.originRequests()).isEqualTo(misses.get());
        assertThat(maxKey.get()).isBetween(6L, 1000L);
        // keys 1..5 of 1000 at s = 1.2 carry about 58% of the requests
        double expected = 0;
        for (int k = 1; k <= 5; k++) {
            expected += ZipfSampler.probability(1000, 1.2, k);
        }
        assertThat(report.hitRatio()).isCloseTo(expected, within(0.06));
        assertThat(report.perTarget()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(report.perTarget().get(i).responses).as("target %d", i).isEqualTo(perNode[i].get());
        }
        assertThat(Math.abs(report.perTarget().get(0).sent - report.perTarget().get(1).sent))
                .as("round-robin").isLessThanOrEqualTo(VertxDefaults.cores());
        assertThat(report.perTarget().get(0).hits + report.perTarget().get(1).hits).isEqualTo(report.hits());

        String text = report.toText();
        assertThat(text).contains("2 targets round-robin", "keys        1000, zipf 1.2, seed 5", "cache       hit ratio ",
                "origin      " + misses.get() + " requests", "target 1", "target 2");
        JsonObject json = report.toJson();
        assertThat(json.getJsonObject("cache").getLong("hits")).isEqualTo(report.hits());
        assertThat(json.getJsonObject("origin").getLong("requests")).isEqualTo(misses.get());
        assertThat(json.getJsonArray("targets")).hasSize(2);
        assertThat(json.getJsonObject("keys").getLong("seed")).isEqualTo(5);
    }

    @Test
    void anUnreadableOriginCounterIsReportedNotFatal() throws Exception {
        LoadReport report = run("--url", base + "/bytes/16?max-age=60", "--keys", "10", "--connections", "1",
                "--duration", "300ms", "--warmup", "0s", "--origin-counter", base + "/headers");
        assertThat(report.responses()).isPositive();
        assertThat(report.errorCount()).as("the demo backend answers /bytes/16/k/<n>?... with 400").isPositive();
        assertThat(report.originRequests()).isEqualTo(-1);
        assertThat(report.originProblem()).contains("--origin-counter " + base + "/headers");
        assertThat(report.toText()).contains("origin      unknown: ");
    }

    @Test
    void commandPrintsJsonAndText() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = LoadtestCommand.run(new String[] {"--url", base + "/", "--rate", "50/s", "--duration", "500ms",
                "--warmup", "0s", "--json"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(LoadtestCommand.EXIT_OK);
        JsonObject json = new JsonObject(buf.toString(StandardCharsets.UTF_8));
        assertThat(json.getString("mode")).isEqualTo("open-loop");
        assertThat(json.getLong("requests")).isEqualTo(25);
        assertThat(json.getJsonObject("errors").getLong("total")).isZero();
        assertThat(json.getJsonObject("latency_ms").fieldNames())
                .contains("p50", "p90", "p99", "p99_9", "max");
        assertThat(json.getDouble("throughput_bytes_per_s")).isPositive();

        buf.reset();
        code = LoadtestCommand.run(new String[] {"--url", base + "/status/503", "--connections", "1",
                "--duration", "200ms", "--warmup", "0s"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as("no request succeeded").isEqualTo(LoadtestCommand.EXIT_FAILED);
        assertThat(text).contains("closed loop, 1 connections", "errors      5xx ", "statuses    503 ",
                "latency ms  p50 ");
    }

    @Test
    void aRunThatCannotFinishFailsNamingItsStage() {
        String[] stage = {"the measured run"};
        io.vertx.core.Future<LoadReport> never = io.vertx.core.Promise.<LoadReport>promise().future();
        io.vertx.core.Future<LoadReport> bounded = LoadGenerator.bounded(never, 200, stage);
        assertThatThrownBy(() -> bounded.await(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasMessageContaining("did not finish within 200 ms: still in the measured run");
        io.vertx.core.Future<String> quick = LoadGenerator.bounded(io.vertx.core.Future.succeededFuture("ok"),
                200, stage);
        assertThat(quick.await()).isEqualTo("ok");
    }

    /** Waits past the generator's own bound, so a run that hangs fails with its message naming the stage. */
    private static LoadReport run(String... args) throws Exception {
        return LoadGenerator.run(vertx, LoadOptions.parse(args)).await(60, java.util.concurrent.TimeUnit.SECONDS);
    }
}
