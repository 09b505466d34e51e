package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import org.junit.jupiter.api.Test;

class TlsPolicyTest {

    @Test
    void everyProtocolAndSuiteIsSupportedByTheJdk() throws Exception {
        SSLParameters supported = SSLContext.getDefault().getSupportedSSLParameters();

        assertThat(List.of(supported.getProtocols())).containsAll(TlsPolicy.PROTOCOLS);
        assertThat(List.of(supported.getCipherSuites())).containsAll(TlsPolicy.CIPHER_SUITES);
    }

    @Test
    void tls12SuitesAreEcdheWithAead() {
        assertThat(TlsPolicy.PROTOCOLS).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(TlsPolicy.TLS12_CIPHER_SUITES).allSatisfy(suite -> assertThat(suite)
                .startsWith("TLS_ECDHE_")
                .containsAnyOf("_GCM_", "CHACHA20_POLY1305"));
        assertThat(TlsPolicy.CIPHER_SUITES).startsWith(TlsPolicy.TLS13_CIPHER_SUITES.toArray(new String[0]))
                .hasSize(TlsPolicy.TLS13_CIPHER_SUITES.size() + TlsPolicy.TLS12_CIPHER_SUITES.size());
    }
}
