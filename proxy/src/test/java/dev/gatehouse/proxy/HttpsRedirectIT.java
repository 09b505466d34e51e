package dev.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proxy.TestCertificates.Written;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A redirect listener answers 308 to HTTPS on the same host and target without touching a backend, and a TLS
 * listener with {@code hsts} sends Strict-Transport-Security on every response (proxied, error, HTTP/2), while a
 * plain listener never does.
 */
class HttpsRedirectIT {

    @TempDir
    static Path dir;
    static TestCertificates pki;
    static TlsProxy proxy;

    @BeforeAll
    static void start() {
        pki = TestCertificates.in(dir, "Redirect Test CA");
        Written site = pki.leaf("site", "localhost");
        proxy = TlsProxy.start(1, "listeners:\n"
                + "  - name: secure\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ] }\n"
                + "    hsts: { max-age: 365d, include-subdomains: true }\n"
                + "  - name: secure-default-port\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ] }\n"
                + "  - name: redirect\n    host: 127.0.0.1\n    port: 0\n    redirect-to-https: 8443\n"
                + "  - name: redirect-443\n    host: 127.0.0.1\n    port: 0\n    redirect-to-https: 443\n"
                + "  - name: plain\n    host: 127.0.0.1\n    port: 0\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: /app/ } }\n");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void redirectListenerAnswers308ToHttpsOnTheSameHostAndTarget() {
        int hits = proxy.backends[0].hits.get();
        RawHttp.Response r = RawHttp.exchange(proxy.port("redirect"),
                "GET /app/a%20b?x=1&y=2 HTTP/1.1\r\nHost: shop.example.com:8080\r\nConnection: close\r\n\r\n");

        assertThat(r.status()).isEqualTo(308);
        assertThat(header(r, "location")).isEqualTo("https://shop.example.com:8443/app/a%20b?x=1&y=2");
        assertThat(header(r, "strict-transport-security")).isNull();
        assertThat(proxy.backends[0].hits.get()).isEqualTo(hits);
    }

    @Test
    void redirectTo443LeavesThePortOut() {
        RawHttp.Response r = RawHttp.exchange(proxy.port("redirect-443"),
                "POST /pay HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: 3\r\n\r\nabc");

        assertThat(r.status()).isEqualTo(308);
        assertThat(header(r, "location")).isEqualTo("https://shop.example.com/pay");
    }

    @Test
    void redirectWithoutHostIs400() {
        assertThat(RawHttp.exchange(proxy.port("redirect"), "GET / HTTP/1.0\r\n\r\n").status()).isEqualTo(400);
    }

    @Test
    void hstsIsOnProxiedResponsesOverHttp1AndHttp2() throws Exception {
        for (HttpClient.Version v : new HttpClient.Version[] {HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2}) {
            HttpResponse<String> r = get("secure", v, "/app/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(v);
            assertThat(r.headers().allValues("strict-transport-security"))
                    .containsExactly("max-age=31536000; includeSubDomains");
        }
    }

    @Test
    void hstsIsOnErrorResponsesToo() throws Exception {
        HttpResponse<String> r = get("secure", HttpClient.Version.HTTP_1_1, "/no-route");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("strict-transport-security")).hasValue("max-age=31536000; includeSubDomains");
    }

    @Test
    void hstsOnlyWhereConfigured() throws Exception {
        assertThat(get("secure-default-port", HttpClient.Version.HTTP_1_1, "/app/x").headers()
                .firstValue("strict-transport-security")).isEmpty();
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.port("plain") + "/app/x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.headers().firstValue("strict-transport-security")).isEmpty();
    }

    private static HttpResponse<String> get(String listener, HttpClient.Version version, String path) throws Exception {
        return TlsClients.http(TlsClients.context(pki.caFile, null), version).send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + proxy.port(listener) + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(RawHttp.Response r, String name) {
        return r.headers().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(java.util.Map.Entry::getValue)
                .findFirst().orElse(null);
    }
}
