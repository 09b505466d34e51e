package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateInspectorTest {

    @TempDir
    Path dir;

    @Test
    void describesEachCertificateWithSansExpiryKeyAndFingerprint() {
        TlsMaterial leaf = TestPki.leaf("inspect.test", "*.inspect.test");
        CertificateFiles files = TestPki.write(dir, "inspect", leaf);

        String text = CertificateInspector.describe(files.cert());

        assertThat(text)
                .startsWith(files.cert() + ": 2 certificates")
                .contains("[1] leaf", "[2] root CA (self-signed)")
                .contains("subject:   CN=inspect.test")
                .contains("issuer:    CN=Test Root CA")
                .contains("SANs:      DNS:inspect.test, DNS:*.inspect.test")
                .contains(leaf.notAfter().toString())
                .contains("days left")
                .contains("key:       EC P-256")
                .contains("SHA-256:   " + X509.sha256Fingerprint(leaf.leaf()))
                .contains("chain: in order");
        assertThat(X509.sha256Fingerprint(leaf.leaf())).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void flagsExpiredCertificatesAndShowsIpSans() {
        TlsMaterial local = SelfSignedCertificates.generateLeaf(TestPki.CA, "localhost", Duration.ofDays(30),
                KeyType.EC_P256);
        Clock later = Clock.fixed(local.notAfter().plus(Duration.ofDays(3)), ZoneOffset.UTC);

        String text = CertificateInspector.describe(Path.of("local.pem"), List.of(local.leaf()), later);

        assertThat(text).contains("DNS:localhost", "IP:127.0.0.1", "EXPIRED 3 days ago");
    }

    @Test
    void rejectsFileWithoutCertificates() {
        Path key = dir.resolve("only.key");
        PemWriter.writePkcs8(key, TestPki.CA.key());

        assertThatThrownBy(() -> CertificateInspector.describe(key))
                .hasMessage(key + ": not a PEM certificate (found \"PRIVATE KEY\")");
    }
}
