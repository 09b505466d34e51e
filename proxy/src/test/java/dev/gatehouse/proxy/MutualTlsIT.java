package dev.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.TestCertificates.Written;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import javax.net.ssl.SSLContext;

/**
 * Client certificates: {@code client-auth: require} refuses a handshake without a certificate or with one the trust
 * bundle does not vouch for; {@code request} lets clients without one in; a verified certificate reaches the backend
 * as {@code X-Client-Cert-Subject} / {@code X-Client-Cert-Fingerprint}, and those headers sent by a client are always
 * removed.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
class MutualTlsIT {

    /** The engine of this run's listeners (the static setup gets it as its argument). */
    @Parameter
    TlsEngine engine;

    @TempDir
    static Path root;
    static Path dir;
    static TestCertificates serverPki;
    static TestCertificates clientPki;
    static TestCertificates roguePki;
    static Written alice;
    static Written mallory;
    static TlsProxy proxy;

    @BeforeParameterizedClassInvocation
    static void start(TlsEngine engine) throws IOException {
        dir = Files.createDirectories(root.resolve(engine.name().toLowerCase()));
        serverPki = TestCertificates.in(dir, "Server CA");
        clientPki = TestCertificates.in(dir, "Client CA");
        roguePki = TestCertificates.in(dir, "Rogue CA");
        Written site = serverPki.leaf("site", "localhost");
        alice = clientPki.leaf("alice", "alice");
        mallory = roguePki.leaf("mallory", "alice"); // same name, wrong CA
        proxy = TlsProxy.start(engine, 1, "listeners:\n"
                + "  - name: require\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ], client-auth: require, trust: \""
                + clientPki.caFile + "\" }\n"
                + "  - name: request\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ], client-auth: request, trust: \""
                + clientPki.caFile + "\" }\n"
                + "  - name: none\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ] }\n"
                + "  - name: plain\n    host: 127.0.0.1\n    port: 0\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static SSLContext as(Written client) {
        return TlsClients.context(serverPki.caFile, client == null ? null : client.material());
    }

    /** What the backend received, for a GET over HTTPS (or HTTP for the plain listener) with extra headers. */
    private static JsonObject backendSaw(String listener, SSLContext ctx, String... headers) throws Exception {
        HttpClient http = ctx == null ? HttpClient.newHttpClient() : TlsClients.http(ctx, HttpClient.Version.HTTP_1_1);
        String scheme = ctx == null ? "http" : "https";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(scheme + "://localhost:" + proxy.port(listener) + "/id"))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body()).getJsonObject("headers");
    }

    private static String fingerprint(Written w) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(w.material().leaf().getEncoded()));
    }

    @Test
    void requireRefusesAClientWithoutACertificate() {
        assertThatThrownBy(() -> TlsClients.handshake(as(null), proxy.port("require"), null))
                .isInstanceOf(IOException.class);
        TlsClients.Run r = TlsClients.openssl("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "s_client", "-connect",
                "127.0.0.1:" + proxy.port("require"), "-CAfile", serverPki.caFile.toString(), "-ign_eof");
        assertThat(r.output()).as(r.output()).containsAnyOf("alert bad certificate", "alert certificate required")
                .doesNotContain("HTTP/1.1 200");
    }

    /** openssl sends the certificate it is given (a JDK client would send none: its issuer is not acceptable). */
    private static TlsClients.Run opensslAsMallory(String listener) {
        return TlsClients.openssl("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "s_client", "-connect",
                "127.0.0.1:" + proxy.port(listener), "-CAfile", serverPki.caFile.toString(),
                "-cert", mallory.cert().toString(), "-key", mallory.key().toString(), "-ign_eof");
    }

    @Test
    void requireRefusesACertificateFromAnUntrustedCa() {
        assertThatThrownBy(() -> TlsClients.handshake(as(mallory), proxy.port("require"), null))
                .isInstanceOf(IOException.class);
        TlsClients.Run r = opensslAsMallory("require");
        assertThat(r.output()).as(r.output()).contains("alert").doesNotContain("HTTP/1.1 200");
    }

    @Test
    void requireAcceptsATrustedCertificateAndForwardsItsIdentity() throws Exception {
        JsonObject seen = backendSaw("require", as(alice));

        assertThat(seen.getString("x-client-cert-subject")).isEqualTo("CN=alice");
        assertThat(seen.getString("x-client-cert-fingerprint")).isEqualTo(fingerprint(alice));
    }

    @Test
    void opensslWithATrustedCertificateGetsThrough() {
        TlsClients.Run r = TlsClients.openssl("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "s_client", "-connect", "127.0.0.1:" + proxy.port("require"), "-CAfile", serverPki.caFile.toString(),
                "-cert", alice.cert().toString(), "-key", alice.key().toString(), "-ign_eof");
        assertThat(r.output()).contains("HTTP/1.1 200").contains("CN=alice");
    }

    @Test
    void requestLetsAClientWithoutACertificateInWithoutAnIdentity() throws Exception {
        JsonObject seen = backendSaw("request", as(null));

        assertThat(seen.getString("x-client-cert-subject")).isNull();
        assertThat(seen.getString("x-client-cert-fingerprint")).isNull();
    }

    @Test
    void requestForwardsATrustedCertificate() throws Exception {
        assertThat(backendSaw("request", as(alice)).getString("x-client-cert-subject")).isEqualTo("CN=alice");
    }

    @Test
    void requestStillRefusesAnUntrustedCertificate() {
        // An optional certificate that is sent must still verify: a forged "CN=alice" never gets through.
        TlsClients.Run r = opensslAsMallory("request");
        assertThat(r.output()).as(r.output()).contains("alert").doesNotContain("HTTP/1.1 200");
    }

    @Test
    void identityHeadersSentByAClientWithoutACertificateAreStripped() throws Exception {
        JsonObject seen = backendSaw("request", as(null), "X-Client-Cert-Subject", "CN=admin",
                "X-Client-Cert-Fingerprint", "00ff");

        assertThat(seen.getString("x-client-cert-subject")).isNull();
        assertThat(seen.getString("x-client-cert-fingerprint")).isNull();
    }

    @Test
    void identityHeadersSentByAClientWithACertificateAreReplacedByTheVerifiedOnes() throws Exception {
        JsonObject seen = backendSaw("require", as(alice), "X-Client-Cert-Subject", "CN=admin",
                "x-client-cert-subject", "CN=root", "X-Client-Cert-Fingerprint", "00ff");

        assertThat(seen.getString("x-client-cert-subject")).isEqualTo("CN=alice");
        assertThat(seen.getString("x-client-cert-fingerprint")).isEqualTo(fingerprint(alice));
    }

    @Test
    void identityHeadersAreStrippedOnListenersWithoutClientCertificates() throws Exception {
        assertThat(backendSaw("none", as(null), "X-Client-Cert-Subject", "CN=admin")
                .getString("x-client-cert-subject")).isNull();
        assertThat(backendSaw("plain", null, "X-Client-Cert-Subject", "CN=admin")
                .getString("x-client-cert-subject")).isNull();
    }
}
