package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class TlsMaterialTest {

    @Test
    void dnsNamesComeFromSubjectAlternativeNames() {
        TlsMaterial material = TestPki.leaf("api.example.test", "www.example.test", "*.cdn.example.test");

        assertThat(material.dnsNames()).containsExactly("api.example.test", "www.example.test", "*.cdn.example.test");
    }

    @Test
    void dnsNamesFallBackToCommonNameWithoutSans() {
        TlsMaterial legacy = SelfSignedCertificates.issue(TestPki.CA,
                SelfSignedCertificates.Spec.leafWithNames("legacy.example.test").organization("Old Corp"));

        assertThat(legacy.dnsNames()).containsExactly("legacy.example.test");
        assertThat(legacy.matches("legacy.example.test")).isTrue();
    }

    @Test
    void matchesExactNamesIgnoringCaseAndTrailingDot() {
        TlsMaterial material = TestPki.leaf("api.example.test");

        assertThat(material.matches("api.example.test")).isTrue();
        assertThat(material.matches("API.Example.TEST")).isTrue();
        assertThat(material.matches("api.example.test.")).isTrue();
        assertThat(material.matches("www.example.test")).isFalse();
        assertThat(material.matches(null)).isFalse();
        assertThat(material.matches("")).isFalse();
    }

    @Test
    void wildcardCoversExactlyOneLabel() {
        TlsMaterial material = TestPki.leaf("*.example.test");

        assertThat(material.matches("a.example.test")).isTrue();
        assertThat(material.matches("WWW.EXAMPLE.TEST")).isTrue();
        assertThat(material.matches("a.b.example.test")).isFalse();
        assertThat(material.matches("example.test")).isFalse();
        assertThat(material.matches(".example.test")).isFalse();
    }

    @Test
    void keyTypeNamesAlgorithmAndSize() {
        TlsMaterial p384 = SelfSignedCertificates.issue(TestPki.CA,
                SelfSignedCertificates.Spec.leafWithNames("p384.test", "p384.test").keyType(KeyType.EC_P384));

        assertThat(TestPki.leaf("a.test").keyType()).isEqualTo("EC P-256");
        assertThat(p384.keyType()).isEqualTo("EC P-384");
        assertThat(TestPki.rsaLeaf().keyType()).isEqualTo("RSA 2048");
    }

    @Test
    void rejectsEmptyChainAndNeverPrintsTheKey() {
        TlsMaterial material = TestPki.leaf("a.test");

        assertThatThrownBy(() -> new TlsMaterial(material.key(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("chain: empty");
        assertThat(material.toString()).contains("CN=a.test", "EC P-256").doesNotContain(material.key().toString());
        assertThat(material.notAfter()).isEqualTo(material.leaf().getNotAfter().toInstant());
    }
}
