package dev.gatehouse.proxy;

import dev.gatehouse.proxy.listener.ServerTls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * TLS to {@code https://} backends: verified against a configured CA bundle (or the JVM's CAs, which do not know the
 * test CA), host name checked, SNI and verification by {@code server-name}, and a client certificate for backends
 * that require one. A backend that cannot be verified answers 502, never an unverified response.
 */
class UpstreamTlsIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static TestCertificates backendPki;
    static TestCertificates otherPki;
    static TestCertificates proxyClientPki;
    static Written proxyClient;
    static int localhostBackend;
    static int wrongNameBackend;
    static int internalBackend;
    static int mtlsBackend;
    static ProxyHarnessTls proxy;

    /** The proxy (plain HTTP listener) in front of the TLS backends; not the shared harness, which has no TLS. */
    record ProxyHarnessTls(GatehouseProxy proxy) {
    }

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        backendPki = TestCertificates.in(dir, "Backend CA");
        otherPki = TestCertificates.in(dir, "Other CA");
        proxyClientPki = TestCertificates.in(dir, "Proxy Client CA");
        proxyClient = proxyClientPki.leaf("proxy-client", "gatehouse-proxy");
        localhostBackend = backend(backendPki.leaf("backend-localhost", "localhost"), false);
        wrongNameBackend = backend(backendPki.leaf("backend-other", "other.test"), false);
        internalBackend = backend(backendPki.leaf("backend-internal", "api.internal"), false);
        mtlsBackend = backend(backendPki.leaf("backend-mtls", "localhost"), true);
        String ca = "\"" + backendPki.caFile + "\"";
        String yaml = "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n"
                + pool("ca", "https://localhost:" + localhostBackend, "tls: { ca: " + ca + " }")
                + pool("system", "https://localhost:" + localhostBackend, "")
                + pool("wrong-ca", "https://localhost:" + localhostBackend, "tls: { ca: \"" + otherPki.caFile + "\" }")
                + pool("wrong-name", "https://localhost:" + wrongNameBackend, "tls: { ca: " + ca + " }")
                + pool("server-name", "https://127.0.0.1:" + internalBackend,
                "tls: { ca: " + ca + ", server-name: api.internal }")
                + pool("ip-without-name", "https://127.0.0.1:" + internalBackend, "tls: { ca: " + ca + " }")
                + pool("mtls", "https://localhost:" + mtlsBackend, "tls: { ca: " + ca + ", cert: \""
                + proxyClient.cert() + "\", key: \"" + proxyClient.key() + "\" }")
                + pool("mtls-without-cert", "https://localhost:" + mtlsBackend, "tls: { ca: " + ca + " }")
                + pool("insecure", "https://localhost:" + wrongNameBackend, "tls: { verify: false }")
                + pool("probed", "https://127.0.0.1:" + internalBackend,
                "tls: { ca: " + ca + ", server-name: api.internal }\n    " + HEALTH)
                + pool("probed-wrong-ca", "https://localhost:" + localhostBackend,
                "tls: { ca: \"" + otherPki.caFile + "\" }\n    " + HEALTH)
                + "routes:\n";
        for (String p : List.of("ca", "system", "wrong-ca", "wrong-name", "server-name", "ip-without-name", "mtls",
                "mtls-without-cert", "insecure", "probed", "probed-wrong-ca")) {
            yaml += "  - { name: " + p + ", pool: " + p + ", match: { path-prefix: /" + p + "/ } }\n";
        }
        GatehouseConfig config = ConfigParser.parse(yaml);
        assertThat(ServerTls.check(config)).isEmpty();
        proxy = new ProxyHarnessTls(Await.result(GatehouseProxy.start(vertx, config)));
    }

    /** Fast probes; no panic mode, so an unhealthy only backend means 503. */
    private static final String HEALTH = "health-check: { path: /health, interval: 100ms, timeout: 100ms, "
            + "healthy-threshold: 1, unhealthy-threshold: 1 }\n    panic-threshold: 0";

    private static String pool(String name, String url, String tls) {
        return "  - name: " + name + "\n    backends: [ { url: \"" + url + "\" } ]\n"
                + (tls.isEmpty() ? "" : "    " + tls + "\n");
    }

    /** An HTTPS backend answering with the SNI name it was asked for and the client certificate it saw. */
    private static int backend(Written cert, boolean requireClientCertificate) {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true).setSni(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString())
                        .setKeyPath(cert.key().toString()));
        if (requireClientCertificate) {
            options.setClientAuth(ClientAuth.REQUIRED)
                    .setTrustOptions(new PemTrustOptions().addCertPath(proxyClientPki.caFile.toString()));
        }
        HttpServer server = vertx.createHttpServer(options).requestHandler(req -> {
            JsonObject out = new JsonObject().put("sni", req.connection().indicatedServerName());
            try {
                var peer = req.connection().peerCertificates();
                if (peer != null && !peer.isEmpty()) {
                    out.put("client", ((X509Certificate) peer.get(0)).getSubjectX500Principal().getName());
                }
            } catch (Exception e) {
                // no client certificate
            }
            req.response().putHeader("Content-Type", "application/json").end(out.encode());
        });
        return Await.result(server.listen()).actualPort();
    }

    @AfterAll
    static void stop() {
        Await.result(vertx.close());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.proxy().port("public") + path))
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBackendVerifiedByTheConfiguredCaAnswers() throws Exception {
        HttpResponse<String> r = get("/ca/x");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void aBackendTheJvmDoesNotTrustGets502() throws Exception {
        assertThat(get("/system/x").statusCode()).isEqualTo(502);
    }

    @Test
    void aBackendSignedByAnotherCaGets502() throws Exception {
        assertThat(get("/wrong-ca/x").statusCode()).isEqualTo(502);
    }

    @Test
    void aBackendWhoseCertificateHasAnotherNameGets502() throws Exception {
        assertThat(get("/wrong-name/x").statusCode()).isEqualTo(502);
    }

    @Test
    void anIpBackendIsCheckedAgainstItsAddressAndFails() throws Exception {
        assertThat(get("/ip-without-name/x").statusCode()).isEqualTo(502);
    }

    @Test
    void serverNameIsSentAsSniAndVerified() throws Exception {
        HttpResponse<String> r = get("/server-name/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getString("sni")).isEqualTo("api.internal");
    }

    @Test
    void aClientCertificateIsShownToABackendThatRequiresOne() throws Exception {
        HttpResponse<String> r = get("/mtls/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getString("client")).isEqualTo("CN=gatehouse-proxy");
        assertThat(get("/mtls-without-cert/x").statusCode()).isEqualTo(502);
    }

    @Test
    void verifyFalseSkipsVerification() throws Exception {
        assertThat(get("/insecure/x").statusCode()).isEqualTo(200);
    }

    private static BackendState.Health health(String pool, int port, String host) {
        return proxy.proxy().runtime().backendState(pool, host + ":" + port).health();
    }

    @Test
    void healthChecksVerifyHttpsBackendsWithThePoolsTls() throws Exception {
        // Probes use the pool's CA and server-name as requests do: a verifiable backend stays healthy...
        await().atMost(Duration.ofSeconds(10))
                .until(() -> health("probed", internalBackend, "127.0.0.1") == BackendState.Health.HEALTHY);
        assertThat(get("/probed/x").statusCode()).isEqualTo(200);
        // ...and one that cannot be verified is taken out, so requests get 503 instead of a 502 per attempt.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> health("probed-wrong-ca", localhostBackend, "localhost") == BackendState.Health.UNHEALTHY);
        assertThat(get("/probed-wrong-ca/x").statusCode()).isEqualTo(503);
    }

    @Test
    void missingAndBrokenFilesAreReportedWithTheirPaths() {
        GatehouseConfig config = ConfigParser.parse("listeners:\n  - { name: public, port: 8080 }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"https://a.internal\" } ]\n"
                + "    tls: { ca: \"" + dir.resolve("missing-ca.pem") + "\", cert: \"" + proxyClient.cert()
                + "\", key: \"" + backendPki.leaf("unrelated", "x.test").key() + "\" }\n"
                + "routes:\n  - { name: r, pool: p }\n");

        List<ConfigProblem> problems = ServerTls.check(config);

        assertThat(problems).extracting(ConfigProblem::path).containsExactly("pools[0].tls.ca", "pools[0].tls.key");
        assertThat(problems.get(0).message()).contains("missing-ca.pem");
        assertThat(problems.get(1).message()).contains("does not match the certificate in " + proxyClient.cert());
    }
}
