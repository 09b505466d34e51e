package dev.gatehouse.proxy;

import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.tls.ClientRenegotiation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A TLS 1.2 client that renegotiates on an established connection (a CPU denial-of-service vector: every
 * renegotiation costs the server a handshake) is refused and cut off; other connections, open or new, are served.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
class TlsRenegotiationIT {

    /** The engine of this run's listeners (the static setup gets it as its argument). */
    @Parameter
    TlsEngine engine;

    @TempDir
    static Path root;
    static Path dir;
    static TestCertificates pki;
    static TlsProxy proxy;

    @BeforeParameterizedClassInvocation
    static void start(TlsEngine engine) throws IOException {
        dir = Files.createDirectories(root.resolve(engine.name().toLowerCase()));
        pki = TestCertificates.in(dir, "Renegotiation Test CA");
        Written localhost = pki.leaf("localhost", "localhost");
        proxy = TlsProxy.start(engine, 1, "listeners:\n  - name: tls\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + localhost.yaml() + " ] }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void aClientRenegotiationIsRefusedAndOthersAreStillServed() throws Exception {
        SSLContext ctx = TlsClients.context(pki.caFile, null);
        try (SSLSocket bystander = tls12(ctx); SSLSocket attacker = tls12(ctx)) {
            assertThat(head(bystander)).startsWith("HTTP/1.1 200");
            assertThat(head(attacker)).startsWith("HTTP/1.1 200");
            assertThat(attacker.getSession().getProtocol()).isEqualTo("TLSv1.2");

            // A second handshake on the established session, then a request on it: if the server went along, the
            // request would be answered.
            Throwable refused = catchThrowable(() -> {
                attacker.startHandshake();
                head(attacker);
            });
            assertThat(refused).as("renegotiation must fail the connection").isNotNull();
            assertThat(refused).isInstanceOfAny(SSLException.class, IOException.class);
            assertThat(attacker.isClosed() || attacker.getInputStream().read() < 0).isTrue();

            // The connection that did nothing wrong, and a new one, are served.
            assertThat(head(bystander)).startsWith("HTTP/1.1 200");
        }
        try (SSLSocket fresh = tls12(ctx)) {
            assertThat(head(fresh)).startsWith("HTTP/1.1 200");
        }
        assertThat(ClientRenegotiation.refusedByJdk()).isTrue();
    }

    @Test
    void manyRenegotiationAttemptsEachCostOneConnection() throws Exception {
        SSLContext ctx = TlsClients.context(pki.caFile, null);
        // Bounded: 20 attackers, each cut off at its first renegotiation.
        for (int i = 0; i < 20; i++) {
            try (SSLSocket attacker = tls12(ctx)) {
                assertThat(head(attacker)).startsWith("HTTP/1.1 200");
                Throwable refused = catchThrowable(() -> {
                    attacker.startHandshake();
                    head(attacker);
                });
                assertThat(refused).as("attempt " + i).isNotNull();
            }
        }
        try (SSLSocket fresh = tls12(ctx)) {
            assertThat(head(fresh)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void opensslClientRenegotiationIsRefused() {
        // s_client's "R" command renegotiates: the server must refuse, so the certificate is verified only once and
        // the connection ends with an error instead of a second handshake.
        TlsClients.Run r = TlsClients.openssl("R\n", "s_client", "-connect", "127.0.0.1:" + proxy.port("tls"),
                "-tls1_2", "-CAfile", pki.caFile.toString(), "-verify_return_error");
        assertThat(r.output()).as(r.output()).contains("RENEGOTIATING");
        assertThat(r.output().lines().filter(l -> l.startsWith("depth=0")).count()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).as(r.output()).containsAnyOf("no renegotiation", "handshake failure", "alert");
    }

    /** A connected, handshaken client offering TLS 1.2 only. */
    private static SSLSocket tls12(SSLContext ctx) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", proxy.port("tls")), 5_000);
        s.setSoTimeout(10_000);
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        s.startHandshake();
        return s;
    }

    /** A HEAD request on the connection and the response head (no body follows a HEAD). */
    private static String head(SSLSocket s) throws IOException {
        s.getOutputStream().write("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed; read so far: " + head);
            }
            head.write(b);
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r\n\r\n")) {
                return text;
            }
        }
    }
}
