package dev.gatehouse.proxy;

import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.listener.ServerTls;

import dev.gatehouse.proxy.TestCertificates.Written;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The client-certificate trust bundle is reloaded like the certificates: in place, and a broken file is refused. */
@ParameterizedClass(name = "{0}")
@EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
class TrustReloadIT {

    @Parameter
    TlsEngine engine;

    @TempDir
    Path dir;
    TlsProxy proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private TlsClients.Run get(TestCertificates server, Written client) {
        return TlsClients.openssl("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "s_client",
                "-connect", "127.0.0.1:" + proxy.port("require"), "-CAfile", server.caFile.toString(),
                "-cert", client.cert().toString(), "-key", client.key().toString(), "-ign_eof");
    }

    @Test
    void aReplacedTrustBundleIsUsedForNewHandshakesAndABrokenOneIsRefused() throws Exception {
        TestCertificates server = TestCertificates.in(dir, "Server CA");
        TestCertificates first = TestCertificates.in(dir, "First Client CA");
        TestCertificates second = TestCertificates.in(dir, "Second Client CA");
        Written site = server.leaf("site", "localhost");
        Written alice = first.leaf("alice", "alice");
        Written bob = second.leaf("bob", "bob");
        Path trust = dir.resolve("trust.pem");
        Files.copy(first.caFile, trust);
        proxy = TlsProxy.start(engine, 1, "listeners:\n"
                + "  - name: require\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ], client-auth: require, trust: \"" + trust
                + "\", reload-interval: 200ms }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");

        assertThat(get(server, alice).output()).contains("HTTP/1.1 200");
        assertThat(get(server, bob).output()).doesNotContain("HTTP/1.1 200");

        Path next = dir.resolve("trust.next");
        Files.copy(second.caFile, next);
        Files.move(next, trust, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(get(server, bob).output()).contains("HTTP/1.1 200"));
        assertThat(get(server, alice).output()).doesNotContain("HTTP/1.1 200");

        // A broken bundle is refused: once the reloader has looked at it (its WARN), the second CA is still trusted.
        try (LogCapture log = new LogCapture(ServerTls.class)) {
            Files.writeString(trust, "not a certificate\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> log.warnings().stream()
                    .anyMatch(w -> w.contains("keeping the current client-certificate trust")));
        }
        assertThat(get(server, bob).output()).contains("HTTP/1.1 200");
    }
}
