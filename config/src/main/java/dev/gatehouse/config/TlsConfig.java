package dev.gatehouse.config;

import java.util.List;

/**
 * TLS on a listener. The first certificate is the default; others are chosen by SNI against their names.
 *
 * @param trust PEM bundle of CAs that sign acceptable client certificates
 */
public record TlsConfig(List<CertificateConfig> certificates, ClientAuth clientAuth, String trust) {

    public TlsConfig {
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
    }

    /** Whether and how a client certificate is asked for. */
    public enum ClientAuth { NONE, REQUEST, REQUIRE }

    /**
     * A certificate chain and its key. An encrypted key's password comes from a file or an environment
     * variable, never from the configuration itself.
     */
    public record CertificateConfig(String cert, String key, String keyPasswordFile, String keyPasswordEnv) {
    }
}
