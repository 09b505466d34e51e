package dev.gatehouse.proxy;

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
            if (req.path().equals("/hints")) {
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
        long before = FastPath.TAKEN.sum();
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
        assertThat(FastPath.TAKEN.sum() - before).isEqualTo(3);
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
    void aRequestWithABodyHandsTheConnectionToTheFullPathInOrder() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            String post = "POST /echo?n=1 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello";
            // Pipelined: a fast GET, a POST the fast path cannot take, then GETs that must follow it in order.
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
    void connectionCloseFromTheClientEndsTheConnectionAfterTheResponse() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("GET /echo HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(r.seen().containsKey("connection")).isFalse();
            assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void interimResponsesFromTheBackendAreNotRelayed() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write(get("/hints")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("after hints");
            assertThat(c.write(get("/echo")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void absoluteFormAndHeadGoTheFullPath() {
        long before = FastPath.TAKEN.sum();
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response head = c.write("HEAD /echo HTTP/1.1\r\nHost: a.example\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
        }
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write("GET http://a.example/echo HTTP/1.1\r\nHost: a.example\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getString("uri")).isEqualTo("/echo");
        }
        assertThat(FastPath.TAKEN.sum() - before).isZero();
    }
}
