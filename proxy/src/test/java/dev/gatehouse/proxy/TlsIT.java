package dev.gatehouse.proxy;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TLS listener (self-signed certificate made at test time): HTTP/1.1 and h2 by ALPN, and the connection guard
 * (strict framing, header deadline) working behind the TLS handler.
 */
class TlsIT {

    static Vertx vertx;
    static TestBackend backend;
    static GatehouseProxy proxy;
    static SSLContext trustAll;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        backend = TestBackend.start(vertx, "b0");
        SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
        GatehouseConfig config = ConfigParser.parse("listeners:\n"
                + "  - name: public\n    host: 127.0.0.1\n    port: 0\n    header-timeout: 500ms\n"
                + "    tls: { certificates: [ { cert: \"" + cert.certificatePath() + "\", key: \""
                + cert.privateKeyPath() + "\" } ] }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"" + backend.url() + "\" }\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        proxy = Await.result(GatehouseProxy.start(vertx, config, new ProxyRuntime(config.shared(), 1),
                (listener, options) -> options.setKeyCertOptions(cert.keyCertOptions())));
        trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[]{new TrustEverything()}, new SecureRandom());
    }

    @AfterAll
    static void stop() {
        Await.result(vertx.close());
    }

    /** The test's own certificate is the only one it meets. */
    static final class TrustEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static int port() {
        return proxy.port("public");
    }

    private static HttpResponse<String> get(HttpClient.Version version, String path) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(version).sslContext(trustAll)
                .connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static RawHttp tlsConnect() throws Exception {
        SSLSocket s = (SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", port());
        s.startHandshake();
        return RawHttp.over(s);
    }

    @Test
    void http11OverTls() throws Exception {
        HttpResponse<String> r = get(HttpClient.Version.HTTP_1_1, "/secure?x=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        JsonObject seen = new JsonObject(r.body());
        assertThat(seen.getString("uri")).isEqualTo("/secure?x=1");
        assertThat(seen.getJsonObject("headers").getString("x-forwarded-proto")).isEqualTo("https");
    }

    @Test
    void http2ByAlpn() throws Exception {
        HttpResponse<String> r = get(HttpClient.Version.HTTP_2, "/h2");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        JsonObject seen = new JsonObject(r.body());
        assertThat(seen.getString("version")).isEqualTo("HTTP_1_1");
        assertThat(seen.getJsonObject("headers").getString("transfer-encoding")).isNull();
    }

    @Test
    void contentLengthWithTransferEncodingIs400BehindTls() throws Exception {
        int before = backend.hits.get();
        try (RawHttp c = tlsConnect()) {
            c.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        assertThat(backend.hits.get()).isEqualTo(before);
    }

    @Test
    void slowlorisBehindTlsGets408AndIsClosed() throws Exception {
        try (RawHttp c = tlsConnect()) {
            c.write("GET /slow HTTP/1.1\r\nHo");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
    }
}
