package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustBundlesTest {

    @TempDir
    Path dir;

    @Test
    void loadsEveryCertificateInOrder() {
        TlsMaterial second = SelfSignedCertificates.generateCa("Second CA");
        Path bundle = dir.resolve("bundle.pem");
        PemWriter.writeCertificates(bundle, List.of(TestPki.CA.leaf(), second.leaf()));

        assertThat(TrustBundles.load(bundle)).containsExactly(TestPki.CA.leaf(), second.leaf());
        X509TrustManager trustManager = (X509TrustManager) TrustBundles.trustManagerFactory(bundle)
                .getTrustManagers()[0];
        assertThat(trustManager.getAcceptedIssuers()).hasSize(2);
    }

    @Test
    void rejectsEmptyAndNonCertificateFiles() throws Exception {
        Path empty = dir.resolve("empty.pem");
        Files.writeString(empty, "\n");
        Path key = dir.resolve("ca.pem");
        PemWriter.writePkcs8(key, TestPki.CA.key());
        Path missing = dir.resolve("missing.pem");

        assertThatThrownBy(() -> TrustBundles.load(empty)).hasMessage(empty + ": file is empty, expected PEM");
        assertThatThrownBy(() -> TrustBundles.trustManagerFactory(key))
                .isInstanceOf(TlsMaterialException.class)
                .hasMessage(key + ": not a PEM certificate (found \"PRIVATE KEY\")");
        assertThatThrownBy(() -> TrustBundles.load(missing)).hasMessage(missing + ": file not found");
    }
}
