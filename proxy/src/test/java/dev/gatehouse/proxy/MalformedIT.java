package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Malformed, ambiguous and oversized requests over raw sockets: each gets its status, the connection is closed,
 * and nothing reaches the backend.
 */
class MalformedIT {

    static ProxyHarness h;
    static final AtomicInteger completedBodies = new AtomicInteger();
    static final AtomicInteger abortedBodies = new AtomicInteger();
    /** Request heads the backend got for bodies of /small/upload. */
    static final AtomicInteger uploadHeads = new AtomicInteger();
    private int hitsBefore;

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, "listeners:\n"
                + "  - { name: public, host: 127.0.0.1, port: 0, max-uri-length: 1KB, max-header-size: 2KB,"
                + " header-timeout: 500ms }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n"
                + "  - { name: small, pool: p, match: { path-prefix: /small/ }, max-body-size: 1KB }\n"
                + "  - { name: r, pool: p, match: { path-prefix: / } }\n");
        h.backends[0].handler = req -> {
            if (req.path().startsWith("/small/")) {
                if (req.path().endsWith("/upload")) {
                    uploadHeads.incrementAndGet();
                }
                req.body().onComplete(ar -> (ar.succeeded() ? completedBodies : abortedBodies).incrementAndGet());
            }
            TestBackend.echo(req);
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @BeforeEach
    void count() {
        hitsBefore = h.backends[0].hits.get();
    }

    private void assertBackendSawNothing() {
        assertThat(h.backends[0].hits.get()).as("backend hits").isEqualTo(hitsBefore);
    }

    /** Sends {@code request}, expects {@code status} and then the connection closed by the proxy. */
    private RawHttp.Response rejected(String request, int status) {
        try (RawHttp c = RawHttp.connect(h.port())) {
            RawHttp.Response r = c.write(request).read();
            assertThat(r.status()).as(r.statusLine()).isEqualTo(status);
            // What the decoder could not parse is answered as HTTP/1.0, the version it assumes then.
            assertThat(r.statusLine()).matches("HTTP/1\\.[01] " + status + " .*");
            assertThat(r.body().length).isLessThan(100);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).as("connection closed after " + status).isTrue();
            assertBackendSawNothing();
            return r;
        }
    }

    @Test
    void contentLengthWithTransferEncodingIs400() {
        rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                + "0\r\n\r\n", 400);
        rejected("POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n", 400);
    }

    @Test
    void twoDifferentContentLengthsAre400() {
        rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
        rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", 400);
    }

    @Test
    void transferEncodingOtherThanChunkedIs400() {
        rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400);
        rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
                + "0\r\n\r\n", 400);
    }

    @Test
    void badContentLengthIs400() {
        rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400);
        rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
    }

    @Test
    void uriLongerThanTheLimitIs414() {
        rejected("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
        // Just over the limit: between it and the decoder's own line limit, the proxy must still answer 414.
        rejected("GET /" + "a".repeat(1024) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
    }

    @Test
    void uriAtTheLimitIsServed() {
        RawHttp.Response r = RawHttp.exchange(h.port(), "GET /" + "a".repeat(1023) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
    }

    @Test
    void headersLargerThanTheLimitAre431() {
        rejected("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(3000) + "\r\n\r\n", 431);
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 100; i++) {
            many.append("X-H").append(i).append(": ").append("v".repeat(30)).append("\r\n");
        }
        rejected(many.append("\r\n").toString(), 431);
    }

    @Test
    void declaredBodyOverTheRouteLimitIs413WithoutReadingIt() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            // Only the head is sent: the answer must not wait for the 5000 bytes.
            c.write("POST /small/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.statusLine()).startsWith("HTTP/1.1 413 ");
            assertThat(r.text()).isEqualTo("payload too large\n");
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        assertBackendSawNothing();
    }

    @Test
    void chunkedBodyGrowingOverTheLimitIsCutAndTheBackendRequestAborted() {
        int completed = completedBodies.get();
        int aborted = abortedBodies.get();
        int heads = uploadHeads.get();
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("POST /small/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = Integer.toHexString(512) + "\r\n" + "c".repeat(512) + "\r\n";
            try {
                for (int i = 0; i < 4; i++) {
                    c.write(chunk);
                }
            } catch (UncheckedIOException e) {
                // The proxy may already have closed: that is a valid outcome too.
            }
            RawHttp.Response r = null;
            try {
                r = c.read();
            } catch (UncheckedIOException e) {
                // reset instead of a 413: allowed
            }
            if (r != null) {
                assertThat(r.status()).isEqualTo(413);
            }
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        // Either the head and first chunks went upstream before the limit was hit, and the backend sees its body
        // fail; or all of it came in one read, the head was still held (it waits for the read's end to go up with a
        // body that arrives whole), and the backend never saw the request. Never a completed oversized body.
        if (uploadHeads.get() > heads) {
            await().atMost(Duration.ofSeconds(5)).until(() -> abortedBodies.get() > aborted);
        }
        assertThat(completedBodies.get()).isEqualTo(completed);
    }

    @Test
    void bodyWithinTheLimitIsServed() {
        RawHttp.Response r = RawHttp.exchange(h.port(),
                "POST /small/ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + "d".repeat(1024));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getInteger("bodyLength")).isEqualTo(1024);
    }

    @Test
    void http11WithoutHostIs400() {
        rejected("GET / HTTP/1.1\r\n\r\n", 400);
    }

    @Test
    void garbageRequestLineIs400() {
        rejected("HELLO\r\n\r\n", 400);
        rejected("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400);
        rejected("G\u0001T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    /** RFC 9112's grammar and nothing else (request security, item 2): each is refused before any backend. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "POST / HTTP/1.1|Host: x|Transfer-Encoding: identity, chunked||0||GET /smuggled HTTP/1.1|Host: x||",
            "POST / HTTP/1.1|Host: x|Transfer-Encoding: xchunked|Content-Length: 36||GET /smuggled HTTP/1.1|Host: x||",
            "POST / HTTP/1.1|Host: x|Transfer-Encoding:  chunked|Transfer-Encoding: x||0||",
            "POST / HTTP/1.0|Content-Length: 36|Content-Length: 0||GET /smuggled HTTP/1.1|Host: x||",
            "POST / HTTP/1.0|Transfer-Encoding: chunked||0||GET /smuggled HTTP/1.1|Host: x||",
            "GET / HTTP/1.1|Host: x|Host: y||",
            "GET / HTTP/1.1|Host: x|: empty||",
            "GET\t/ HTTP/1.1|Host: x||",
            "GET / HTTP/1.1|Host: x|X-A: a| folded||",
            "GET / HTTP/1.1|Host: x|X-A : a||",
            "GET / HTTP/1.1|Host: x|X-A: a\u0000b||",
            "GET / HTTP/1.1\nHost: x\n\n",
            "GET / HTTP/1.1|Host: x\rX-A: a||",
            "GET /a#frag HTTP/1.1|Host: x||",
            "GET http://y/ HTTP/1.1|Host: x||",
            "GET / HTTP/1.1|Host: a@x||",
    })
    void anythingOutsideTheGrammarIs400(String request) {
        rejected(request.replace("|", "\r\n"), 400);
    }

    @Test
    void unsupportedHttpVersionIs505() {
        rejected("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505);
        rejected("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    }

    @Test
    void aBadRequestPipelinedBehindAGoodOneIsAnsweredInItsTurn() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"
                    + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response first = c.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.json().getString("uri")).isEqualTo("/first");
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        assertThat(h.backends[0].hits.get() - hitsBefore).isEqualTo(1);
    }

    @Test
    void headerWithoutColonIs400() {
        rejected("GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400);
    }

    @Test
    void silentConnectionIsClosedByHeaderTimeout() {
        try (RawHttp silent = RawHttp.connect(h.port())) {
            // header-timeout is 500 ms and idle-timeout the default 60 s: a close within 15 s can only be the
            // header timeout, and 15 s leaves a loaded machine room.
            assertThat(silent.closedWithin(Duration.ofSeconds(15))).isTrue();
        }
    }

    @Test
    void slowlorisIsClosedByHeaderTimeoutWhileOthersAreServed() throws IOException {
        try (RawHttp slow = RawHttp.connect(h.port()); RawHttp normal = RawHttp.connect(h.port())) {
            slow.write("GET /slow HT");
            normal.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(normal.read().status()).isEqualTo(200);
            // The 408 is the header timeout's own answer (500 ms; idle-timeout is 60 s), so the waits below only
            // guard against a hang and are generous.
            slow.timeout(Duration.ofSeconds(15));
            RawHttp.Response timeout = slow.read();
            assertThat(timeout.status()).isEqualTo(408);
            assertThat(timeout.header("Connection")).isEqualTo("close");
            assertThat(slow.closedWithin(Duration.ofSeconds(10))).as("slow connection closed").isTrue();
            // The well-behaved keep-alive connection outlives the header timeout.
            normal.write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(normal.read().status()).isEqualTo(200);
        }
        assertThat(h.backends[0].hits.get() - hitsBefore).isEqualTo(2);
    }
}
