package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

import org.junit.jupiter.api.Test;

class SniCertificateStoreTest {

    private final TlsMaterial fallback = TestPki.leaf("default.test");
    private final TlsMaterial wildcard = TestPki.leaf("*.example.test");
    private final TlsMaterial exact = TestPki.leaf("api.example.test");
    // The wildcard is listed before the exact certificate: exact must still win.
    private final SniCertificateStore store = SniCertificateStore.of(List.of(fallback, wildcard, exact));

    @Test
    void exactNameWinsOverWildcard() {
        assertThat(store.select("api.example.test")).isSameAs(exact);
        assertThat(store.select("API.example.test.")).isSameAs(exact);
    }

    @Test
    void wildcardCoversOtherNamesOfItsDomain() {
        assertThat(store.select("www.example.test")).isSameAs(wildcard);
        assertThat(store.select("a.b.example.test")).isSameAs(fallback);
    }

    @Test
    void defaultForUnknownOrMissingName() {
        assertThat(store.select("unknown.test")).isSameAs(fallback);
        assertThat(store.select(null)).isSameAs(fallback);
        assertThat(store.select("")).isSameAs(fallback);
    }

    @Test
    void updateSwapsTheWholeSet() {
        TlsMaterial replacement = TestPki.leaf("api.example.test");

        store.update(List.of(replacement));

        assertThat(store.select("api.example.test")).isSameAs(replacement);
        assertThat(store.select("www.example.test")).isSameAs(replacement);
        assertThat(store.materials()).containsExactly(replacement);
    }

    @Test
    void rejectsEmptySet() {
        assertThatThrownBy(() -> SniCertificateStore.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("materials: empty");
    }

    @Test
    void handshakeSelectionFiltersByKeyAlgorithmWithinTheName() {
        TlsMaterial dualEc = TestPki.leaf("dual.test");
        TlsMaterial rsa = TestPki.rsaLeaf(); // dual.test and rsa.test
        SniCertificateStore dual = SniCertificateStore.of(List.of(fallback, dualEc, rsa));
        SniCertificateStore.Index index = dual.index();

        assertThat(index.select("dual.test", "EC")).isEqualTo(1);
        assertThat(index.select("dual.test", "RSA")).isEqualTo(2);
        // A name we have only as EC never falls back to another name's RSA certificate.
        assertThat(index.select("default.test", "RSA")).isEqualTo(-1);
        // Unknown name: the first certificate of the requested algorithm.
        assertThat(index.select("unknown.test", "RSA")).isEqualTo(2);
        assertThat(index.select("unknown.test", "EC")).isEqualTo(0);
    }

    @Test
    void aliasStaysResolvableAcrossOneSwap() {
        X509ExtendedKeyManager keyManager = SniCertificateStore.keyManager(store);
        String alias = keyManager.chooseEngineServerAlias("EC", null, null);

        store.update(List.of(TestPki.leaf("next.test")));
        assertThat(keyManager.getPrivateKey(alias)).isEqualTo(fallback.key());
        assertThat(keyManager.getCertificateChain(alias)).containsExactlyElementsOf(fallback.chain());

        store.update(List.of(TestPki.leaf("later.test")));
        assertThat(keyManager.getPrivateKey(alias)).isNull();
        assertThat(keyManager.getPrivateKey("unknown")).isNull();
    }

    @Test
    void keyManagerFactoryIsReadyAndIgnoresInit() throws Exception {
        KeyManagerFactory factory = SniCertificateStore.keyManagerFactory(store);
        factory.init(null, null);

        assertThat(factory.getKeyManagers()).hasSize(1);
        assertThat(factory.getKeyManagers()[0]).isInstanceOf(X509ExtendedKeyManager.class);
        X509ExtendedKeyManager keyManager = (X509ExtendedKeyManager) factory.getKeyManagers()[0];
        assertThat(keyManager.getServerAliases("EC", null)).hasSize(3);
        assertThat(keyManager.chooseEngineClientAlias(new String[] {"EC"}, null, null)).isNull();
    }
}
