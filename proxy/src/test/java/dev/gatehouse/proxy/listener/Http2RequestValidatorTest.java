package dev.gatehouse.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

class Http2RequestValidatorTest {

    private static Http2Headers headers(String... fields) {
        Http2Headers h = new DefaultHttp2Headers(false);
        for (int i = 0; i < fields.length; i += 2) {
            h.add(fields[i], fields[i + 1]);
        }
        return h;
    }

    private static String problem(String... fields) {
        return Http2RequestValidator.requestProblem(headers(fields));
    }

    @Test
    void aPlainRequestPasses() {
        assertThat(problem(":method", "GET", ":scheme", "https", ":path", "/a?b=c", ":authority", "x.test",
                "accept", "*/*", "x-tab", "a\tb", "host", "X.TEST:443")).isNull();
        assertThat(problem(":method", "OPTIONS", ":scheme", "http", ":path", "*")).isNull();
        assertThat(problem(":method", "CONNECT", ":authority", "x.test:443")).isNull();
    }

    @Test
    void valuesThatWouldSplitOrFoldAnHttp11LineAreRefused() {
        for (String v : new String[] {"a\r\n b", "a\nb", "a\rb", "a\0b", " a", "a ", "\ta", "a\t", "a\u007fb"}) {
            assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/", "x-a", v)).as(v).isNotNull();
        }
    }

    @Test
    void namesMustBeLowerCaseTokens() {
        for (String n : new String[] {"X-A", "x a", "x:a", "x\r\na", "", "x\0"}) {
            assertThat(Http2RequestValidator.fieldProblem(n, "v")).as(n).isNotNull();
        }
        assertThat(Http2RequestValidator.fieldProblem("x-a_b.c~", "v")).isNull();
    }

    @Test
    void pseudoHeaderRules() {
        assertThat(problem(":scheme", "http", ":path", "/")).isEqualTo("no :method");
        assertThat(problem(":method", "GET", ":path", "/")).isEqualTo("no :scheme");
        assertThat(problem(":method", "GET", ":scheme", "http")).isEqualTo("no :path");
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "")).isEqualTo("empty :path");
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "*")).isNotNull();
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/a b")).isNotNull();
        assertThat(problem(":method", "GET", ":method", "GET", ":scheme", "http", ":path", "/")).isNotNull();
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/", ":status", "200")).isNotNull();
        assertThat(problem(":method", "CONNECT", ":authority", "x:1", ":path", "/")).isNotNull();
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "u@x")).isNotNull();
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/", ":protocol", "websocket")).isNotNull();
    }

    @Test
    void hostMustAgreeWithAuthority() {
        assertThat(problem(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "a.test",
                "host", "b.test")).isEqualTo("host differs from :authority");
        assertThat(Http2RequestValidator.sameAuthority("a.test", "A.TEST:80", "http")).isTrue();
        assertThat(Http2RequestValidator.sameAuthority("a.test:443", "a.test", "https")).isTrue();
        assertThat(Http2RequestValidator.sameAuthority("a.test:8080", "a.test", "http")).isFalse();
        assertThat(Http2RequestValidator.sameAuthority("[::1]", "[::1]:80", "http")).isTrue();
    }

    @Test
    void trailersCarryNoPseudoHeaders() {
        assertThat(Http2RequestValidator.trailersProblem(headers(":path", "/"))).isNotNull();
        assertThat(Http2RequestValidator.trailersProblem(headers("x-t", "a\nb"))).isNotNull();
        assertThat(Http2RequestValidator.trailersProblem(headers("x-t", "ok"))).isNull();
    }
}
