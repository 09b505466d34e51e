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

    private static LoadReport run(String... args) throws Exception {
        return await(LoadGenerator.run(vertx, LoadOptions.parse(args)));
    }
}
