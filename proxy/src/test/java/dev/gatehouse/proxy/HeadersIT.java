package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Header hygiene both ways: hop-by-hop headers stop at the proxy, forwarding headers are honest. */
class HeadersIT {

    static ProxyHarness h;

    @BeforeAll
    static void start() {
        String yaml = "listeners:\n"
                + "  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "  - { name: trusted, host: 127.0.0.1, port: 0, trusted-proxies: [127.0.0.1/32] }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n";
        h = ProxyHarness.start(1, yaml);
        h.backends[0].handler = req -> {
            switch (req.path()) {
                case "/hop-response" -> req.response()
                        .putHeader("Connection", "X-Internal")
                        .putHeader("X-Internal", "secret")
                        .putHeader("Keep-Alive", "timeout=5")
                        .putHeader("Proxy-Authenticate", "Basic")
                        .putHeader("Trailer", "X-Checksum")
                        .putHeader("Upgrade", "foo")
                        .putHeader("X-Public", "ok")
                        .putHeader("Via", "1.1 origin-cache")
                        .setChunked(true)
                        .end("hello");
                case "/chunked" -> req.response().setChunked(true).write("hello ").compose(v -> req.response().end("world"));
                default -> TestBackend.echo(req);
            }
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static RawHttp.Response get(int port, String target, String... headers) {
        StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (String header : headers) {
            req.append(header).append("\r\n");
            host |= header.regionMatches(true, 0, "Host:", 0, 5);
        }
        if (!host) {
            req.append("Host: api.example.com\r\n");
        }
        return RawHttp.exchange(port, req.append("\r\n").toString());
    }

    private static int trustedPort() {
        return h.proxy.port("trusted");
    }

    @Test
    void hopByHopRequestHeadersDoNotReachTheBackend() {
        RawHttp.Response r = get(h.port(), "/echo",
                "Connection: keep-alive, X-Secret",
                "X-Secret: 1",
                "Keep-Alive: timeout=5",
                "TE: trailers",
                "Upgrade: foo",
                "Proxy-Authorization: Basic Zm9vOmJhcg==",
                "Proxy-Connection: keep-alive",
                "Proxy: http://evil.test:3128",
                "Proxy-Foo: end-to-end",
                "X-Keep: yes");
        assertThat(r.status()).isEqualTo(200);
        JsonObject seen = r.seen();
        assertThat(seen.fieldNames()).doesNotContain("x-secret", "keep-alive", "te", "upgrade", "proxy-authorization",
                "proxy-connection", "proxy");
        assertThat(seen.getString("proxy-foo")).isEqualTo("end-to-end");
        assertThat(seen.getString("connection", "")).doesNotContainIgnoringCase("x-secret");
        assertThat(seen.getString("x-keep")).isEqualTo("yes");
    }

    @Test
    void hopByHopResponseHeadersDoNotReachTheClient() {
        RawHttp.Response r = get(h.port(), "/hop-response");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("hello");
        assertThat(r.header("X-Internal")).isNull();
        assertThat(r.header("Keep-Alive")).isNull();
        assertThat(r.header("Proxy-Authenticate")).isNull();
        assertThat(r.header("Trailer")).isNull();
        assertThat(r.header("Upgrade")).isNull();
        assertThat(r.all("Connection")).noneMatch(v -> v.toLowerCase().contains("x-internal"));
        // The proxy frames the body itself: at most its own single "chunked", never the backend's copied over.
        assertThat(r.all("Transfer-Encoding")).hasSizeLessThanOrEqualTo(1).allMatch(v -> v.equals("chunked"));
        assertThat(r.header("X-Public")).isEqualTo("ok");
        assertThat(r.header("Via")).isEqualTo("1.1 origin-cache, 1.1 gatehouse");
    }

    @Test
    void forwardingHeadersFromAnUntrustedClientAreReplaced() {
        JsonObject seen = get(h.port(), "/echo",
                "X-Forwarded-For: 6.6.6.6",
                "X-Forwarded-Proto: https",
                "X-Forwarded-Host: evil.test",
                "Forwarded: for=6.6.6.6;proto=https").seen();
        assertThat(seen.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.getString("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.getString("x-forwarded-host")).isEqualTo("api.example.com");
        assertThat(seen.getString("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"api.example.com\"");
    }

    /** Fields frameworks read as the client's origin: only a trusted proxy in front may set them. */
    @Test
    void originClaimsFromAnUntrustedClientAreDroppedAndATrustedProxysPass() {
        String[] claims = {"X-Forwarded-Port: 1337", "X-Forwarded-Prefix: //evil.test", "X-Forwarded-Scheme: https",
            "X-Forwarded-Ssl: on", "X-Real-IP: 6.6.6.6", "X-Original-URL: /admin", "X-Rewrite-URL: /admin",
            "X-Host: evil.test", "X-Http-Method-Override: PUT", "X-Forwardedish: kept"};
        JsonObject untrusted = get(h.port(), "/echo", claims).seen();
        for (String name : List.of("x-forwarded-port", "x-forwarded-prefix", "x-forwarded-scheme", "x-forwarded-ssl",
                "x-real-ip", "x-original-url", "x-rewrite-url", "x-host")) {
            assertThat(untrusted.getString(name)).as(name).isNull();
        }
        assertThat(untrusted.getString("x-http-method-override")).as("not a claim about the origin").isEqualTo("PUT");
        assertThat(untrusted.getString("x-forwardedish")).isEqualTo("kept");
        assertThat(untrusted.getString("x-forwarded-for")).isEqualTo("127.0.0.1");

        JsonObject trusted = get(trustedPort(), "/echo", claims).seen();
        assertThat(trusted.getString("x-forwarded-port")).isEqualTo("1337");
        assertThat(trusted.getString("x-original-url")).isEqualTo("/admin");
        assertThat(trusted.getString("x-real-ip")).isEqualTo("6.6.6.6");
    }

    @Test
    void forwardingHeadersFromATrustedProxyAreExtended() {
        JsonObject seen = get(trustedPort(), "/echo",
                "X-Forwarded-For: 6.6.6.6",
                "X-Forwarded-Proto: https",
                "X-Forwarded-Host: shop.example.com",
                "Forwarded: for=6.6.6.6;proto=https").seen();
        assertThat(seen.getString("x-forwarded-for")).isEqualTo("6.6.6.6, 127.0.0.1");
        assertThat(seen.getString("x-forwarded-proto")).isEqualTo("https");
        assertThat(seen.getString("x-forwarded-host")).isEqualTo("shop.example.com");
        assertThat(seen.getString("forwarded"))
                .isEqualTo("for=6.6.6.6;proto=https, for=127.0.0.1;proto=http;host=\"api.example.com\"");
    }

    @Test
    void trustedListenerWithoutIncomingHeadersStartsTheChain() {
        JsonObject seen = get(trustedPort(), "/echo").seen();
        assertThat(seen.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.getString("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"api.example.com\"");
    }

    @Test
    void viaIsAppendedToAnIncomingVia() {
        RawHttp.Response r = get(h.port(), "/echo", "Via: 1.1 edge");
        assertThat(r.seen().getString("via")).isEqualTo("1.1 edge, 1.1 gatehouse");
        assertThat(r.header("Via")).isEqualTo("1.1 gatehouse");
    }

    @Test
    void requestIdIsGeneratedWhenAbsent() {
        RawHttp.Response r = get(h.port(), "/echo");
        String id = r.header("X-Request-Id");
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(r.seen().getString("x-request-id")).isEqualTo(id);
        assertThat(get(h.port(), "/echo").header("X-Request-Id")).isNotEqualTo(id);
    }

    @Test
    void saneRequestIdIsPassedAndEchoed() {
        RawHttp.Response r = get(h.port(), "/echo", "X-Request-Id: trace-4711.a_b");
        assertThat(r.seen().getString("x-request-id")).isEqualTo("trace-4711.a_b");
        assertThat(r.header("X-Request-Id")).isEqualTo("trace-4711.a_b");
    }

    @Test
    void insaneRequestIdIsReplaced() {
        for (String bad : new String[]{"has spaces in it", "x".repeat(129), "tab\there"}) {
            RawHttp.Response r = get(h.port(), "/echo", "X-Request-Id: " + bad);
            String id = r.header("X-Request-Id");
            assertThat(id).as("for %s", bad).matches("[0-9a-f]{32}");
            assertThat(r.seen().getString("x-request-id")).isEqualTo(id);
        }
    }

    @Test
    void hostIsPassedThroughUnchanged() {
        assertThat(get(h.port(), "/echo", "Host: api.example.com").seen().getString("host"))
                .isEqualTo("api.example.com");
        assertThat(get(h.port(), "/echo", "Host: api.example.com:8443").seen().getString("host"))
                .isEqualTo("api.example.com:8443");
    }

    @Test
    void http10ClientGetsABodyItCanRead() {
        RawHttp.Response r = RawHttp.exchange(h.port(), "GET /chunked HTTP/1.0\r\nHost: api.example.com\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Transfer-Encoding")).isNull();
        assertThat(r.text()).isEqualTo("hello world");
    }
}
