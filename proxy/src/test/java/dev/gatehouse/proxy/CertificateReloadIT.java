package dev.gatehouse.proxy;

import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.listener.ServerTls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.proxy.TestCertificates.KeyFormat;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.tls.CertificateWatcher;
import dev.gatehouse.tls.ExpiryMonitor;
import dev.gatehouse.tls.PemWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Hot reload of listener certificates: a rotation under load drops no request and no connection and the new
 * certificate is served afterwards; a broken replacement is refused with a log line naming the file while the old
 * certificate keeps serving.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
class CertificateReloadIT {

    /** The engine of this run's listeners (the static setup gets it as its argument). */
    @Parameter
    TlsEngine engine;

    @TempDir
    static Path root;
    static Path dir;
    static TestCertificates pki;
    static Written loadV1;
    static Written brokenV1;
    static TlsProxy proxy;

    @BeforeParameterizedClassInvocation
    static void start(TlsEngine engine) throws IOException {
        dir = Files.createDirectories(root.resolve(engine.name().toLowerCase()));
        pki = TestCertificates.in(dir, "Reload Test CA");
        Files.createDirectories(dir.resolve("load"));
        Files.createDirectories(dir.resolve("broken"));
        loadV1 = pki.leaf("load/site", "localhost");
        brokenV1 = pki.leaf("broken/site", "localhost");
        proxy = TlsProxy.start(engine, 1, "listeners:\n"
                + "  - name: load\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + loadV1.yaml() + " ], reload-interval: 200ms }\n"
                + "  - name: broken\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + brokenV1.yaml() + " ], reload-interval: 200ms }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static X509Certificate served(String listener) throws IOException {
        return TlsClients.handshake(proxy.port(listener), pki.caFile, "localhost").leaf();
    }

    /** One request on a new TLS connection, a full handshake (the session is not offered again). */
    private static int requestOnNewConnection(SSLContext ctx, int port) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.startHandshake();
            s.getSession().invalidate();
            try (RawHttp c = RawHttp.over(s)) {
                return c.write("GET /new HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").read().status();
            }
        }
    }

    @Test
    void rotationUnderLoadFailsNoRequestAndServesTheNewCertificate() throws Exception {
        int port = proxy.port("load");
        SSLContext ctx = TlsClients.context(pki.caFile, null);
        HttpClient keepAlive = TlsClients.http(ctx, HttpClient.Version.HTTP_1_1);
        URI uri = URI.create("https://localhost:" + port + "/keep-alive");
        AtomicInteger total = new AtomicInteger();
        AtomicInteger afterSwap = new AtomicInteger();
        AtomicBoolean swapped = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);

        // A connection opened before the rotation must keep working after it, on its old certificate.
        SSLSocket longLived = (SSLSocket) ctx.getSocketFactory().createSocket();
        longLived.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        longLived.startHandshake();
        RawHttp persistent = RawHttp.over(longLived);
        assertThat(persistent.write("GET /before HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);

        ExecutorService workers = Executors.newFixedThreadPool(4);
        try (LogCapture expiry = new LogCapture(ExpiryMonitor.class)) {
            for (int w = 0; w < 4; w++) {
                boolean newConnections = w % 2 == 0;
                workers.submit(() -> {
                    // Bounded: stops when told, at 5000 requests, or at the deadline.
                    while (!stop.get() && total.get() < 5000 && System.nanoTime() < deadline) {
                        try {
                            int status = newConnections ? requestOnNewConnection(ctx, port)
                                    : keepAlive.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode();
                            if (status != 200) {
                                failures.add("status " + status);
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                        total.incrementAndGet();
                        if (swapped.get()) {
                            afterSwap.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> total.get() >= 100 || !failures.isEmpty());

            // Rotation as operators do it: a new certificate and key (10 days left) written over the old files.
            Written v2 = pki.leaf("load/next", "localhost", Duration.ofDays(10));
            PemWriter.writeCertificates(loadV1.cert(), v2.material().chain());
            PemWriter.writePkcs8(loadV1.key(), v2.material().key());
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> served("load").equals(v2.material().leaf()));
            swapped.set(true);
            await().atMost(Duration.ofSeconds(40)).until(() -> (total.get() >= 500 && afterSwap.get() >= 100)
                    || !failures.isEmpty() || System.nanoTime() > deadline);
            stop.set(true);
            workers.shutdown();
            assertThat(workers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

            assertThat(failures).isEmpty();
            assertThat(total.get()).isGreaterThanOrEqualTo(500);
            assertThat(afterSwap.get()).isGreaterThanOrEqualTo(100);
            assertThat(served("load")).isEqualTo(v2.material().leaf());
            assertThat(persistent.write("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                    .isEqualTo(200);
            assertThat(longLived.getSession().getPeerCertificates()[0]).isEqualTo(loadV1.material().leaf());
            // The new certificate has 10 days left: the gauge follows it and the operator is warned.
            assertThat(proxy.registry.find(ServerTls.EXPIRY_GAUGE).tag("listener", "load").gauge().value())
                    .isBetween(9.0, 10.0);
            assertThat(expiry.warnings()).anySatisfy(w -> assertThat(w).contains("CN=localhost").contains("days left"));
        } finally {
            stop.set(true);
            workers.shutdownNow();
            persistent.close();
        }
    }

    @Test
    void brokenReplacementIsRefusedAndTheOldCertificateKeepsServing() throws Exception {
        assertThat(served("broken")).isEqualTo(brokenV1.material().leaf());
        byte[] original = Files.readAllBytes(brokenV1.cert());

        try (LogCapture log = new LogCapture(CertificateWatcher.class)) {
            // Not a certificate at all.
            Files.writeString(brokenV1.cert(), "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> log.warnings().stream().anyMatch(w -> w.contains(brokenV1.cert().toString())));
            assertThat(log.warnings()).anySatisfy(w -> assertThat(w).contains("keeping the previous certificate"));
            assertThat(served("broken")).isEqualTo(brokenV1.material().leaf());

            // A valid certificate that does not belong to the key.
            Written other = pki.leaf("broken/other", "localhost");
            PemWriter.writeCertificates(brokenV1.cert(), other.material().chain());
            await().atMost(Duration.ofSeconds(10)).until(() -> log.warnings().stream()
                    .anyMatch(w -> w.contains(brokenV1.key().toString()) && w.contains("does not match")));
            assertThat(served("broken")).isEqualTo(brokenV1.material().leaf());

            // Its key arrives: now the pair is valid and is served.
            PemWriter.writePkcs8(brokenV1.key(), other.material().key());
            await().atMost(Duration.ofSeconds(10)).until(() -> served("broken").equals(other.material().leaf()));
        } finally {
            Files.write(brokenV1.cert(), original);
        }
    }

    @Test
    void anEncryptedKeyIsReloadedWithItsPasswordFile() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("encrypted"));
        Written v1 = pki.write("encrypted/site", pki.leaf("encrypted/v1", "localhost").material(),
                KeyFormat.ENCRYPTED_PKCS8);
        try (TlsProxy p = TlsProxy.start(engine, 1, "listeners:\n  - name: e\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + v1.yaml() + " ], reload-interval: 200ms }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n")) {
            assertThat(TlsClients.handshake(p.port("e"), pki.caFile, null).leaf()).isEqualTo(v1.material().leaf());
            // Rotate key and password together: the new key is encrypted with a new password.
            Written v2 = pki.write("encrypted/v2", pki.leaf("encrypted/v2src", "localhost").material(),
                    KeyFormat.ENCRYPTED_PKCS8);
            Files.copy(v2.passwordFile(), v1.passwordFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(v2.key(), v1.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(v2.cert(), v1.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    TlsClients.handshake(p.port("e"), pki.caFile, null).leaf().equals(v2.material().leaf()));
        }
        assertThat(sub).isDirectory();
    }
}
