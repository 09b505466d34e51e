package dev.gatehouse.proxy;

import dev.gatehouse.proxy.listener.Http1Downstream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9, path normalisation, over raw sockets against backends that record every target they parse: no spelling of
 * a path gets past a route meant for another (a route that refuses {@code /admin/}, a route to another pool), on the
 * fast path and on the full path; backends receive the normalised path with the query as sent; a prefix rewrite never
 * leaves its prefix; what normalisation refuses is answered 400 and reaches no backend.
 */
class PathNormalizationIT {

    /** b0: the application pool; b1: the internal pool (only /internal/ routes there). */
    private static final String ROUTES = """
            pools:
              - { name: app, backends: [ { url: "${b0}" } ] }
              - { name: internal, backends: [ { url: "${b1}" } ] }
            routes:
              - name: admin
                match: { path-prefix: /admin/ }
                pool: internal
                filters: [ { type: ip-filter, deny: [127.0.0.0/8] } ]
              - { name: internal, match: { path-prefix: /internal/ }, pool: internal }
              - { name: api, match: { path-prefix: /api/ }, pool: app, prefix-rewrite: /v1/public/ }
              - { name: seam, match: { path-prefix: /seam }, pool: app, prefix-rewrite: /v1/public/ }
              - { name: app, match: { path-prefix: / }, pool: app }
            """;

    static ProxyHarness h;
    /** A listener with the permissive options: slashes merged, %2F and backslashes as separators, ;params stripped. */
    static ProxyHarness lenient;
    static final Queue<String> received = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(2, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n" + ROUTES);
        lenient = ProxyHarness.start(2, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0, path: { "
                + "merge-slashes: true, escaped-slashes: unescape, backslashes: to-slash, path-parameters: strip } }\n"
                + ROUTES);
        for (ProxyHarness p : List.of(h, lenient)) {
            for (TestBackend b : p.backends) {
                b.handler = req -> {
                    received.add(req.uri());
                    TestBackend.echo(req);
                };
            }
        }
    }

    @AfterAll
    static void stop() {
        h.close();
        lenient.close();
        // What every backend parsed over the whole class: never a dot-segment, never the refused admin space.
        assertThat(received).isNotEmpty();
        for (String uri : received) {
            String path = uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
            assertThat(path).doesNotStartWith("/admin").doesNotContain("/../", "/./").doesNotEndWith("/..")
                    .doesNotContainIgnoringCase("%2e").doesNotContain(";");
        }
    }

    private int before;

    @BeforeEach
    void mark() {
        before = received.size();
    }

    /** Nothing reached a backend since the test began. */
    private void nothingReceived() {
        assertThat(received).hasSize(before);
    }

    /** The fast path takes a plain HTTP/1.1 GET; a chunked POST always goes the full path. */
    private static RawHttp.Response send(ProxyHarness p, String target, boolean fast) {
        String request = fast ? "GET " + target + " HTTP/1.1\r\nHost: a.example\r\n\r\n"
                : "POST " + target + " HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        return RawHttp.exchange(p.port(), request);
    }

    private static final List<String> ADMIN_SPELLINGS = List.of("/admin/x", "/%61dmin/x", "/%61%64%6D%69%6E/x",
            "/./admin/x", "//admin/x", "///admin//x", "/x/../admin/x", "/%2e%2e/admin/x", "/%2E%2E/admin/x",
            "/.%2e/admin/x", "/%2e/admin/x", "/x/%2E%2e/admin/x", "/a/b/../../admin/x", "/../admin/x",
            "/../../../admin/x", "/admin/./x", "/admin/y/../x", "/admin/x?a=b", "/%2e%2e//admin/x");

    @Test
    void aRouteThatRefusesAdminCannotBeBypassed() {
        for (boolean fast : new boolean[] {true, false}) {
            for (String target : ADMIN_SPELLINGS) {
                assertThat(send(h, target, fast).status()).as("%s fast=%s", target, fast).isEqualTo(403);
            }
        }
        nothingReceived();
    }

    @Test
    void theSpellingsTheDefaultOptionsRefuseAre400() {
        List<String> refused = List.of("/admin;/x", "/admin;a=b/x", "/public/..;/admin/x", "/public%2F..%2Fadmin/x",
                "/public%2f%2e%2e%2fadmin/x", "/public\\..\\admin\\x", "/public%5C..%5Cadmin/x", "/admin%3B/x",
                "/%00/admin/x", "/admin/x%00.html", "/%0d%0aX:y", "/%zz/admin", "/%4", "/a%", "/%u0061dmin/x",
                "/x/%C0%AE%C0%AE/admin/x", "/x/%E0%80%AE%E0%80%AE/admin/x", "/x#frag");
        for (boolean fast : new boolean[] {true, false}) {
            for (String target : refused) {
                RawHttp.Response r = send(h, target, fast);
                assertThat(r.status()).as("%s fast=%s", target, fast).isEqualTo(400);
                assertThat(r.header("X-Request-Id")).as(target).isNotBlank();
            }
        }
        nothingReceived();
    }

    @Test
    void rawNonAsciiBytesAre400() {
        for (boolean fast : new boolean[] {true, false}) {
            String target = new String("/adm\u00c3\u00bcn/x".getBytes(StandardCharsets.ISO_8859_1),
                    StandardCharsets.ISO_8859_1);
            RawHttp.Response r = send(h, target, fast);
            assertThat(r.status()).as("fast=%s", fast).isEqualTo(400);
        }
        nothingReceived();
    }

    @Test
    void theLenientOptionsStillCannotBeBypassed() {
        List<String> spellings = List.of("/admin;/x", "/admin;jsessionid=1/x", "/public/..;/admin/x",
                "/public%2F..%2Fadmin/x", "/public%2f%2e%2e%2fadmin/x", "/public\\..\\admin\\x", "\\admin\\x",
                "/public%5C..%5Cadmin/x", "//admin//x", "/x//..//admin/x");
        for (boolean fast : new boolean[] {true, false}) {
            for (String target : spellings) {
                String t = target.startsWith("/") ? target : "/" + target;
                assertThat(send(lenient, t, fast).status()).as("%s fast=%s", t, fast).isEqualTo(403);
            }
            for (String target : ADMIN_SPELLINGS) {
                assertThat(send(lenient, target, fast).status()).as("%s fast=%s", target, fast).isEqualTo(403);
            }
        }
        nothingReceived();
    }

    @Test
    void anotherPoolsRouteSeesTheNormalisedPathOnBothPaths() {
        List<String> spellings = List.of("/internal/x", "/%69nternal/x", "/./internal/x", "/x/../internal/x",
                "/%2e%2e/internal/x", "/internal/y/%2E%2E/x", "/internal/./x", "/%2E/internal/%78");
        for (boolean fast : new boolean[] {true, false}) {
            long taken = Http1Downstream.TAKEN.sum();
            for (String target : spellings) {
                RawHttp.Response r = send(h, target + "?q=%2e%2e/../%2F;x", fast);
                assertThat(r.status()).as(target).isEqualTo(200);
                assertThat(r.header("X-Backend")).as(target).isEqualTo("b1");
                // The path normalised, the query exactly as sent.
                assertThat(r.json().getString("uri")).as(target).isEqualTo("/internal/x?q=%2e%2e/../%2F;x");
            }
            if (fast) {
                assertThat(Http1Downstream.TAKEN.sum() - taken).isGreaterThanOrEqualTo(spellings.size());
            }
        }
    }

    @Test
    void mergeSlashesDecidesWhatIsForwardedNotWhatIsRouted() {
        for (boolean fast : new boolean[] {true, false}) {
            RawHttp.Response r = send(h, "//internal//x", fast);
            assertThat(r.header("X-Backend")).isEqualTo("b1");
            assertThat(r.json().getString("uri")).isEqualTo("//internal//x");
            RawHttp.Response merged = send(lenient, "//internal//x", fast);
            assertThat(merged.header("X-Backend")).isEqualTo("b1");
            assertThat(merged.json().getString("uri")).isEqualTo("/internal/x");
            // Encoded hex is upper-cased, other encodings stay encoded, double encoding stays literal.
            RawHttp.Response hex = send(h, "/internal/%c3%bc/%252e%252e/%7e", fast);
            assertThat(hex.json().getString("uri")).isEqualTo("/internal/%C3%BC/%252e%252e/~");
        }
    }

    @Test
    void aPrefixRewriteNeverLeavesItsPrefix() {
        for (boolean fast : new boolean[] {true, false}) {
            // Dot-segments are resolved before routing: /api/../../secret is /secret, routed as /secret.
            for (String target : List.of("/api/../../secret", "/api/%2e%2e/%2E%2E/secret", "/api/x/../../../secret")) {
                RawHttp.Response r = send(h, target, fast);
                assertThat(r.status()).as(target).isEqualTo(200);
                assertThat(r.json().getString("uri")).as(target).isEqualTo("/secret");
            }
            assertThat(send(h, "/api/x/../y?z=..", fast).json().getString("uri")).isEqualTo("/v1/public/y?z=..");
            assertThat(send(h, "/api/%2e/y", fast).json().getString("uri")).isEqualTo("/v1/public/y");
            assertThat(send(h, "//api//y", fast).json().getString("uri")).isEqualTo("/v1/public/y");
            assertThat(send(h, "/seamx/y", fast).json().getString("uri")).isEqualTo("/v1/public/x/y");
            // A prefix without a slash: what follows can make a dot-segment with the rewrite. Refused, never sent.
            for (String target : List.of("/seam../secret", "/seam%2e%2e/secret", "/seam..", "/seam./x",
                    "/seam%2E/x")) {
                assertThat(send(h, target, fast).status()).as("%s fast=%s", target, fast).isEqualTo(400);
            }
            assertThat(send(lenient, "/seam..;x/secret", fast).status()).isEqualTo(400);
            assertThat(send(lenient, "/seam..\\secret", fast).status()).isEqualTo(400);
        }
        assertThat(received).noneMatch(u -> u.startsWith("/v1/public/..") || u.startsWith("/v1/secret")
                || u.startsWith("/v1/public/."));
    }
}
