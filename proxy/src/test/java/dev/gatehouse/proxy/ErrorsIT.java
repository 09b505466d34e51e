package dev.gatehouse.proxy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A failing backend gives the client 502/503/504 with a short body and a request id, never a hang. */
class ErrorsIT {

    private ProxyHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private HttpResponse<String> get(String path) {
        return h.send(HttpRequest.newBuilder(h.uri(path)).timeout(Duration.ofSeconds(5)).GET().build());
    }

    private static void assertShortError(HttpResponse<String> r, int status, String body) {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.body()).isEqualTo(body);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.headers().firstValue("x-request-id")).hasValueSatisfying(v -> assertThat(v).matches("[0-9a-f]{32}"));
    }

    @Test
    void deadOnlyBackendIs502() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "retries: { attempts: 3, on: [connect-failure] }"));
        assertThat(get("/").statusCode()).isEqualTo(200);
        h.backends[0].kill();
        for (int i = 0; i < 3; i++) {
            assertShortError(get("/x"), 502, "upstream connect error\n");
        }
    }

    @Test
    void noEligibleBackendIs503() {
        h = ProxyHarness.start(2, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: p\n    backends:\n"
                + "      - { url: \"${b0}\", draining: true }\n      - { url: \"${b1}\", draining: true }\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        assertShortError(get("/"), 503, "no healthy backend\n");
        assertThat(h.backends[0].hits.get() + h.backends[1].hits.get()).isZero();
    }

    @Test
    void backendThatNeverAnswersIs504() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "timeout: 300ms"));
        h.backends[0].handler = req -> { };
        long start = System.nanoTime();
        HttpResponse<String> r = get("/slow");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertShortError(r, 504, "upstream request timeout\n");
        // Not before the 300 ms timeout; no tight upper bound (the 504 says the proxy's timeout fired, and the
        // client's own 5 s timeout fails a hang).
        assertThat(millis).isGreaterThanOrEqualTo(250L);
        // The connection stays usable after a timeout.
        h.backends[0].handler = TestBackend::echo;
        assertThat(get("/after").statusCode()).isEqualTo(200);
    }

    @Test
    void backendResetBeforeAnyResponseIs502() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "retries: { attempts: 1 }"));
        h.backends[0].handler = req -> req.connection().close();
        assertShortError(get("/reset"), 502, "upstream connection reset\n");
    }

    @Test
    void backendClosingMidResponseBreaksTheResponseWithoutHanging() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", ""));
        h.backends[0].handler = req -> req.response()
                .putHeader("Content-Length", "100000")
                .write(Buffer.buffer(new byte[1000]))
                .onComplete(v -> req.connection().close());
        // A broken response is an IOException other than the client's own timeout (generous, so a loaded machine
        // does not trip it): a proxy that left the response hanging fails here.
        assertThatThrownBy(() -> h.http.send(HttpRequest.newBuilder(h.uri("/cut")).timeout(Duration.ofSeconds(15))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray()))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void backendClosingMidChunkedResponseBreaksTheResponseWithoutHanging() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", ""));
        h.backends[0].handler = req -> req.response().setChunked(true)
                .write(Buffer.buffer(new byte[1000]))
                .onComplete(v -> req.connection().close());
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
            // The terminating chunk never comes: the proxy cuts the connection instead.
            assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
        }
    }
}
