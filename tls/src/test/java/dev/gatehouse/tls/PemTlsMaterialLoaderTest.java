package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTlsMaterialLoaderTest {

    private static final char[] PASSWORD = "correct horse battery".toCharArray();

    @TempDir
    Path dir;

    private Path certFile(TlsMaterial material) {
        Path cert = dir.resolve("site.pem");
        PemWriter.writeCertificates(cert, material.chain());
        return cert;
    }

    private void assertLoads(Path cert, Path key, KeyPassword password, TlsMaterial expected) {
        TlsMaterial loaded = PemTlsMaterialLoader.load(cert, key, password);
        // SEC1 keys re-encode with curve and public point, so compare the secret, not the encoding.
        if (expected.key() instanceof ECPrivateKey) {
            assertThat(((ECPrivateKey) loaded.key()).getS()).isEqualTo(((ECPrivateKey) expected.key()).getS());
        } else {
            assertThat(loaded.key()).isEqualTo(expected.key());
        }
        assertThat(loaded.chain()).isEqualTo(expected.chain());
    }

    @Test
    void loadsPkcs8Rsa() throws Exception {
        TlsMaterial rsa = TestPki.rsaLeaf();
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, rsa.key());

        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertLoads(certFile(rsa), key, KeyPassword.none(), rsa);
        assertThat(PemTlsMaterialLoader.load(certFile(rsa), key, KeyPassword.none()).keyType()).isEqualTo("RSA 2048");
    }

    @Test
    void loadsPkcs1Rsa() throws Exception {
        TlsMaterial rsa = TestPki.rsaLeaf();
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs1Rsa(key, rsa.key());

        assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertLoads(certFile(rsa), key, KeyPassword.none(), rsa);
    }

    @Test
    void loadsPkcs8Ec() {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, ec.key());

        assertLoads(certFile(ec), key, KeyPassword.none(), ec);
    }

    @Test
    void loadsSec1Ec() throws Exception {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("site.key");
        PemWriter.writeSec1Ec(key, ec.key(), false);

        assertThat(Files.readString(key)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertLoads(certFile(ec), key, KeyPassword.none(), ec);
    }

    @Test
    void loadsSec1EcAfterEcParametersBlock() throws Exception {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("site.key");
        PemWriter.writeSec1Ec(key, ec.key(), true);

        assertThat(Files.readString(key)).startsWith("-----BEGIN EC PARAMETERS-----")
                .contains("-----BEGIN EC PRIVATE KEY-----");
        assertLoads(certFile(ec), key, KeyPassword.none(), ec);
    }

    @Test
    void loadsEncryptedPkcs8WithPasswordFile() throws Exception {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("site.key");
        PemWriter.writeEncryptedPkcs8(key, ec.key(), PASSWORD);
        Path passwordFile = dir.resolve("site.pass");
        Files.writeString(passwordFile, new String(PASSWORD) + "\n"); // as `echo` writes it

        assertThat(Files.readString(key)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        assertLoads(certFile(ec), key, KeyPassword.fromFile(passwordFile), ec);
    }

    @Test
    void loadsEncryptedPkcs8WithPasswordFromEnvironment() {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("site.key");
        PemWriter.writeEncryptedPkcs8(key, ec.key(), PASSWORD);
        KeyPassword password = KeyPassword.fromEnv("GH_KEY_PASS", Map.of("GH_KEY_PASS", new String(PASSWORD))::get);

        assertLoads(certFile(ec), key, password, ec);
    }

    @Test
    void loadsLegacyEncryptedRsaPem() throws Exception {
        TlsMaterial rsa = TestPki.rsaLeaf();
        Path key = dir.resolve("site.key");
        PemWriter.writeLegacyEncrypted(key, rsa.key(), PASSWORD);

        assertThat(Files.readString(key)).contains("Proc-Type: 4,ENCRYPTED");
        assertLoads(certFile(rsa), key, KeyPassword.of(PASSWORD), rsa);
    }

    @Test
    void loadsChainThroughAnIntermediate() {
        TlsMaterial intermediate = SelfSignedCertificates.issue(TestPki.CA,
                SelfSignedCertificates.Spec.ca("Test Intermediate CA"));
        TlsMaterial leaf = SelfSignedCertificates.issue(intermediate,
                SelfSignedCertificates.Spec.leafWithNames("deep.test", "deep.test"));
        CertificateFiles files = TestPki.write(dir, "deep", leaf);

        TlsMaterial loaded = files.load();

        assertThat(loaded.chain()).hasSize(3);
        assertThat(loaded.chain().get(2)).isEqualTo(TestPki.CA.leaf());
    }

    @Test
    void loadsCombinedCertificateAndKeyFile() throws Exception {
        TlsMaterial ec = TestPki.leaf("ec.test");
        CertificateFiles parts = TestPki.write(dir, "part", ec);
        Path combined = dir.resolve("combined.pem");
        PemWriter.writeString(combined, Files.readString(parts.cert()) + Files.readString(parts.key()));

        assertLoads(combined, combined, KeyPassword.none(), ec);
    }

    @Test
    void rejectsKeyOfAnotherCertificate() {
        TlsMaterial a = TestPki.leaf("a.test");
        TlsMaterial b = TestPki.leaf("b.test");
        Path cert = certFile(a);
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, b.key());

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(cert, key, KeyPassword.none()))
                .isInstanceOf(TlsMaterialException.class)
                .hasMessage(key + ": private key does not match the certificate in " + cert)
                .satisfies(e -> assertThat(((TlsMaterialException) e).file()).contains(key));
    }

    @Test
    void rejectsKeyOfAnotherAlgorithm() {
        Path cert = certFile(TestPki.leaf("a.test"));
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, TestPki.rsaLeaf().key());

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(cert, key, KeyPassword.none()))
                .hasMessage(key + ": private key does not match the certificate in " + cert);
    }

    @Test
    void rejectsExpiredCertificate() {
        TlsMaterial expired = SelfSignedCertificates.issue(TestPki.CA, SelfSignedCertificates.Spec
                .leafWithNames("old.test", "old.test")
                .validity(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z")));
        CertificateFiles files = TestPki.write(dir, "old", expired);

        assertThatThrownBy(files::load)
                .hasMessage(files.cert() + ": certificate expired on 2025-01-01T00:00:00Z");
    }

    @Test
    void rejectsCertificateNotYetValid() {
        TlsMaterial future = SelfSignedCertificates.issue(TestPki.CA, SelfSignedCertificates.Spec
                .leafWithNames("new.test", "new.test")
                .validity(Instant.parse("2099-01-01T00:00:00Z"), Instant.parse("2100-01-01T00:00:00Z")));
        CertificateFiles files = TestPki.write(dir, "new", future);

        assertThatThrownBy(files::load)
                .hasMessage(files.cert() + ": certificate is not yet valid (valid from 2099-01-01T00:00:00Z)");
    }

    @Test
    void rejectsReversedChain() {
        TlsMaterial leaf = TestPki.leaf("a.test");
        Path cert = dir.resolve("site.pem");
        PemWriter.writeCertificates(cert, List.of(TestPki.CA.leaf(), leaf.leaf()));
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, leaf.key());

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(cert, key, KeyPassword.none()))
                .hasMessage(cert + ": certificate chain out of order: certificate 1 (CN=Test Root CA) is not issued"
                        + " by certificate 2 (CN=a.test); the certificates are in reverse order, the leaf must come"
                        + " first");
    }

    @Test
    void rejectsChainWithForeignIssuer() {
        TlsMaterial otherCa = SelfSignedCertificates.generateCa("Other CA");
        TlsMaterial leaf = TestPki.leaf("a.test");
        Path cert = dir.resolve("site.pem");
        PemWriter.writeCertificates(cert, List.of(leaf.leaf(), otherCa.leaf()));
        Path key = dir.resolve("site.key");
        PemWriter.writePkcs8(key, leaf.key());

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(cert, key, KeyPassword.none()))
                .hasMessageStartingWith(cert + ": certificate chain out of order: certificate 1 (CN=a.test) is not"
                        + " issued by certificate 2 (CN=Other CA)");
    }

    @Test
    void rejectsKeyWhereCertificateBelongs() {
        TlsMaterial rsa = TestPki.rsaLeaf();
        Path notCert = dir.resolve("x.pem");
        PemWriter.writePkcs1Rsa(notCert, rsa.key());

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(notCert, notCert, KeyPassword.none()))
                .hasMessage(notCert + ": not a PEM certificate (found \"RSA PRIVATE KEY\")");
    }

    @Test
    void rejectsCertificateWhereKeyBelongs() {
        Path cert = certFile(TestPki.leaf("a.test"));

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(cert, cert, KeyPassword.none()))
                .hasMessage(cert + ": not a PEM private key (found \"CERTIFICATE\")");
    }

    @Test
    void rejectsFilesThatAreNotPem() throws Exception {
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "hello, I am not a certificate\n");
        Path empty = dir.resolve("empty.pem");
        Files.createFile(empty);
        Path der = dir.resolve("site.der");
        Files.write(der, TestPki.CA.leaf().getEncoded());
        Path missing = dir.resolve("missing.pem");

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(garbage, garbage, KeyPassword.none()))
                .hasMessage(garbage + ": not a PEM file (no -----BEGIN line found)");
        assertThatThrownBy(() -> PemTlsMaterialLoader.load(empty, empty, KeyPassword.none()))
                .hasMessage(empty + ": file is empty, expected PEM");
        assertThatThrownBy(() -> PemTlsMaterialLoader.load(der, der, KeyPassword.none()))
                .hasMessage(der + ": not a PEM file (no -----BEGIN line found) (looks like binary DER; convert it"
                        + " to PEM)");
        assertThatThrownBy(() -> PemTlsMaterialLoader.load(missing, missing, KeyPassword.none()))
                .hasMessage(missing + ": file not found");
    }

    @Test
    void rejectsEncryptedKeyWithoutPassword() {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("k.key");
        PemWriter.writeEncryptedPkcs8(key, ec.key(), PASSWORD);

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(certFile(ec), key, KeyPassword.none()))
                .hasMessage(key + ": encrypted key needs a password (key-password-file or key-password-env)");
    }

    @Test
    void rejectsWrongPassword() throws Exception {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("k.key");
        PemWriter.writeEncryptedPkcs8(key, ec.key(), PASSWORD);
        Path passwordFile = dir.resolve("k.pass");
        Files.writeString(passwordFile, "not the password");

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(certFile(ec), key, KeyPassword.fromFile(passwordFile)))
                .hasMessage(key + ": cannot decrypt private key: wrong password (key-password-file " + passwordFile
                        + ")");
    }

    @Test
    void rejectsUnsetPasswordVariable() {
        TlsMaterial ec = TestPki.leaf("ec.test");
        Path key = dir.resolve("k.key");
        PemWriter.writeEncryptedPkcs8(key, ec.key(), PASSWORD);
        KeyPassword password = KeyPassword.fromEnv("GH_KEY_PASS", name -> null);

        assertThatThrownBy(() -> PemTlsMaterialLoader.load(certFile(ec), key, password))
                .hasMessage(key + ": key-password-env GH_KEY_PASS is not set");
    }
}
