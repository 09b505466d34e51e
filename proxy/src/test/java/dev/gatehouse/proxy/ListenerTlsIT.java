package dev.gatehouse.proxy;

import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.listener.ServerTls;
import dev.gatehouse.proxy.listener.ServerTlsEngine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proxy.TestCertificates.KeyFormat;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.tls.KeyType;
import dev.gatehouse.tls.TlsPolicy;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

/**
 * TLS listeners with real handshakes (JDK clients and {@code openssl s_client}): every key format the tls module
 * reads, SNI among several certificates, TLS 1.2/1.3 only with AEAD suites, ALPN, and session resumption across
 * the proxy's event loops. One proxy with one listener per key format, started once.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
class ListenerTlsIT {

    /** The engine of this run's listeners (the static setup gets it as its argument). */
    @Parameter
    TlsEngine engine;

    /** One listener per key format; names are the enum names in lower case. */
    enum Format {
        RSA_PKCS8(KeyType.RSA_2048, KeyFormat.PKCS8),
        RSA_PKCS1(KeyType.RSA_2048, KeyFormat.PKCS1_RSA),
        RSA_ENCRYPTED_PKCS8(KeyType.RSA_2048, KeyFormat.ENCRYPTED_PKCS8),
        EC_PKCS8(KeyType.EC_P256, KeyFormat.PKCS8),
        EC_SEC1(KeyType.EC_P256, KeyFormat.SEC1_EC),
        EC_SEC1_WITH_PARAMETERS(KeyType.EC_P384, KeyFormat.SEC1_EC_WITH_PARAMETERS),
        EC_ENCRYPTED_PKCS8(KeyType.EC_P256, KeyFormat.ENCRYPTED_PKCS8);

        final KeyType type;
        final KeyFormat format;

        Format(KeyType type, KeyFormat format) {
            this.type = type;
            this.format = format;
        }

        String listener() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    @TempDir
    static Path root;
    static Path dir;
    static TestCertificates pki;
    static Written localhost;
    static Written siteA;
    static Written wildcard;
    static final Map<Format, Written> byFormat = new EnumMap<>(Format.class);
    static TlsProxy proxy;

    @BeforeParameterizedClassInvocation
    static void start(TlsEngine engine) throws IOException {
        dir = Files.createDirectories(root.resolve(engine.name().toLowerCase()));
        pki = TestCertificates.in(dir, "Listener Test CA");
        localhost = pki.leaf("localhost", "localhost");
        siteA = pki.leaf("site-a", "a.example.test");
        wildcard = pki.leaf("wild", "*.wild.test", KeyType.RSA_2048, KeyFormat.PKCS1_RSA);
        StringBuilder yaml = new StringBuilder("listeners:\n");
        yaml.append("  - name: sni\n    host: 127.0.0.1\n    port: 0\n    tls:\n      certificates: [ ")
                .append(localhost.yaml()).append(", ").append(siteA.yaml()).append(", ").append(wildcard.yaml())
                .append(" ]\n");
        yaml.append("  - name: h1-only\n    host: 127.0.0.1\n    port: 0\n    http2: false\n"
                + "    tls: { certificates: [ ").append(localhost.yaml()).append(" ] }\n");
        for (Format f : Format.values()) {
            Written w = pki.leaf("format-" + f.listener(), "localhost", f.type, f.format);
            byFormat.put(f, w);
            yaml.append("  - name: ").append(f.listener()).append("\n    host: 127.0.0.1\n    port: 0\n")
                    .append("    tls: { certificates: [ ").append(w.yaml()).append(" ] }\n");
        }
        yaml.append("pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        proxy = TlsProxy.start(engine, 1, yaml.toString());
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void eachKeyFormatServesAHandshakeAndARequest(Format format) throws Exception {
        int port = proxy.port(format.listener());
        Written expected = byFormat.get(format);

        TlsClients.Handshake h = TlsClients.handshake(port, pki.caFile, null);
        assertThat(h.leaf()).isEqualTo(expected.material().leaf());

        HttpClient http = TlsClients.http(TlsClients.context(pki.caFile, null), HttpClient.Version.HTTP_1_1);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/k"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getJsonObject("headers").getString("x-forwarded-proto")).isEqualTo("https");
    }

    @Test
    void sniPicksTheCertificateWithTheExactName() throws Exception {
        assertThat(TlsClients.handshake(proxy.port("sni"), pki.caFile, "a.example.test").leaf())
                .isEqualTo(siteA.material().leaf());
    }

    @Test
    void sniMatchesAWildcardCertificate() throws Exception {
        assertThat(TlsClients.handshake(proxy.port("sni"), pki.caFile, "x.wild.test").leaf())
                .isEqualTo(wildcard.material().leaf());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown.test", "a.b.wild.test", "-"})
    void anUnknownOrMissingNameGetsTheFirstCertificate(String sni) throws Exception {
        TlsClients.Handshake h = TlsClients.handshake(proxy.port("sni"), pki.caFile, sni.equals("-") ? null : sni);
        assertThat(h.leaf()).isEqualTo(localhost.material().leaf());
    }

    @Test
    void opensslSeesTheSniCertificate() {
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("sni"),
                "-servername", "a.example.test", "-CAfile", pki.caFile.toString(), "-verify_return_error");
        assertThat(r.output()).contains("subject=CN = a.example.test").contains("Verify return code: 0 (ok)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1", "-tls1_1"})
    void tls10And11AreRefused(String version) {
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("sni"), version,
                "-CAfile", pki.caFile.toString());
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("no peer certificate available");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void tls12And13AreAccepted(String version) {
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("sni"), version,
                "-CAfile", pki.caFile.toString(), "-verify_return_error");
        assertThat(r.output()).contains("Verify return code: 0 (ok)")
                .contains(version.equals("-tls1_2") ? "New, TLSv1.2" : "New, TLSv1.3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"AES128-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256"})
    void tls12RsaKeyExchangeAndCbcSuitesAreRefused(String cipher) {
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("rsa-pkcs8"),
                "-tls1_2", "-cipher", cipher);
        assertThat(r.exitCode()).as(r.output()).isNotZero();
    }

    @Test
    void tls12NegotiatesAnEcdheAeadSuite() throws Exception {
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("rsa-pkcs8"),
                "-tls1_2", "-CAfile", pki.caFile.toString());
        Matcher m = Pattern.compile("Cipher is (\\S+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        assertThat(m.group(1)).startsWith("ECDHE-RSA-").containsAnyOf("GCM", "CHACHA20");
        SSLContext ctx = TlsClients.context(pki.caFile, null);
        assertThat(TlsPolicy.CIPHER_SUITES).contains(TlsClients.handshake(ctx, proxy.port("ec-pkcs8"), null).cipherSuite());
    }

    @Test
    void alpnNegotiatesH2() throws Exception {
        assertThat(TlsClients.handshake(proxy.port("sni"), pki.caFile, null, "h2", "http/1.1").alpn()).isEqualTo("h2");

        HttpClient http = TlsClients.http(TlsClients.context(pki.caFile, null), HttpClient.Version.HTTP_2);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + proxy.port("sni") + "/h2"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void alpnOffersOnlyHttp11WithoutHttp2() throws Exception {
        assertThat(TlsClients.handshake(proxy.port("h1-only"), pki.caFile, null, "h2", "http/1.1").alpn())
                .isEqualTo("http/1.1");
    }

    @Test
    void tls12SessionsAreResumedAcrossConnections() {
        // -reconnect: one full handshake, then five more connections offering the session; spread over event loops.
        TlsClients.Run r = TlsClients.openssl("", "s_client", "-connect", "127.0.0.1:" + proxy.port("sni"), "-tls1_2",
                "-CAfile", pki.caFile.toString(), "-reconnect");
        long reused = r.output().lines().filter(l -> l.startsWith("Reused,")).count();
        assertThat(reused).as(r.output()).isEqualTo(5);
    }

    @Test
    void tls13SessionTicketsResumeOnNewConnections() {
        // TLS 1.3 tickets arrive after the handshake: read a response so the ticket is in the saved session. The
        // JDK server accepts each ticket once (replay protection), so each connection offers the newest one, as
        // browsers do; six connections land on both event loops.
        Path session = dir.resolve("tls13.session");
        String request = "GET /first HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        TlsClients.Run first = TlsClients.openssl(request, "s_client", "-connect", "127.0.0.1:" + proxy.port("sni"),
                "-tls1_3", "-CAfile", pki.caFile.toString(), "-sess_out", session.toString(), "-ign_eof");
        assertThat(first.output()).contains("New, TLSv1.3").contains("HTTP/1.1 200");
        for (int i = 0; i < 6; i++) {
            TlsClients.Run again = TlsClients.openssl(request, "s_client", "-connect",
                    "127.0.0.1:" + proxy.port("sni"), "-tls1_3", "-CAfile", pki.caFile.toString(), "-sess_in",
                    session.toString(), "-sess_out", session.toString(), "-ign_eof");
            assertThat(again.output()).as(again.output()).contains("Reused, TLSv1.3").contains("HTTP/1.1 200");
        }
    }

    @Test
    void expiryGaugeReportsDaysLeftPerCertificate() {
        var gauges = proxy.registry.find(ServerTls.EXPIRY_GAUGE).tag("listener", "sni").gauges();
        assertThat(gauges).hasSize(3);
        assertThat(gauges).allSatisfy(g -> assertThat(g.value()).isBetween(28.0, 30.0));
        assertThat(proxy.registry.find(ServerTls.EXPIRY_GAUGE).tag("certificate", siteA.cert().toString()).gauge())
                .isNotNull();
    }

    @Test
    void theListenersUseTheConfiguredEngineAndTheGaugeSaysWhich() {
        assertThat(proxy.tls.engine()).isEqualTo(engine);
        var gauge = proxy.registry.find(ServerTlsEngine.INFO_GAUGE).tag("listener", "sni").gauge();
        assertThat(gauge).isNotNull();
        assertThat(gauge.getId().getTag("engine")).isEqualTo(engine.name().toLowerCase());
        assertThat(gauge.value()).isEqualTo(1.0);
    }
}
