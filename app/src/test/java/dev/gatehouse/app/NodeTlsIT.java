package dev.gatehouse.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.tls.KeyType;
import dev.gatehouse.tls.PemWriter;
import dev.gatehouse.tls.SelfSignedCertificates;
import dev.gatehouse.tls.TlsMaterial;
import dev.gatehouse.tls.TrustBundles;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A whole node with TLS from its config file: an HTTPS listener (client certificates requested, identity forwarded,
 * HSTS), a redirect listener, and the admin API over HTTPS requiring a client certificate, with the certificate
 * expiry gauges on {@code /metrics}.
 */
class NodeTlsIT {

    @TempDir
    static Path dir;
    static Vertx backends;
    static Node node;
    static Path serverCa;
    static TlsMaterial ops;

    @BeforeAll
    static void start() {
        TlsMaterial ca = SelfSignedCertificates.generateCa("Node Server CA");
        TlsMaterial clientCa = SelfSignedCertificates.generateCa("Node Client CA");
        TlsMaterial site = SelfSignedCertificates.generateLeaf(ca, "localhost", Duration.ofDays(90), KeyType.EC_P256);
        ops = SelfSignedCertificates.generateLeaf(clientCa, "ops", Duration.ofDays(90), KeyType.EC_P256);
        serverCa = dir.resolve("ca.pem");
        Path clients = dir.resolve("clients.pem");
        Path cert = dir.resolve("site.pem");
        Path key = dir.resolve("site.key");
        PemWriter.writeCertificates(serverCa, ca.chain());
        PemWriter.writeCertificates(clients, clientCa.chain());
        PemWriter.writeCertificates(cert, site.chain());
        PemWriter.writePkcs8(key, site.key());

        backends = Vertx.vertx();
        HttpServer echo = TestNodes.await(backends.createHttpServer().requestHandler(r -> r.response()
                .end("subject=" + r.getHeader("X-Client-Cert-Subject"))).listen(0, "127.0.0.1"));
        int clusterPort = TestNodes.freePort();
        String certificates = "[ { cert: \"" + cert + "\", key: \"" + key + "\" } ]";
        node = TestNodes.start("data-dir: " + dir.resolve("data") + "\n"
                + "cluster: { name: tls-" + clusterPort + ", host: 127.0.0.1, port: " + clusterPort
                + ", members: [127.0.0.1:" + clusterPort + "], secret-file: \""
                + TestNodes.secretFile(dir.resolve("data"), TestNodes.SECRET) + "\" }\n"
                + "listeners:\n"
                + "  - name: public\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: " + certificates + ", client-auth: request, trust: \"" + clients + "\" }\n"
                + "    hsts: { max-age: 1d }\n"
                + "  - { name: redirect, host: 127.0.0.1, port: 0, redirect-to-https: 8443 }\n"
                + "admin:\n  host: 127.0.0.1\n  port: 0\n"
                + "  tls: { certificates: " + certificates + ", client-auth: require, trust: \"" + clients + "\" }\n"
                + TestNodes.sharedYaml(echo.actualPort(), ""));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            TestNodes.stop(node);
        }
        TestNodes.await(backends.close());
    }

    private static HttpClient client(TlsMaterial clientCertificate) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = null;
        if (clientCertificate != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("c", clientCertificate.key(), new char[0],
                    clientCertificate.chain().toArray(new X509Certificate[0]));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, new char[0]);
        }
        ctx.init(kmf == null ? null : kmf.getKeyManagers(),
                TrustBundles.trustManagerFactory(serverCa).getTrustManagers(), new SecureRandom());
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void httpsListenerForwardsTheClientIdentityAndSendsHsts() throws Exception {
        String url = "https://localhost:" + node.proxy.port("public") + "/x";

        HttpResponse<String> withCertificate = get(client(ops), url);
        HttpResponse<String> without = get(client(null), url);

        assertThat(withCertificate.statusCode()).isEqualTo(200);
        assertThat(withCertificate.body()).isEqualTo("subject=CN=ops");
        assertThat(withCertificate.headers().firstValue("strict-transport-security")).hasValue("max-age=86400");
        assertThat(without.body()).isEqualTo("subject=null");
    }

    @Test
    void redirectListenerSendsClientsToHttps() throws Exception {
        HttpResponse<String> r = get(HttpClient.newHttpClient(),
                "http://127.0.0.1:" + node.proxy.port("redirect") + "/shop?q=1");

        assertThat(r.statusCode()).isEqualTo(308);
        assertThat(r.headers().firstValue("location")).hasValue("https://127.0.0.1:8443/shop?q=1");
    }

    @Test
    void adminApiNeedsAClientCertificate() {
        String url = "https://localhost:" + node.admin.actualPort() + "/healthz";

        assertThatThrownBy(() -> get(client(null), url)).isInstanceOf(IOException.class);
    }

    @Test
    void adminApiServesMetricsWithCertificateExpiryOverHttps() throws Exception {
        // A handshake on the public listener, to be counted.
        get(client(null), "https://localhost:" + node.proxy.port("public") + "/");
        HttpResponse<String> r = get(client(ops), "https://localhost:" + node.admin.actualPort() + "/metrics");
        assertThat(r.body()).containsPattern("gatehouse_tls_handshakes_total\\{[^}]*listener=\"public\"[^}]*\\} [1-9]");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).containsPattern("gatehouse_tls_certificate_expiry_days\\{[^}]*listener=\"public\"")
                .containsPattern("gatehouse_tls_certificate_expiry_days\\{[^}]*listener=\"admin\"");
    }
}
