package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The status page in a real browser: Debian's headless Chromium, driven by {@code playwright-core}
 * ({@code admin-api/src/test/browser/status-page.test.js}), against a real node with a real backend. The page must
 * show the backend taking requests and the route's request rate, the node's and the route's charts drawn from the
 * history the node kept (requests/s, average and p99 latency), the p99 column, a backend of a pool without an active
 * check "serving (passive)", one that got no traffic "no traffic yet" and one that answers 503 "ejected (outlier)";
 * then the backend is stopped and the page, refreshing on its own, must show it unhealthy (active health checks) or,
 * where they cannot tell within the wait, the backend drained through the admin API. Leaves {@code target/status-page.png}.
 *
 * <p>Skipped only when Node.js or Chromium is missing; {@code .ci/run} installs both.
 */
class StatusPageBrowserIT {

    private static final String READ = "page-reader";
    private static final String WRITE = "page-writer";
    private static final Path SCRIPT_DIR = Path.of("..", "admin-api", "src", "test", "browser").toAbsolutePath()
            .normalize();
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theStatusPageShowsABackendTurningUnhealthy() throws Exception {
        Assumptions.assumeTrue(ObservabilityIT.onPath("node"), "Node.js not installed: skipping the browser test"
                + " (.ci/run installs it)");
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " not installed (Debian package chromium):"
                + " skipping the browser test (.ci/run installs it)");
        installPlaywrightCore();

        Vertx backends = Vertx.vertx();
        HttpServer backend = TestNodes.await(backends.createHttpServer()
                .requestHandler(r -> r.response().end("web page " + r.path())).listen(0, "127.0.0.1"));
        String backendId = "127.0.0.1:" + backend.actualPort();
        HttpServer failing = TestNodes.await(backends.createHttpServer()
                .requestHandler(r -> r.response().setStatusCode(503).end("down")).listen(0, "127.0.0.1"));
        Node node = TestNodes.start(yaml(backend.actualPort(), failing.actualPort()));
        Process browser = null;
        ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
        try {
            URI page = URI.create("http://127.0.0.1:" + node.proxy.port("public") + "/index.html");
            URI passive = URI.create("http://127.0.0.1:" + node.proxy.port("public") + "/api/items");
            URI flaky = URI.create("http://127.0.0.1:" + node.proxy.port("public") + "/flaky/x");
            // A request every 50 ms to each route so the page has rates and charts to show; bounded to two minutes
            // whatever happens.
            traffic.scheduleAtFixedRate(() -> {
                send(page);
                send(passive);
                send(flaky);
            }, 0, 50, TimeUnit.MILLISECONDS);
            traffic.schedule(traffic::shutdown, 2, TimeUnit.MINUTES);
            Path screenshot = Path.of("target", "status-page.png").toAbsolutePath();
            Files.createDirectories(screenshot.getParent());
            Files.deleteIfExists(screenshot);
            String url = "http://127.0.0.1:" + node.admin.actualPort() + "/";
            browser = new ProcessBuilder("node", "status-page.test.js", url, READ, screenshot.toString(),
                    "web/" + backendId, "site", "api/" + backendId, "spare/127.0.0.1:9",
                    "flaky/127.0.0.1:" + failing.actualPort())
                    .directory(SCRIPT_DIR.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            BlockingQueue<String> lines = lines(browser);

            String ready = nextLine(lines, 120);
            assertThat(ready).as("script output").startsWith("PAGE-READY");
            traffic.shutdownNow();
            assertThat(traffic.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

            // The backend goes away: active health checks mark it unhealthy.
            TestNodes.await(backend.close());
            String state = awaitNotTakingRequests(node, backendId);
            if (state == null) {
                // No verdict in time (no active checker on this build): the operator's way, draining it.
                HttpResponse<String> drain = TestNodes.send(HttpRequest.newBuilder(TestNodes.admin(node,
                                "/pools/web/backends/" + backendId + "/drain"))
                        .header("Authorization", "Bearer " + WRITE)
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build());
                assertThat(drain.statusCode()).as(drain.body()).isBetween(200, 299);
                state = "draining";
            }
            try (Writer w = new OutputStreamWriter(browser.getOutputStream(), StandardCharsets.UTF_8)) {
                w.write(state + "\n");
            }
            String done = nextLine(lines, 60);
            assertThat(browser.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(done).isEqualTo("OK backend=" + state);
            assertThat(browser.exitValue()).isZero();
            assertThat(Files.size(screenshot)).isGreaterThan(10_000);
        } finally {
            traffic.shutdownNow();
            if (browser != null && browser.isAlive()) {
                browser.destroy();
                if (!browser.waitFor(10, TimeUnit.SECONDS)) {
                    browser.destroyForcibly();
                }
            }
            TestNodes.stop(node);
            TestNodes.await(backends.close());
        }
    }

    private String yaml(int backendPort, int failingPort) {
        return "data-dir: " + dir.resolve("data") + "\n"
                + "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]\n"
                + "admin: { host: 127.0.0.1, port: 0, tokens: [\n"
                + "  { name: viewer, token-sha256: " + ObservabilityIT.sha256(READ) + ", role: read },\n"
                + "  { name: ops, token-sha256: " + ObservabilityIT.sha256(WRITE) + ", role: write } ] }\n"
                + "pools:\n"
                + "  - name: web\n"
                + "    backends: [ { url: \"http://127.0.0.1:" + backendPort + "\" } ]\n"
                // Tolerant enough for a busy two-core machine starting Chromium: two failed probes a second apart.
                + "    health-check: { path: /, interval: 1s, timeout: 1s, healthy-threshold: 1,"
                + " unhealthy-threshold: 2 }\n"
                // Checked passively only: what traffic shows.
                + "  - name: api\n"
                + "    backends: [ { url: \"http://127.0.0.1:" + backendPort + "\" } ]\n"
                // No route sends to it: nothing is known.
                + "  - name: spare\n"
                + "    backends: [ { url: \"http://127.0.0.1:9\" } ]\n"
                // Answers 503: outlier detection ejects it for longer than the test.
                + "  - name: flaky\n"
                + "    backends: [ { url: \"http://127.0.0.1:" + failingPort + "\" } ]\n"
                + "    outlier-detection: { consecutive-failures: 3, base-ejection: 5m }\n"
                + "routes: [ { name: api, pool: api, match: { path-prefix: /api/ } },\n"
                + "  { name: flaky, pool: flaky, match: { path-prefix: /flaky/ } }, { name: site, pool: web } ]\n";
    }

    /** The page reads playwright-core from node_modules; .ci/run installs it, a developer's first run here. */
    private static void installPlaywrightCore() throws Exception {
        if (Files.isDirectory(SCRIPT_DIR.resolve("node_modules/playwright-core"))) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(SCRIPT_DIR.toFile()).inheritIO().start();
        assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci in " + SCRIPT_DIR).isTrue();
        assertThat(npm.exitValue()).as("npm ci in " + SCRIPT_DIR).isZero();
    }

    private static void send(URI uri) {
        try {
            TestNodes.HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.io.IOException e) {
            // the node is going down; the schedule ends with the test
        }
    }

    /** The backend's state once the node no longer sends it requests, or {@code null} if that takes over 15 s. */
    private static String awaitNotTakingRequests(Node node, String backendId) {
        String[] state = new String[1];
        try {
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
                HttpResponse<String> r = TestNodes.send(HttpRequest.newBuilder(TestNodes.admin(node, "/health"))
                        .header("Authorization", "Bearer " + READ).timeout(Duration.ofSeconds(10)).build());
                for (JsonNode b : JSON.readTree(r.body()).get("backends")) {
                    if (b.get("backend").asText().equals(backendId)) {
                        state[0] = b.get("state").asText();
                    }
                }
                return "unhealthy".equals(state[0]) || "ejected".equals(state[0]);
            });
            return state[0];
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return null;
        }
    }

    private static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println("[status-page] " + line);
                    q.add(line);
                }
            } catch (java.io.IOException e) {
                // process ended
            }
            q.add("<end of output>");
        }, "status-page-output");
        reader.setDaemon(true);
        reader.start();
        return q;
    }

    private static String nextLine(BlockingQueue<String> lines, int seconds) throws InterruptedException {
        String line = lines.poll(seconds, TimeUnit.SECONDS);
        return line == null ? "<no output in " + seconds + " s>" : line;
    }
}
