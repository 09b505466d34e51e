package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificatesTest {

    @TempDir
    Path dir;

    @Test
    void devCaAndLeafLoadAndAreTrustedThroughCaPem() throws Exception {
        SelfSignedCertificates.DevFiles files = SelfSignedCertificates.writeDevCaAndLeaf("api.dev.test", dir);

        assertThat(files.caCreated()).isTrue();
        assertThat(files.caCert()).isEqualTo(dir.resolve("ca.pem"));
        assertThat(files.caKey()).isEqualTo(dir.resolve("ca.key"));
        assertThat(files.cert()).isEqualTo(dir.resolve("api.dev.test.pem"));
        assertThat(files.key()).isEqualTo(dir.resolve("api.dev.test.key"));
        assertThat(Files.readString(files.key())).startsWith("-----BEGIN PRIVATE KEY-----");

        TlsMaterial material = PemTlsMaterialLoader.load(files.cert(), files.key(), KeyPassword.none());
        assertThat(material.dnsNames()).containsExactly("api.dev.test");
        assertThat(material.chain()).hasSize(2);
        assertThat(material.chain().get(1)).isEqualTo(TrustBundles.load(files.caCert()).get(0));
        assertTrusted(TrustBundles.trustManagerFactory(files.caCert()), material.chain());
        PemTlsMaterialLoader.load(files.caCert(), files.caKey(), KeyPassword.none());
    }

    @Test
    void keyFilesAreOwnerOnly() throws Exception {
        SelfSignedCertificates.DevFiles files = SelfSignedCertificates.writeDevCaAndLeaf("perm.test", dir);

        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.key())))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.caKey())))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void reusesAnExistingCa() throws Exception {
        SelfSignedCertificates.writeDevCaAndLeaf("one.test", dir);
        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));

        SelfSignedCertificates.DevFiles second = SelfSignedCertificates.writeDevCaAndLeaf("two.test", dir);

        assertThat(second.caCreated()).isFalse();
        assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(ca);
        TlsMaterial two = PemTlsMaterialLoader.load(second.cert(), second.key(), KeyPassword.none());
        assertTrusted(TrustBundles.trustManagerFactory(second.caCert()), two.chain());
    }

    @Test
    void localhostGetsLoopbackAddressesAndIpHostsGetAnIpSan() {
        TlsMaterial localhost = SelfSignedCertificates.generateLeaf(TestPki.CA, "localhost", Duration.ofDays(1),
                KeyType.EC_P256);
        TlsMaterial ip = SelfSignedCertificates.generateLeaf(TestPki.CA, "10.1.2.3", Duration.ofDays(1),
                KeyType.EC_P256);

        assertThat(X509.sanDnsNames(localhost.leaf())).containsExactly("localhost");
        assertThat(X509.sanIpAddresses(localhost.leaf())).contains("127.0.0.1").hasSize(2);
        assertThat(X509.sanIpAddresses(ip.leaf())).containsExactly("10.1.2.3");
        assertThat(X509.sanDnsNames(ip.leaf())).isEmpty();
    }

    @Test
    void otherCaDoesNotTrustTheLeaf() {
        TlsMaterial leaf = SelfSignedCertificates.generateLeaf(TestPki.CA, "x.test", Duration.ofDays(1),
                KeyType.EC_P256);
        TlsMaterial otherCa = SelfSignedCertificates.generateCa("Other CA");
        X509TrustManager trustManager = (X509TrustManager) TrustBundles.trustManagerFactory(List.of(otherCa.leaf()))
                .getTrustManagers()[0];

        assertThatThrownBy(() -> trustManager.checkServerTrusted(
                leaf.chain().toArray(new X509Certificate[0]), "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void wildcardAndIpv6HostsMakeSafeFileNames() {
        assertThat(SelfSignedCertificates.fileName("*.example.test")).isEqualTo("_wildcard.example.test");
        assertThat(SelfSignedCertificates.fileName("::1")).isEqualTo("__1");
    }

    private static void assertTrusted(TrustManagerFactory factory, List<X509Certificate> chain) throws Exception {
        X509TrustManager trustManager = (X509TrustManager) factory.getTrustManagers()[0];
        trustManager.checkServerTrusted(chain.toArray(new X509Certificate[0]), "ECDHE_ECDSA");
    }
}
