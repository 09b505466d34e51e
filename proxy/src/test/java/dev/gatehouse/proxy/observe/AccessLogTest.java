package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ProxyRuntime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.AccessLogConfig;
import dev.gatehouse.config.ConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The access log's formats, its queue (drops, never blocks), sampling and the per-route switch. */
class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ExchangeRecord record(String route, int status, String path) {
        return new ExchangeRecord(1_735_830_245_123L, 1_234_567, "public", "req-1", "192.0.2.7", "GET", path,
                "HTTP/1.1", route, "web", "127.0.0.1:9001", status, 5, 42, 2, null, "curl/8 \"quoted\"",
                "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
    }

    @Test
    void aJsonLineHasEveryField() throws IOException {
        StringBuilder b = new StringBuilder();
        AccessLog.json(record("a", 200, "/a/\"x\"\n\u0001"), b);

        JsonNode n = JSON.readTree(b.toString());

        assertThat(n.get("time").asText()).isEqualTo("2025-01-02T15:04:05.123Z");
        assertThat(n.get("client").asText()).isEqualTo("192.0.2.7");
        assertThat(n.get("method").asText()).isEqualTo("GET");
        assertThat(n.get("path").asText()).isEqualTo("/a/\"x\"\n\u0001");
        assertThat(n.get("status").asInt()).isEqualTo(200);
        assertThat(n.get("bytes_in").asLong()).isEqualTo(5);
        assertThat(n.get("bytes_out").asLong()).isEqualTo(42);
        assertThat(n.get("duration_ms").asDouble()).isEqualTo(1.234);
        assertThat(n.get("route").asText()).isEqualTo("a");
        assertThat(n.get("upstream").asText()).isEqualTo("127.0.0.1:9001");
        assertThat(n.get("attempts").asInt()).isEqualTo(2);
        assertThat(n.get("cache").isNull()).as("a route without caching").isTrue();
        assertThat(n.get("request_id").asText()).isEqualTo("req-1");
        assertThat(n.get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(n.get("user_agent").asText()).isEqualTo("curl/8 \"quoted\"");
        assertThat(b.toString()).doesNotContain("\n");
    }

    @Test
    void aCommonLineIsTheCombinedFormatWithExtras() {
        StringBuilder b = new StringBuilder();
        AccessLog.common(record("a", 200, "/a/b"), b);

        assertThat(b.toString()).isEqualTo("192.0.2.7 - - [02/Jan/2025:15:04:05 +0000] \"GET /a/b HTTP/1.1\" 200 42"
                + " \"-\" \"curl/8 \\\"quoted\\\"\" rt=1.234 route=a upstream=127.0.0.1:9001 attempts=2 cache=- rid=req-1"
                + " trace=0af7651916cd43dd8448eb211c80319c");
    }

    static ExchangeRecord cached(String word) {
        ExchangeRecord r = record("a", 200, "/a/b");
        return new ExchangeRecord(r.startMillis(), r.durationNanos(), r.listener(), r.requestId(), r.client(),
                r.method(), r.path(), r.protocol(), r.route(), r.pool(), r.backend(), r.status(), r.bytesIn(),
                r.bytesOut(), r.attempts(), r.error(), r.userAgent(), r.traceparent(), word);
    }

    @Test
    void bothFormatsCarryTheXCacheWord() throws IOException {
        for (String word : List.of("HIT", "MISS", "STALE", "UPDATING", "REVALIDATED", "EXPIRED", "BYPASS")) {
            StringBuilder json = new StringBuilder();
            AccessLog.json(cached(word), json);
            assertThat(JSON.readTree(json.toString()).get("cache").asText()).isEqualTo(word);

            StringBuilder common = new StringBuilder();
            AccessLog.common(cached(word), common);
            assertThat(common.toString()).contains(" attempts=2 cache=" + word + " rid=req-1");
        }
    }

    @Test
    void aCommonLineCannotBeSplitByTheRequest() {
        StringBuilder b = new StringBuilder();
        AccessLog.common(record(null, 404, "/x\"\r\nforged 200"), b);

        assertThat(b.toString()).doesNotContain("\n", "\r").contains("\"GET /x\\\"\\x0d\\x0aforged 200 HTTP/1.1\" 404 42")
                .contains("route=-");
    }

    @Test
    void linesAreWrittenToAFileByTheWriterThread(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("logs/access.log");
        AccessLog log = AccessLog.open(new AccessLogConfig(true, file.toString(), AccessLogConfig.Format.JSON, 1.0),
                null);
        for (int i = 0; i < 100; i++) {
            log.completed(record("a", 200, "/a/" + i));
        }
        log.close();

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(100);
        assertThat(JSON.readTree(lines.get(99)).get("path").asText()).isEqualTo("/a/99");
        assertThat(log.written()).isEqualTo(100);
        assertThat(log.dropped()).isZero();
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        };
        AccessLog log = new AccessLog(stuck, "stuck", true, 1.0, 4);
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            log.completed(record("a", 200, "/a"));
        }
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        // The stuck writer holds each write for 10 s: a single offer that waited for it would take longer than this.
        assertThat(tookMillis).as("offering never waits for the writer").isLessThan(8000);
        // The writer holds at most one batch; four more fit in the queue; the rest was dropped.
        assertThat(log.dropped()).isGreaterThanOrEqualTo(10_000 - 4 - 1024);
        release.countDown();
        log.close();
        assertThat(log.written() + log.dropped()).isEqualTo(10_000);
    }

    @Test
    void samplingKeepsAFractionButEveryServerError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(out, "memory", true, 0.1, 100_000);
        for (int i = 0; i < 10_000; i++) {
            log.completed(record("a", 200, "/a"));
        }
        for (int i = 0; i < 50; i++) {
            log.completed(record("a", 503, "/a"));
        }
        log.close();

        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        long errors = java.util.Arrays.stream(lines).filter(l -> l.contains("\"status\":503")).count();
        assertThat(errors).isEqualTo(50);
        // 1000 expected; 5 standard deviations (~95) either side.
        assertThat(lines.length - errors).isBetween(850L, 1150L);
    }

    @Test
    void routesCanSwitchItOff(@TempDir Path dir) throws IOException {
        ProxyRuntime runtime = new ProxyRuntime(ConfigParser.parse("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes:
                  - { name: quiet, pool: web, match: { path-prefix: /quiet/ }, access-log: false }
                  - { name: loud, pool: web }
                """).shared(), 1);
        Path file = dir.resolve("access.log");
        AccessLog log = AccessLog.open(new AccessLogConfig(true, file.toString(), AccessLogConfig.Format.COMMON, 1.0),
                runtime);
        log.completed(record("quiet", 200, "/quiet/1"));
        log.completed(record("loud", 200, "/loud/1"));
        log.completed(record(null, 404, "/nowhere"));
        await().atMost(Duration.ofSeconds(5)).until(() -> log.written() == 2);

        // Switched back on by a config change.
        runtime.apply(ConfigParser.parse("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes: [ { name: quiet, pool: web } ]
                """).shared(), 2);
        log.completed(record("quiet", 200, "/quiet/2"));
        log.close();

        assertThat(Files.readAllLines(file)).hasSize(3)
                .noneMatch(l -> l.contains("/quiet/1"))
                .anyMatch(l -> l.contains("/quiet/2"))
                .anyMatch(l -> l.contains("\"GET /nowhere HTTP/1.1\" 404"));
    }
}
