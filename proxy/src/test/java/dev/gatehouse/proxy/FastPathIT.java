package dev.gatehouse.proxy;

import dev.gatehouse.proxy.listener.Http1Downstream;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP/1.1 fast path ({@link FastPath}): it takes plain requests, keeps pipelined responses in order, and hands a
 * connection to the full path at the first request it cannot take without losing or reordering anything.
 */
class FastPathIT {

    static ProxyHarness h;

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", ""));
        h.backends[0].handler = req -> {
            if (req.path().equals("/early")) {
                req.response().setStatusCode(403).end("no");
            } else if (req.path().equals("/whole-chunked")) {
                req.response().setChunked(true).end("hello world");
            } else if (req.path().equals("/streamed")) {
                req.response().setChunked(true).write("first ");
                h.vertx.setTimer(50, id -> req.response().end("second"));
            } else if (req.path().equals("/hints")) {
                req.response().writeEarlyHints(MultiMap.caseInsensitiveMultiMap().add("Link", "</a.css>; rel=preload"))
                        .onComplete(v -> req.response().end("after hints"));
            } else {
                TestBackend.echo(req);
            }
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: a.example\r\n\r\n";
    }

    @Test
    void plainGetsTakeTheFastPath() {
        long before = Http1Downstream.TAKEN.sum();
        try (RawHttp c = RawHttp.connect(h.port())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = c.write(get("/echo?i=" + i)).read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.json().getString("uri")).isEqualTo("/echo?i=" + i);
                assertThat(r.header("Via")).isEqualTo("1.1 gatehouse");
                assertThat(r.header("X-Request-Id")).isNotBlank();
                assertThat(r.seen().getString("x-forwarded-for")).isEqualTo("127.0.0.1");
                assertThat(r.seen().getString("traceparent")).isNotBlank();
            }
        }
        assertThat(Http1Downstream.TAKEN.sum() - before).isEqualTo(3);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                all.append(get("/echo?n=" + i));
            }
            c.write(all.toString());
            for (int i = 0; i < 20; i++) {
                RawHttp.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.json().getString("uri")).isEqualTo("/echo?n=" + i);
            }
        }
    }

    @Test
    void aChunkedRequestHandsTheConnectionToTheFullPathInOrder() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            String post = "POST /echo?n=1 HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n";
            // Pipelined: a fast GET, a chunked POST the fast path does not take, then GETs that must follow in order.
            c.write(get("/echo?n=0") + post + get("/echo?n=2") + get("/echo?n=3"));
            RawHttp.Response r0 = c.read();
            RawHttp.Response r1 = c.read();
            RawHttp.Response r2 = c.read();
            RawHttp.Response r3 = c.read();
            assertThat(r0.json().getString("uri")).isEqualTo("/echo?n=0");
            assertThat(r1.json().getString("uri")).isEqualTo("/echo?n=1");
            assertThat(r1.json().getInteger("bodyLength")).isEqualTo(5);
            assertThat(r2.json().getString("uri")).isEqualTo("/echo?n=2");
            assertThat(r3.json().getString("uri")).isEqualTo("/echo?n=3");
            // The connection goes on working on the full path.
            assertThat(c.write(get("/echo?n=4")).read().json().getString("uri")).isEqualTo("/echo?n=4");
        }
    }

    @Test
    void requestBodiesWithALengthAreStreamedOnTheFastPath() {
        long before = Http1Downstream.TAKEN.sum();
        try (RawHttp c = RawHttp.connect(h.port())) {
            String body = "x".repeat(200_000);
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = c.write("PUT /echo?i=" + i + " HTTP/1.1\r\nHost: a.example\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.json().getString("method")).isEqualTo("PUT");
                assertThat(r.json().getInteger("bodyLength")).isEqualTo(body.length());
            }
        }
        assertThat(Http1Downstream.TAKEN.sum() - before).isEqualTo(3);
    }

    @Test
    void aBodyTheBackendDidNotWaitForIsDroppedAndTheConnectionGoesOn() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            // /early answers before reading the body; the rest of the body must not be taken for a request.
            String body = "GET /not-a-request HTTP/1.1\r\n\r\n" + "y".repeat(300_000);
            RawHttp.Response r = c.write("POST /early HTTP/1.1\r\nHost: a.example\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).read();
            assertThat(r.status()).isEqualTo(403);
            RawHttp.Response next = c.write(get("/echo?after=1")).read();
            assertThat(next.json().getString("uri")).isEqualTo("/echo?after=1");
        }
    }

    @Test
    void connectionCloseFromTheClientEndsTheConnectionAfterTheResponse() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("GET /echo HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(r.seen().containsKey("connection")).isFalse();
            assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    /** RFC 9110 §15.2: a proxy forwards 1xx it did not ask for; the answer follows on the same connection. */
    @Test
    void earlyHintsFromTheBackendAreRelayedBeforeTheAnswer() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response hints = c.write(get("/hints")).read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("Link")).isEqualTo("</a.css>; rel=preload");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("after hints");
            assertThat(c.write(get("/echo")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void absoluteFormAndHeadTakeTheRawTransportToo() {
        long before = Http1Downstream.TAKEN.sum();
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response head = c.write("HEAD /echo HTTP/1.1\r\nHost: a.example\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            // The connection stays in step: the next response is the next request's, not a stray HEAD body.
            assertThat(c.write(get("/echo")).read().status()).isEqualTo(200);
        }
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("GET http://a.example/echo HTTP/1.1\r\nHost: a.example\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getString("uri")).isEqualTo("/echo");
        }
        assertThat(Http1Downstream.TAKEN.sum() - before).isEqualTo(3);
    }

    @Test
    void aWholeChunkedResponseGoesOutWithItsLength() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write(get("/whole-chunked")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("hello world");
            assertThat(r.header("Content-Length")).isEqualTo("11");
            assertThat(r.header("Transfer-Encoding")).isNull();
        }
    }

    @Test
    void aResponseInPiecesIsStreamedChunked() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write(get("/streamed")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("first second");
            assertThat(r.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
            assertThat(c.write(get("/echo")).read().status()).isEqualTo(200);
        }
    }

    /** As {@link #againstRawBackend(String, java.util.function.Consumer)}, on the fast path or the full one. */
    private static void againstRawBackend(String answer, boolean full, java.util.function.Consumer<ProxyHarness> test) {
        io.vertx.core.net.NetServer raw = Await.result(h.vertx.createNetServer()
                .connectHandler(socket -> socket.handler(buf -> socket.write(answer).onComplete(v -> socket.close())))
                .listen(0, "127.0.0.1"));
        ProxyHarness p = ProxyHarness.start(0, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + raw.actualPort() + "\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / }, retries: { attempts: 1 }"
                + (full ? ", filters: [ { type: headers, request: { set: { X-Full: \"1\" } } } ]" : "") + " }\n");
        try {
            test.accept(p);
        } finally {
            p.close();
            Await.result(raw.close());
        }
    }

    /** The same answer on both paths when the backend dies after its head and before any body: a clean 502. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aBackendClosingAfterItsHeadGivesAClean502OnBothPaths(boolean full) {
        againstRawBackend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", full, p -> {
            try (RawHttp c = RawHttp.connect(p.port())) {
                RawHttp.Response r = c.write(get("/x")).read();
                assertThat(r.status()).isEqualTo(502);
                assertThat(r.text()).isEqualTo("upstream connection reset\n");
            }
        });
    }

    /** A malformed request closes the connection after its 400 on both paths (one rule, README). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aBadRequestClosesTheConnectionOnBothPaths(boolean full) {
        againstRawBackend("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", full, p -> {
            try (RawHttp c = RawHttp.connect(p.port())) {
                // Normalisation refuses %00: a 400 after the head was parsed, from whichever path took it.
                RawHttp.Response r = c.write(get("/a%00b")).read();
                assertThat(r.status()).isEqualTo(400);
                assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
        });
    }

    /** A one-backend proxy in front of a raw TCP server that answers each request with {@code answer}, then closes. */
    private static void againstRawBackend(String answer, java.util.function.Consumer<ProxyHarness> test) {
        io.vertx.core.net.NetServer raw = Await.result(h.vertx.createNetServer()
                .connectHandler(socket -> socket.handler(buf -> socket.write(answer).onComplete(v -> socket.close())))
                .listen(0, "127.0.0.1"));
        ProxyHarness p = ProxyHarness.start(0, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + raw.actualPort() + "\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / }, retries: { attempts: 1 } }\n");
        try {
            test.accept(p);
        } finally {
            p.close();
            Await.result(raw.close());
        }
    }

    @Test
    void aBackendClosingBeforeAnyResponseGivesA502AndTheClientConnectionLives() {
        againstRawBackend("", p -> {
            try (RawHttp c = RawHttp.connect(p.port())) {
                RawHttp.Response r = c.write(get("/x")).read();
                assertThat(r.status()).isEqualTo(502);
                assertThat(r.text()).isEqualTo("upstream connection reset\n");
                assertThat(c.write(get("/y")).read().status()).isEqualTo(502);
            }
        });
    }

    @Test
    void aBackendClosingMidBodyCutsTheClientOff() {
        // As nginx does: the head is already on its way, so the client must see the response end short.
        againstRawBackend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", p -> {
            try (RawHttp c = RawHttp.connect(p.port())) {
                RawHttp.Response head = c.write(get("/x")).readHead();
                assertThat(head.status()).isEqualTo(200);
                assertThat(head.header("Content-Length")).isEqualTo("100");
                assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
            }
        });
    }
}
