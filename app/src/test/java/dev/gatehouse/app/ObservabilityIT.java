package dev.gatehouse.app;

import dev.gatehouse.proxy.PrometheusText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One real node (proxy, admin, standalone cluster member) in front of a real backend, observed from outside:
 * {@code /metrics} parsed back and compared with the requests sent, OpenMetrics on request, {@code promtool check
 * metrics}, the JSON access log, {@code traceparent} propagation and {@code GET /api/v1/stats}.
 */
class ObservabilityIT {

    static final String READ_TOKEN = "observer-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Vertx backends;
    static HttpServer backend;
    static Node node;
    static Path accessLog;

    @BeforeAll
    static void start() {
        backends = Vertx.vertx();
        backend = TestNodes.await(backends.createHttpServer().requestHandler(req -> {
            String p = req.path();
            int status = p.startsWith("/b/missing") ? 404 : p.startsWith("/b/bad") ? 502 : 200;
            // What the proxy sent, for the trace tests.
            String tp = req.getHeader("traceparent");
            String ts = req.getHeader("tracestate");
            req.response().setStatusCode(status)
                    .putHeader("X-Seen-Traceparent", tp == null ? "-" : tp)
                    .putHeader("X-Seen-Tracestate", ts == null ? "-" : ts)
                    .end("body of " + p);
        }).listen(0, "127.0.0.1"));
        accessLog = dir.resolve("logs/access.log");
        node = TestNodes.start(nodeYaml(dir.resolve("data"), backend.actualPort(), accessLog));
    }

    static String nodeYaml(Path data, int backendPort, Path accessLog) {
        return "data-dir: " + data + "\n"
                + "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]\n"
                + "admin: { host: 127.0.0.1, port: 0, tokens: [ { name: viewer, token-sha256: "
                + sha256(READ_TOKEN) + ", role: read } ] }\n"
                + "access-log: { path: \"" + accessLog + "\", format: json }\n"
                + "pools: [ { name: p, backends: [ { url: \"http://127.0.0.1:" + backendPort + "\" } ] } ]\n"
                + "routes:\n"
                + "  - { name: a, pool: p, match: { path-prefix: /a/ } }\n"
                + "  - { name: b, pool: p, match: { path-prefix: /b/ }, retries: { attempts: 1 } }\n"
                + "  - { name: t, pool: p, match: { path-prefix: /t/ } }\n"
                + "  - { name: logged, pool: p, match: { path-prefix: /logged/ } }\n"
                + "  - { name: quiet, pool: p, match: { path-prefix: /quiet/ }, access-log: false }\n";
    }

    static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            TestNodes.stop(node);
        }
        TestNodes.await(backends.close());
    }

    static HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.proxy.port("public") + path))
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return TestNodes.send(b.build());
    }

    static HttpResponse<String> scrape(String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.admin.actualPort()
                        + "/metrics")).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + READ_TOKEN);
        if (accept != null) {
            b.header("Accept", accept);
        }
        HttpResponse<String> r = TestNodes.send(b.build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    static PrometheusText metrics() {
        return PrometheusText.parse(scrape(null).body());
    }

    // ---- metrics --------------------------------------------------------------------------------------------

    @Test
    void metricsCountEveryRequestByRouteAndStatusClass() {
        PrometheusText before = metrics();
        for (int i = 0; i < 7; i++) {
            assertThat(get("/a/item-" + i).statusCode()).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(get("/b/missing/" + i).statusCode()).isEqualTo(404);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(get("/b/bad/" + i).statusCode()).isEqualTo(502);
        }
        assertThat(get("/nowhere").statusCode()).isEqualTo(404);

        // The exchange is recorded when the response is done, which the client may see a moment earlier.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText after = metrics();
            assertThat(delta(before, after, "gatehouse_requests_total", "route", "a", "pool", "p", "status_class", "2xx"))
                    .isEqualTo(7);
            assertThat(delta(before, after, "gatehouse_requests_total", "route", "b", "pool", "p", "status_class", "4xx"))
                    .isEqualTo(3);
            assertThat(delta(before, after, "gatehouse_requests_total", "route", "b", "pool", "p", "status_class", "5xx"))
                    .isEqualTo(2);
            assertThat(delta(before, after, "gatehouse_requests_total", "route", "none", "status_class", "4xx"))
                    .isEqualTo(1);
            assertThat(delta(before, after, "gatehouse_request_duration_seconds_count", "route", "a", "status_class",
                    "2xx")).isEqualTo(7);
            assertThat(delta(before, after, "gatehouse_request_duration_seconds_bucket", "route", "b",
                    "status_class", "5xx", "le", "+Inf")).isEqualTo(2);
            assertThat(delta(before, after, "gatehouse_upstream_attempts_total", "pool", "p")).isEqualTo(12);
            assertThat(delta(before, after, "gatehouse_listener_requests_total", "listener", "public")).isEqualTo(13);
            assertThat(delta(before, after, "gatehouse_response_body_bytes_total", "route", "a"))
                    .isEqualTo(7 * "body of /a/item-0".length());
        });
        PrometheusText now = metrics();
        assertThat(now.value("gatehouse_config_version")).isEqualTo(1);
        assertThat(now.value("gatehouse_cluster_members")).isEqualTo(1);
        assertThat(now.value("gatehouse_backend_healthy", "pool", "p", "backend", "127.0.0.1:" + backend.actualPort()))
                .isEqualTo(1);
        assertThat(now.sum("gatehouse_connections_accepted_total", "listener", "public")).isPositive();
        assertThat(now.types).containsEntry("jvm_memory_used_bytes", "gauge");
        for (PrometheusText.Sample s : now.samples) {
            assertThat(s.labels().values()).as(s.toString()).noneMatch(v -> v.contains("/a/item") || v.equals("127.0.0.1"));
        }
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    @Test
    void openMetricsWhenAskedByAccept() {
        get("/a/openmetrics");
        HttpResponse<String> text = scrape(null);
        assertThat(text.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");

        // What Prometheus itself sends.
        HttpResponse<String> om = scrape("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                + "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");

        assertThat(om.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/openmetrics-text");
        assertThat(om.body()).endsWith("# EOF\n");
        PrometheusText parsed = PrometheusText.parse(om.body());
        assertThat(parsed.types).containsEntry("gatehouse_requests", "counter")
                .containsEntry("gatehouse_request_duration_seconds", "histogram");
        assertThat(parsed.sum("gatehouse_requests_total", "route", "a")).isPositive();
    }

    @Test
    void promtoolFindsNothingToComplainAbout() throws Exception {
        Assumptions.assumeTrue(onPath("promtool"), "promtool not installed (Debian package prometheus; .ci/run"
                + " installs it): skipping the exposition lint");
        get("/a/lint");
        get("/b/bad/lint");
        get("/nowhere/lint");
        // promtool lints the Prometheus text format (its parser does not read OpenMetrics' escapes).
        String body = scrape("text/plain; version=0.0.4").body();
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(body.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("promtool check metrics").isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    // ---- access log -----------------------------------------------------------------------------------------

    static Map<String, JsonNode> accessLogById() throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        if (!Files.exists(accessLog)) {
            return out;
        }
        for (String line : Files.readAllLines(accessLog)) {
            JsonNode n = JSON.readTree(line);
            out.put(n.get("request_id").asText(), n);
        }
        return out;
    }

    @Test
    void accessLogLinesMatchTheRequests() throws IOException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = "log-" + i + "-" + System.nanoTime();
            ids.add(id);
            assertThat(get("/logged/" + i + "?secret=x", "X-Request-Id", id, "User-Agent", "observer/1").statusCode())
                    .isEqualTo(200);
        }
        String missing = "log-404-" + System.nanoTime();
        get("/nowhere/logged", "X-Request-Id", missing);
        String quiet = "quiet-" + System.nanoTime();
        get("/quiet/1", "X-Request-Id", quiet);

        await().atMost(Duration.ofSeconds(10)).until(() -> accessLogById().keySet().containsAll(ids)
                && accessLogById().containsKey(missing));
        Map<String, JsonNode> lines = accessLogById();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode n = lines.get(ids.get(i));
            assertThat(n.get("status").asInt()).isEqualTo(200);
            assertThat(n.get("method").asText()).isEqualTo("GET");
            assertThat(n.get("path").asText()).isEqualTo("/logged/" + i);
            assertThat(n.get("route").asText()).isEqualTo("logged");
            assertThat(n.get("pool").asText()).isEqualTo("p");
            assertThat(n.get("upstream").asText()).isEqualTo("127.0.0.1:" + backend.actualPort());
            assertThat(n.get("attempts").asInt()).isEqualTo(1);
            assertThat(n.get("bytes_out").asLong()).isEqualTo(("body of /logged/" + i).length());
            assertThat(n.get("client").asText()).isEqualTo("127.0.0.1");
            assertThat(n.get("duration_ms").asDouble()).isBetween(0.0, 10_000.0);
            assertThat(n.get("trace_id").asText()).matches("[0-9a-f]{32}");
            assertThat(n.get("user_agent").asText()).isEqualTo("observer/1");
            assertThat(n.get("listener").asText()).isEqualTo("public");
            assertThat(n.get("time").asText()).endsWith("Z");
        }
        assertThat(lines.get(missing).get("status").asInt()).isEqualTo(404);
        assertThat(lines.get(missing).get("route").isNull()).isTrue();
        assertThat(lines.get(missing).get("attempts").asInt()).isZero();
        assertThat(lines).doesNotContainKey(quiet);
        assertThat(Files.readString(accessLog)).doesNotContain("secret=x");
    }

    // ---- tracing --------------------------------------------------------------------------------------------

    @Test
    void aValidTraceparentKeepsItsTraceWithANewParent() throws IOException {
        String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        String id = "trace-valid-" + System.nanoTime();
        HttpResponse<String> r = get("/t/1", "traceparent", incoming, "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa",
                "X-Request-Id", id);

        String seen = r.headers().firstValue("X-Seen-Traceparent").orElseThrow();
        assertThat(seen).matches("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01");
        assertThat(seen.substring(36, 52)).isNotEqualTo("00f067aa0ba902b7").isNotEqualTo("0000000000000000");
        assertThat(r.headers().firstValue("X-Seen-Tracestate")).contains("congo=t61rcWkgMzE,rojo=00f067aa");
        await().atMost(Duration.ofSeconds(10)).until(() -> accessLogById().containsKey(id));
        assertThat(accessLogById().get(id).get("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void anAbsentTraceparentGetsAFreshOne() throws IOException {
        String id = "trace-absent-" + System.nanoTime();
        HttpResponse<String> r = get("/t/2", "X-Request-Id", id);

        String seen = r.headers().firstValue("X-Seen-Traceparent").orElseThrow();
        assertThat(seen).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").doesNotContain("00000000000000000000000000000000");
        assertThat(r.headers().firstValue("X-Seen-Tracestate")).contains("-");
        await().atMost(Duration.ofSeconds(10)).until(() -> accessLogById().containsKey(id));
        assertThat(accessLogById().get(id).get("trace_id").asText()).isEqualTo(seen.substring(3, 35));
        // Another request, another trace.
        assertThat(get("/t/3").headers().firstValue("X-Seen-Traceparent").orElseThrow().substring(3, 35))
                .isNotEqualTo(seen.substring(3, 35));
    }

    @Test
    void anInvalidTraceparentIsReplacedAndItsTracestateDropped() {
        for (String bad : List.of("00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "not a traceparent",
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) {
            HttpResponse<String> r = get("/t/4", "traceparent", bad, "tracestate", "congo=t61rcWkgMzE");

            String seen = r.headers().firstValue("X-Seen-Traceparent").orElseThrow();
            assertThat(seen).as(bad).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").isNotEqualTo(bad);
            assertThat(seen.substring(3, 35)).as(bad).isNotEqualTo("00000000000000000000000000000000")
                    .isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(r.headers().firstValue("X-Seen-Tracestate")).as(bad).contains("-");
        }
    }

    // ---- stats for the status page --------------------------------------------------------------------------

    @Test
    void statsCountRequestsPerRoute() throws IOException {
        for (int i = 0; i < 4; i++) {
            get("/a/stats");
        }
        get("/b/bad/stats");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            HttpResponse<String> r = TestNodes.send(HttpRequest.newBuilder(TestNodes.admin(node, "/stats"))
                    .header("Authorization", "Bearer " + READ_TOKEN).timeout(Duration.ofSeconds(10)).build());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode stats = JSON.readTree(r.body());
            Map<String, JsonNode> routes = new HashMap<>();
            stats.get("routes").forEach(n -> routes.put(n.get("route").asText(), n));
            assertThat(routes.get("a").get("requests").asLong()).isGreaterThanOrEqualTo(4);
            assertThat(routes.get("a").get("status-classes").get("2xx").asLong())
                    .isEqualTo(routes.get("a").get("requests").asLong());
            assertThat(routes.get("b").get("errors").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(stats.has("cache")).as("no cache exists yet").isFalse();
            assertThat(stats.get("config-version").asLong()).isEqualTo(1);
            assertThat(stats.get("listeners").get(0).get("listener").asText()).isEqualTo("public");
        });
    }
}
