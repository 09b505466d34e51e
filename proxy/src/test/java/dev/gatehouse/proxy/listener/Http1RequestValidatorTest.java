package dev.gatehouse.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Http1RequestValidatorTest {

    /** Feeds {@code text} (with | for CRLF) in pieces of {@code step} bytes; the validator after the last. */
    private static Http1RequestValidator feed(String text, int step) {
        byte[] bytes = text.replace("|", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        Http1RequestValidator v = new Http1RequestValidator();
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        for (int i = 0; i < bytes.length && !v.failed(); i += step) {
            v.feed(buf, i, Math.min(bytes.length, i + step));
        }
        return v;
    }

    private static void accepted(String text) {
        for (int step : new int[] {1, 3, 7, 1 << 20}) {
            Http1RequestValidator v = feed(text, step);
            assertThat(v.failed()).as("%s (step %d): %s", text, step,
                    v.violation() == null ? "" : v.violation().getMessage()).isFalse();
        }
    }

    private static Http1RequestValidator refused(String text) {
        Http1RequestValidator last = null;
        for (int step : new int[] {1, 5, 1 << 20}) {
            last = feed(text, step);
            assertThat(last.failed()).as("%s (step %d)", text, step).isTrue();
        }
        return last;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1|Host: a||",
            "GET /a?b=c HTTP/1.1|Host: a.example:8080|X: y||",
            "GET / HTTP/1.0||",
            "|GET / HTTP/1.1|Host: a||",
            "POST / HTTP/1.1|Host: a|Content-Length: 3||abc",
            "POST / HTTP/1.1|Host: a|Content-Length: 0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: ChunKed ||3;a=b|abc|0|T: x||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3 ; a = \"q\\\"x\" ;b|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||A|0123456789|0||",
            "OPTIONS * HTTP/1.1|Host: a||",
            "GET http://a/x HTTP/1.1|Host: a||",
            "GET https://A:81/x HTTP/1.1|Host: a:81||",
            "GET / HTTP/1.1|Host: [::1]:8080||",
            "GET / HTTP/1.1|Host: a|X: caf\u00e9\tb||",
            "GET / HTTP/1.1|Host: a||GET /2 HTTP/1.1|Host: a||POST /3 HTTP/1.1|Host: a|Content-Length: 1||xGET / HTTP/1.1|Host: b||",
    })
    void acceptsRfc9112Requests(String text) {
        accepted(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // framing
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: identity, chunked||0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked, identity||0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: xchunked|Content-Length: 3||abc",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked|Content-Length: 3||abc",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked|Transfer-Encoding: chunked||0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: gzip||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: \"chunked\"||0||",
            "POST / HTTP/1.0|Transfer-Encoding: chunked||0||",
            "POST / HTTP/1.0|Content-Length: 1|Content-Length: 2||ab",
            "POST / HTTP/1.1|Host: a|Content-Length: 1|Content-Length: 1||a",
            "POST / HTTP/1.1|Host: a|Content-Length: 1, 1||a",
            "POST / HTTP/1.1|Host: a|Content-Length: +1||a",
            "POST / HTTP/1.1|Host: a|Content-Length: -1||",
            "POST / HTTP/1.1|Host: a|Content-Length: 0x1||a",
            "POST / HTTP/1.1|Host: a|Content-Length: 1 1||a",
            "POST / HTTP/1.1|Host: a|Content-Length: ||",
            "POST / HTTP/1.1|Host: a|Content-Length: 99999999999999999999||",
            // chunks
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3 |abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||0x3|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||-3|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|abcX|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3\nabc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||fffffffffffffffff1|a|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||100000000|",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3;|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3;a=|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3;a b|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||;|abc|0||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|abc|0| bad||",
            "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|abc|0|T : x||",
            // request line
            "GET\t/ HTTP/1.1|Host: a||",
            "GET /\tHTTP/1.1|Host: a||",
            "GET  / HTTP/1.1|Host: a||",
            "GET / HTTP/1.1 |Host: a||",
            "GET /|Host: a||",
            "GET / HTTP/1.2|Host: a||",
            "GET / HTTP/2.0|Host: a||",
            "GET / http/1.1|Host: a||",
            "GET / HTTP/1.1x|Host: a||",
            "GET /a#b HTTP/1.1|Host: a||",
            "GET /a\u0000b HTTP/1.1|Host: a||",
            "GET /caf\u00e9 HTTP/1.1|Host: a||",
            "GET a HTTP/1.1|Host: a||",
            "GET * HTTP/1.1|Host: a||",
            "GET http://b/x HTTP/1.1|Host: a||",
            "G(T / HTTP/1.1|Host: a||",
            " GET / HTTP/1.1|Host: a||",
            // fields
            "GET / HTTP/1.1|Host: a|: x||",
            "GET / HTTP/1.1|Host: a|X : y||",
            "GET / HTTP/1.1|Host: a|X\t: y||",
            "GET / HTTP/1.1|Host: a|X: y| folded||",
            "GET / HTTP/1.1| Host: a||",
            "GET / HTTP/1.1|Host: a|X: a\u0000b||",
            "GET / HTTP/1.1|Host: a|X: a\rb||",
            "GET / HTTP/1.1|Host: a|X: a\u007fb||",
            "GET / HTTP/1.1|Host: a|X(y): z||",
            "GET / HTTP/1.1|Host: a|X: y\n|",
            "GET / HTTP/1.1\nHost: a||",
            "GET / HTTP/1.1|Host: a\r\r\n|",
            // host
            "GET / HTTP/1.1||",
            "GET / HTTP/1.1|Host: a|Host: b||",
            "GET / HTTP/1.1|Host: a|host: a||",
            "GET / HTTP/1.1|Host: ||",
            "GET / HTTP/1.1|Host: u@a||",
            "GET / HTTP/1.1|Host: a:b||",
            "GET / HTTP/1.1|Host: a b||",
            "GET / HTTP/1.1|Host: a,b||",
            "GET / HTTP/1.1|Host: a/b||",
            "GET / HTTP/1.0|Host: a|Host: b||",
    })
    void refusesEverythingElse(String text) {
        refused(text);
    }

    @Test
    void aBadHeadLeavesTheRequestsBeforeItStanding() {
        String good = "GET / HTTP/1.1|Host: a||POST / HTTP/1.1|Host: a|Content-Length: 2||ab";
        Http1RequestValidator v = refused(good + "GET / HTTP/1.1|Host: a|Host: b||");
        assertThat(v.failedInBody()).isFalse();
        assertThat(v.safeEnd()).isEqualTo(good.replace("|", "\r\n").length());
    }

    @Test
    void aBadChunkFailsInTheBodyAfterTheGoodBytes() {
        String head = "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|abc|";
        Http1RequestValidator v = refused(head + "3 |abc|0||");
        assertThat(v.failedInBody()).isTrue();
        assertThat(v.safeEnd()).isEqualTo(head.replace("|", "\r\n").length() + 2);
    }

    @Test
    void statusesForVersions() {
        assertThat(refused("GET / HTTP/1.2|Host: a||").violation().status).isEqualTo(505);
        assertThat(refused("GET / HTTP/9.9|Host: a||").violation().status).isEqualTo(505);
        assertThat(refused("GET / HTTP/1|Host: a||").violation().status).isEqualTo(400);
    }

    @Test
    void aBodyIsSkippedWithoutBeingParsed() {
        // Bytes in a body are never taken for a request line, however they look.
        accepted("POST / HTTP/1.1|Host: a|Content-Length: 19||GET / HTTP/1.1\t\r\n\r\nGET / HTTP/1.1|Host: a||");
    }

    private static void feedAll(Http1RequestValidator v, String text) {
        byte[] bytes = text.replace("|", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        v.feed(Unpooled.wrappedBuffer(bytes), 0, bytes.length);
    }

    @Test
    void headsParsedAtOnceOnOneThreadKeepTheirOwnCaptures() {
        // Connections of one event loop interleave their heads; each must be judged by its own target and Host, the
        // captures it borrowed from the thread's pool never shared with another head in progress.
        Http1RequestValidator a = new Http1RequestValidator();
        Http1RequestValidator b = new Http1RequestValidator();
        Http1RequestValidator c = new Http1RequestValidator();
        feedAll(a, "GET http://a.example/x HTTP/1.1|Host: a.exa");
        feedAll(b, "GET http://b.example/y HTTP/1.1|Host: b.example||");
        feedAll(c, "GET http://c.example/z HTTP/1.1|Host: c.ex");
        assertThat(b.failed()).isFalse();
        assertThat(b.holdsCaptures()).isFalse();
        feedAll(b, "GET http://b2.example/y HTTP/1.1|Host: b2.example|Content-Length: 1||x");
        feedAll(a, "mple||");
        feedAll(c, "ample.org||");
        assertThat(a.failed()).as("a: %s", a.violation()).isFalse();
        assertThat(b.failed()).as("b: %s", b.violation()).isFalse();
        assertThat(c.failed()).isTrue();
        assertThat(c.violation().getMessage()).contains("does not match Host");
        assertThat(a.holdsCaptures()).isFalse();
        assertThat(c.holdsCaptures()).isFalse();
    }

    @Test
    void anIdleConnectionHoldsNoCaptures() {
        Http1RequestValidator v = new Http1RequestValidator();
        assertThat(v.holdsCaptures()).isFalse();
        feedAll(v, "POST / HTTP/1.1|Host: a|Transfer-Encoding: chunked||3|a");
        assertThat(v.holdsCaptures()).as("in the body").isFalse();
        feedAll(v, "bc|0|Trailer-Field: x||GET / HTTP/1.1|Ho");
        assertThat(v.holdsCaptures()).as("in the next head").isTrue();
        feedAll(v, "st: a||");
        assertThat(v.failed()).isFalse();
        assertThat(v.holdsCaptures()).as("between requests").isFalse();
    }
}
