package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a backend receives is what the client sent, framed the same way (issue: request security, items 1-4 and 7),
 * on the fast path (route {@code /fast/}, no filters) and the full path (route {@code /full/}, a headers filter).
 */
class FramingIT {

    static ProxyHarness h;
    /** Every request the backend parsed: "METHOD uri bodyLength". */
    static final List<String> received = new CopyOnWriteArrayList<>();
    /** Request heads as the backend got them, before their bodies. */
    static final List<String> heads = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, "listeners:\n"
                + "  - { name: public, host: 127.0.0.1, port: 0, trusted-proxies: [127.0.0.1/32] }\n"
                + "pools:\n  - name: p\n    max-connections: 2\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n"
                + "  - { name: fast, pool: p, match: { path-prefix: /fast/ } }\n"
                + "  - name: full\n    pool: p\n    match: { path-prefix: /full/ }\n"
                + "    filters: [ { type: headers, request: { set: { X-Full: yes } } } ]\n");
        h.backends[0].handler = req -> {
            heads.add(req.method() + " " + req.uri());
            if (req.path().endsWith("/early")) {
                // Answers before reading the body, as a backend refusing an upload does.
                received.add(req.method() + " " + req.uri() + " early");
                req.response().end("early");
                return;
            }
            long delay = req.path().endsWith("/slow") ? 300 : 0;
            req.body().onSuccess(b -> {
                received.add(req.method() + " " + req.uri() + " " + b.length());
                JsonObject headers = new JsonObject();
                req.headers().forEach(e -> {
                    String k = e.getKey().toLowerCase();
                    headers.put(k, headers.containsKey(k) ? headers.getString(k) + "|" + e.getValue() : e.getValue());
                });
                String json = new JsonObject().put("uri", req.uri()).put("bodyLength", b.length())
                        .put("headers", headers).encode();
                if (delay > 0) {
                    h.vertx.setTimer(delay, t -> req.response().end(json));
                } else {
                    req.response().end(json);
                }
            });
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @BeforeEach
    void clear() {
        received.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "full"})
    void aContentLengthTheConnectionHeaderNamesStillFramesTheBody(String path) {
        String smuggled = "GET /" + path + "/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("POST /" + path + "/post HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\n"
                    + "Content-Length: " + smuggled.length() + "\r\n\r\n" + smuggled).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getInteger("bodyLength")).isEqualTo(smuggled.length());
            assertThat(r.seen().getString("content-length"))
                    .isEqualTo(String.valueOf(smuggled.length()));
            // And the connection goes on: a second request on it is answered too.
            assertThat(c.write("GET /" + path + "/next HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 2);
        assertThat(received).containsExactly("POST /" + path + "/post " + smuggled.length(), "GET /" + path + "/next 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "full"})
    void aChunkedBodyTheConnectionHeaderNamesStillGoesChunked(String path) {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("POST /" + path + "/te HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: keep-alive, Transfer-Encoding, Host\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getInteger("bodyLength")).isEqualTo(5);
            assertThat(r.seen().getString("host")).isEqualTo("x");
        }
        assertThat(received).containsExactly("POST /" + path + "/te 5");
    }

    @Test
    void aChunkedBodyThatArrivesWholeWithItsHeadGoesUpWithItsLength() {
        // As nginx's request buffering does: the backend gets a Content-Length, no chunk framing to parse.
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("POST /fast/whole HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getInteger("bodyLength")).isEqualTo(11);
            assertThat(r.seen().getString("content-length")).isEqualTo("11");
            assertThat(r.seen().getString("transfer-encoding")).isNull();
        }
    }

    @Test
    void aChunkedBodyStillArrivingGoesUpChunked() throws Exception {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("POST /fast/streamed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            // The rest comes once the backend has the head (a bounded wait for the event, not a sleep).
            await().atMost(Duration.ofSeconds(10)).until(() -> heads.stream().anyMatch(s -> s.contains("/fast/streamed")));
            RawHttp.Response r = c.write("6\r\n world\r\n0\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getInteger("bodyLength")).isEqualTo(11);
            assertThat(r.seen().getString("transfer-encoding")).isEqualTo("chunked");
            assertThat(r.seen().getString("content-length")).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "full"})
    void aBodyPipelinedBehindARequestInFlightArrivesWholeAndInOrder(String path) {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("GET /" + path + "/slow HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /" + path + "/second HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
            c.write("world"
                    + "POST /" + path + "/third HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            c.timeout(Duration.ofSeconds(30));
            assertThat(c.read().json().getString("uri")).isEqualTo("/" + path + "/slow");
            RawHttp.Response second = c.read();
            assertThat(second.json().getString("uri")).isEqualTo("/" + path + "/second");
            assertThat(second.json().getInteger("bodyLength")).isEqualTo(10);
            RawHttp.Response third = c.read();
            assertThat(third.json().getString("uri")).isEqualTo("/" + path + "/third");
            assertThat(third.json().getInteger("bodyLength")).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "full"})
    void aBackendAnsweringBeforeTheBodyLeaksNoPoolSlot(String path) {
        // The pool has two connections: ten early answers would take them all if each leaked its slot.
        for (int i = 0; i < 10; i++) {
            try (RawHttp c = RawHttp.connect(h.port())) {
                c.timeout(Duration.ofSeconds(30));
                RawHttp.Response r = c.write("POST /" + path + "/early HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                        + "x".repeat(1000)).read();
                // 200, or 502 when the backend's close overtakes its answer: either way the slot must come back.
                assertThat(r.status()).isIn(200, 502);
            }
        }
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.timeout(Duration.ofSeconds(30));
            assertThat(c.write("GET /" + path + "/after HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "full"})
    void everyForwardingLineCountsAndUnderscoreIdentityHeadersAreStripped(String path) {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("GET /" + path + "/fwd HTTP/1.1\r\nHost: x\r\n"
                    + "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 192.0.2.2, 192.0.2.3\r\n"
                    + "Forwarded: for=192.0.2.1\r\nForwarded: for=192.0.2.2\r\n"
                    + "Connection: keep-alive\r\nConnection: X-Secret\r\nX-Secret: s\r\n"
                    + "X_Client_Cert_Subject: CN=admin\r\nX_Forwarded_For: 10.0.0.1\r\nX_Request_Id: forged\r\n"
                    + "X-Client-Cert-Subject: CN=admin\r\n\r\n").read();
            JsonObject headers = r.seen();
            assertThat(headers.getString("x-forwarded-for")).isEqualTo("192.0.2.1, 192.0.2.2, 192.0.2.3, 127.0.0.1");
            assertThat(headers.getString("forwarded")).startsWith("for=192.0.2.1, for=192.0.2.2, for=127.0.0.1");
            assertThat(headers.fieldNames()).doesNotContain("x-secret", "x_client_cert_subject", "x_forwarded_for",
                    "x_request_id", "x-client-cert-subject");
        }
    }

    @Test
    void aBadChunkMidBodyCutsTheUpstreamRequestOff() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.timeout(Duration.ofSeconds(30));
            c.write("POST /full/chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            c.write("5 \r\nworld\r\n0\r\n\r\nGET /full/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.closedWithin(Duration.ofSeconds(30))).isTrue();
        }
        // The backend never saw a complete request: not the cut one, not the one behind it.
        try (RawHttp c = RawHttp.connect(h.port())) {
            assertThat(c.write("GET /full/after HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        assertThat(received).containsExactly("GET /full/after 0");
    }
}
