package dev.gatehouse.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an independent black-box probe of 2026-12-07 found, each as it was sent: a stalled request body, a POST
 * that asks for an upgrade, HTTP/1.0 requests with Expect, Upgrade or no Host, and a 204 with a Content-Length.
 */
class ProbeFindingsIT {

    static ProxyHarness h;
    static NetServer raw;

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(2, "listeners:\n"
                + "  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n"
                + "  - name: p\n"
                + "    backends:\n      - { url: \"${b0}\" }\n      - { url: \"${b1}\" }\n"
                + "    outlier-detection: { consecutive-failures: 1, base-ejection: 60s }\n"
                + "routes:\n"
                + "  - { name: r, pool: p, match: { path-prefix: / }, timeout: 1s }\n");
        for (TestBackend b : h.backends) {
            b.handler = TestBackend::echo;
        }
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static JsonObject seen(RawHttp.Response r) {
        assertThat(r.status()).as(r.statusLine() + " " + r.text()).isEqualTo(200);
        return new JsonObject(r.text());
    }

    @Test
    void aClientThatStallsItsBodyGets408AndNoBackendIsMarkedDown() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsome").read();
            assertThat(r.status()).as(r.statusLine()).isEqualTo(408);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        // With one failure enough to eject, a mark against the backend that got the stalled request would leave
        // only the other one serving.
        Set<String> serving = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            serving.add(seen(RawHttp.exchange(h.port(), "GET /after HTTP/1.1\r\nHost: x\r\n\r\n")).getString("backend"));
        }
        assertThat(serving).containsExactlyInAnyOrder("b0", "b1");
    }

    @Test
    void aPostAskingForAnUpgradeGoesUpAsThePostItIs() {
        JsonObject s = seen(RawHttp.exchange(h.port(), "POST /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Content-Length: 5\r\n\r\nhello"));
        assertThat(s.getString("method")).isEqualTo("POST");
        assertThat(s.getInteger("bodyLength")).isEqualTo(5);
        assertThat(s.getJsonObject("headers").getString("upgrade")).isNull();
    }

    @Test
    void http10RequestsGetNo1xxNoUpgradeAndAHostUpstream() throws Exception {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("POST /e HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            Thread.sleep(300);
            assertThat(c.input().available()).as("no 100 Continue to an HTTP/1.0 client").isZero();
            RawHttp.Response r = c.write("hello").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(new JsonObject(r.text()).getInteger("bodyLength")).isEqualTo(5);
        }
        JsonObject up = seen(RawHttp.exchange(h.port(), "GET /u HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
        assertThat(up.getString("method")).isEqualTo("GET");
        assertThat(up.getJsonObject("headers").getString("upgrade")).isNull();

        JsonObject noHost = seen(RawHttp.exchange(h.port(), "GET /n HTTP/1.0\r\n\r\n"));
        String host = noHost.getJsonObject("headers").getString("host");
        assertThat(host).as("the backend's own authority").matches("127\\.0\\.0\\.1:\\d+");
    }

    /** RFC 9110 §7.6.2: at Max-Forwards 0 the proxy is the final recipient; above, the value goes on decremented. */
    @Test
    void maxForwardsOnTraceAndOptions() {
        RawHttp.Response trace = RawHttp.exchange(h.port(), "TRACE /t HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n"
                + "Cookie: session=secret\r\nX-Probe: 1\r\n\r\n");
        assertThat(trace.status()).isEqualTo(200);
        assertThat(trace.header("Content-Type")).isEqualTo("message/http");
        assertThat(trace.text()).startsWith("TRACE /t HTTP/1.1\r\n").contains("X-Probe: 1").doesNotContain("secret");
        assertThat(trace.header("X-Backend")).as("answered by the proxy").isNull();

        RawHttp.Response options = RawHttp.exchange(h.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n");
        assertThat(options.status()).isEqualTo(200);
        assertThat(options.header("Allow")).contains("GET");

        JsonObject up = seen(RawHttp.exchange(h.port(), "TRACE /t HTTP/1.1\r\nHost: x\r\nMax-Forwards: 3\r\n\r\n"));
        assertThat(up.getJsonObject("headers").getString("max-forwards")).isEqualTo("2");
        JsonObject get = seen(RawHttp.exchange(h.port(), "GET /g HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n"));
        assertThat(get.getJsonObject("headers").getString("max-forwards")).as("only TRACE and OPTIONS").isEqualTo("0");
    }

    /** RFC 9110 §15.2: a proxy forwards the 1xx it did not ask for; Early Hints reach an HTTP/1.1 client first. */
    @Test
    void earlyHintsAreRelayedBeforeTheAnswer() throws Exception {
        NetServer hints = h.vertx.createNetServer().connectHandler(sock -> sock.handler(b -> sock.write(Buffer.buffer(
                "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", StandardCharsets.ISO_8859_1.name()))));
        int port = Await.result(hints.listen(0, "127.0.0.1")).actualPort();
        ProxyHarness own = ProxyHarness.start(0, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: h\n    backends:\n      - { url: \"http://127.0.0.1:" + port + "\" }\n"
                + "routes:\n  - { name: h, pool: h, match: { path-prefix: / } }\n");
        try (RawHttp c = RawHttp.connect(own.port())) {
            c.write("GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String all = new String(c.input().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(all).startsWith("HTTP/1.1 103 Early Hints\r\n");
            assertThat(all.substring(0, all.indexOf("\r\n\r\n"))).containsIgnoringCase("link: </style.css>; rel=preload");
            assertThat(all).contains("HTTP/1.1 200 OK").endsWith("ok");
        } finally {
            own.close();
            hints.close();
        }
    }

    @Test
    void a204LosesItsContentLength() {
        raw = h.vertx.createNetServer().connectHandler(sock -> sock.handler(b -> sock.write(Buffer.buffer(
                "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Raw: yes\r\n\r\n", StandardCharsets.ISO_8859_1.name()))));
        // a backend that writes the bytes it is given: Vert.x's own server would drop the field itself
        int port = Await.result(raw.listen(0, "127.0.0.1")).actualPort();
        ProxyHarness own = ProxyHarness.start(0, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: raw\n    backends:\n      - { url: \"http://127.0.0.1:" + port + "\" }\n"
                + "routes:\n  - { name: raw, pool: raw, match: { path-prefix: / } }\n");
        try {
            RawHttp.Response r = RawHttp.exchange(own.port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).isEqualTo(204);
            assertThat(r.header("X-Raw")).isEqualTo("yes");
            assertThat(r.header("Content-Length")).isNull();
        } finally {
            own.close();
            raw.close();
        }
    }
}
