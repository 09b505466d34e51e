package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gatehouse.admin.AdminHarness.READ_TOKEN;
import static dev.gatehouse.admin.AdminHarness.WRITE_TOKEN;
import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a local browser or process cannot do to the admin API: DNS-rebinding Hosts, cross-site form posts, foreign
 * Origins, framing and sniffing of its pages.
 */
@ExtendWith(VertxExtension.class)
class AdminGuardTest {

    private static final String DRAIN = "/api/v1/pools/api/backends/127.0.0.1:9001/drain";

    /** A raw HTTP/1.1 exchange (the client sends exactly these bytes, Host included): status line and the rest. */
    private static String raw(AdminHarness h, String request) {
        try (Socket s = new Socket("127.0.0.1", h.server.actualPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String request(String method, String path, String host, String... headers) {
        StringBuilder b = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
        if (host != null) {
            b.append("Host: ").append(host).append("\r\n");
        }
        for (String header : headers) {
            b.append(header).append("\r\n");
        }
        return b.append("Connection: close\r\n\r\n").toString();
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    @Test
    void aRebindingHostIsRefusedOnEveryPath(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        int port = h.server.actualPort();
        for (String path : List.of("/", "/api/v1/config", "/metrics", "/healthz", "/readyz", "/nothing-here")) {
            String r = raw(h, request("GET", path, "attacker.example:" + port, "Authorization: Bearer " + READ_TOKEN));
            assertThat(status(r)).as(path).isEqualTo(421);
            assertThat(r).contains("application/problem+json").contains("misdirected-request")
                    .contains("admin.allowed-hosts");
        }
        // The write a rebinding page would send, token and all (say it stole one): refused before anything happens.
        String drain = raw(h, request("POST", DRAIN, "attacker.example:" + port,
                "Authorization: Bearer " + WRITE_TOKEN, "Content-Type: application/json", "Content-Length: 0"));
        assertThat(status(drain)).isEqualTo(421);
        assertThat(raw(h, request("GET", "/healthz", "localhost.attacker.example"))).startsWith("HTTP/1.1 421");
        assertThat(raw(h, request("GET", "/healthz", "127.0.0.1.nip.io:" + port))).startsWith("HTTP/1.1 421");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void ownNamesAndIpLiteralsAreAccepted(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        int port = h.server.actualPort();
        for (String host : List.of("127.0.0.1:" + port, "127.0.0.1", "localhost:" + port, "LOCALHOST", "localhost.",
                "[::1]:" + port, "[::1]", "10.1.2.3:" + port, "[2001:db8::1]")) {
            assertThat(status(raw(h, request("GET", "/healthz", host)))).as(host).isEqualTo(200);
        }
    }

    @Test
    void anHttp11RequestWithoutHostIsRefused(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        String r = raw(h, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertThat(status(r)).isIn(400, 421);
    }

    @Test
    void anHttp10HealthCheckWithoutHostIsAnswered(Vertx vertx) {
        // HAProxy's `option httpchk GET /readyz` sends HTTP/1.0 without a Host; browsers never do.
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(status(raw(h, "GET /healthz HTTP/1.0\r\n\r\n"))).isEqualTo(200);
        assertThat(status(raw(h, "GET /healthz HTTP/1.0\r\nHost: rebound.example\r\n\r\n"))).isEqualTo(421);
    }

    @Test
    void allowedHostsAddNames(Vertx vertx) {
        AdminConfig admin = new AdminConfig("127.0.0.1", 0, AdminHarness.tokens().tokens(), null,
                List.of("admin.example.com"));
        AdminHarness h = AdminHarness.start(vertx, admin, 0, true);
        assertThat(status(raw(h, request("GET", "/healthz", "admin.example.com:443")))).isEqualTo(200);
        assertThat(status(raw(h, request("GET", "/healthz", "Admin.Example.Com.")))).isEqualTo(200);
        assertThat(status(raw(h, request("GET", "/healthz", "other.example.com")))).isEqualTo(421);
        assertThat(status(raw(h, request("GET", "/healthz", "x.admin.example.com")))).isEqualTo(421);
    }

    @Test
    void onAWildcardBindOnlyAddressesAndListedNamesPass() {
        AdminGuard guard = AdminGuard.of(new AdminConfig("0.0.0.0", 9090, AdminHarness.tokens().tokens(), null,
                List.of("gw.internal")), "<html></html>");
        assertThat(guard.hostAllowed("192.168.1.20")).isTrue();
        assertThat(guard.hostAllowed("[fe80::1]")).isTrue();
        assertThat(guard.hostAllowed("gw.internal")).isTrue();
        assertThat(guard.hostAllowed("localhost")).isTrue();
        assertThat(guard.hostAllowed("evil.example")).isFalse();
        assertThat(guard.hostAllowed("0x7f000001")).isFalse();   // not a literal a browser would send as Host
        assertThat(guard.hostAllowed("2130706433")).isFalse();
        assertThat(guard.hostAllowed("")).isFalse();
    }

    @Test
    void crossSiteFormPostsCannotDrainEvenWithoutABody(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        int port = h.server.actualPort();
        // What a form on any page makes a browser send: a CORS-simple POST, no Authorization header.
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x")) {
            String r = raw(h, request("POST", DRAIN, "127.0.0.1:" + port, "Content-Type: " + type,
                    "Content-Length: 0"));
            assertThat(status(r)).as(type).isEqualTo(401);
        }
        // And a simple type is refused even from a token holder, with or without a body.
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x")) {
            HttpResponse<Buffer> r = h.call(HttpMethod.POST, DRAIN, WRITE_TOKEN, null, "Content-Type", type);
            assertThat(r.statusCode()).as(type).isEqualTo(415);
            assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:unsupported-media-type");
            assertThat(h.call(HttpMethod.POST, "/api/v1/cache/purge", WRITE_TOKEN, "tag=a", "Content-Type", type)
                    .statusCode()).as(type).isEqualTo(415);
        }
        assertThat(h.version()).isEqualTo(1);
        assertThat(h.fakes.purges).isEmpty();
        // The API's own clients: a JSON type, or no type at all on a bodiless write.
        assertThat(h.call(HttpMethod.POST, DRAIN, WRITE_TOKEN, null, "Content-Type", "application/json").statusCode())
                .isEqualTo(200);
        assertThat(h.call(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9001/undrain", WRITE_TOKEN, null)
                .statusCode()).isEqualTo(200);
    }

    @Test
    void writesFromAForeignOriginAreRefused(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        int port = h.server.actualPort();
        for (String origin : List.of("http://attacker.example", "null", "http://127.0.0.1:" + (port + 1),
                "https://127.0.0.1:" + port, "http://localhost:" + port)) {
            HttpResponse<Buffer> r = h.call(HttpMethod.POST, DRAIN, WRITE_TOKEN, null, "Origin", origin);
            assertThat(r.statusCode()).as(origin).isEqualTo(403);
            assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:cross-origin");
        }
        assertThat(h.version()).isEqualTo(1);
        // Its own origin (the status page's) may write; reads are never refused for their Origin, and no CORS
        // header lets another origin see an answer.
        assertThat(h.call(HttpMethod.POST, DRAIN, WRITE_TOKEN, null, "Origin", "http://127.0.0.1:" + port)
                .statusCode()).isEqualTo(200);
        HttpResponse<Buffer> read = h.call(HttpMethod.GET, "/api/v1/config", READ_TOKEN, null, "Origin",
                "http://attacker.example");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.getHeader("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void sameOriginComparesSchemeHostAndPort() {
        HostAndPort local = HostAndPort.create("127.0.0.1", 9090);
        assertThat(AdminGuard.sameOrigin("http://127.0.0.1:9090", false, local)).isTrue();
        assertThat(AdminGuard.sameOrigin("https://127.0.0.1:9090", true, local)).isTrue();
        assertThat(AdminGuard.sameOrigin("http://127.0.0.1", false, HostAndPort.create("127.0.0.1", -1))).isTrue();
        assertThat(AdminGuard.sameOrigin("http://127.0.0.1:80", false, HostAndPort.create("127.0.0.1", -1))).isTrue();
        assertThat(AdminGuard.sameOrigin("http://127.0.0.1:9090/x", false, local)).isFalse();
        assertThat(AdminGuard.sameOrigin("http://127.0.0.1:9091", false, local)).isFalse();
        assertThat(AdminGuard.sameOrigin("http://evil.example:9090", false, local)).isFalse();
        assertThat(AdminGuard.sameOrigin("null", false, local)).isFalse();
        assertThat(AdminGuard.sameOrigin("http://user@127.0.0.1:9090 x", false, local)).isFalse();
    }

    @Test
    void theStatusPageCarriesAStrictPolicyForItsOwnInlineCode(Vertx vertx) throws Exception {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> page = h.call(HttpMethod.GET, "/", null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        String csp = page.getHeader("Content-Security-Policy");
        assertThat(csp).startsWith("default-src 'none';").contains("frame-ancestors 'none'")
                .contains("connect-src 'self'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        // The hashes are those of the page's one script and one style exactly as served.
        String html = page.bodyAsString();
        assertThat(csp).contains("script-src 'sha256-" + sha256(between(html, "<script>", "</script>")) + "';");
        assertThat(csp).contains("style-src 'sha256-" + sha256(between(html, "<style>", "</style>")) + "';");
        assertThat(html).doesNotContainPattern("(?i)\\son[a-z]+\\s*=").doesNotContain("style=\"")
                .doesNotContain("<script src");
        assertThat(page.getHeader("X-Frame-Options")).isEqualTo("DENY");
        assertThat(page.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(page.getHeader("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void everyAnswerCarriesTheHeaders(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        List<HttpResponse<Buffer>> answers = List.of(
                h.get("/api/v1/config"), h.call(HttpMethod.GET, "/api/v1/config", null, null),
                h.get("/metrics"), h.call(HttpMethod.GET, "/healthz", null, null),
                h.get("/api/v1/nothing"), h.write(HttpMethod.PUT, "/api/v1/routes/x", "{\"pool\": \"nope\"}"));
        assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(200, 401, 200, 200, 404, 400);
        for (HttpResponse<Buffer> r : answers) {
            assertThat(r.getHeader("Content-Security-Policy")).isEqualTo(AdminGuard.API_CSP);
            assertThat(r.getHeader("X-Frame-Options")).isEqualTo("DENY");
            assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(r.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
            assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
        }
    }

    @Test
    void writesNeedAWriteToken(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.call(HttpMethod.POST, DRAIN, null, null).statusCode()).isEqualTo(401);
        assertThat(h.call(HttpMethod.POST, DRAIN, READ_TOKEN, null).statusCode()).isEqualTo(403);
        assertThat(h.version()).isEqualTo(1);
        assertThat(h.call(HttpMethod.POST, DRAIN, WRITE_TOKEN, null).statusCode()).isEqualTo(200);
        assertThat(h.version()).isEqualTo(2);
    }

    private static String between(String text, String open, String close) {
        Matcher m = Pattern.compile(Pattern.quote(open) + "(.*?)" + Pattern.quote(close), Pattern.DOTALL).matcher(text);
        assertThat(m.find()).as(open).isTrue();
        String found = m.group(1);
        assertThat(m.find()).as("only one " + open).isFalse();
        return found;
    }

    private static String sha256(String s) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
