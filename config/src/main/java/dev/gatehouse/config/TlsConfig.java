package dev.gatehouse.config;

import java.time.Duration;
import java.util.List;

/**
 * TLS on a listener (or the admin listener). The first certificate is the default; others are chosen by SNI against
 * their names. TLS 1.2 and 1.3 only, with the cipher suites of the {@code tls} module's policy.
 *
 * @param clientAuth     whether a client certificate is asked for: {@code none} (default), {@code request} (asked,
 *                       optional) or {@code require} (handshake refused without one)
 * @param trust          PEM bundle of CAs that sign acceptable client certificates; required unless client-auth is
 *                       none
 * @param reloadInterval how often the certificate, key and password files are checked for changes (default 5s); a
 *                       changed file is loaded and served without a restart, a broken one is refused and logged
 */
public record TlsConfig(List<CertificateConfig> certificates, ClientAuth clientAuth, String trust,
                        Duration reloadInterval) {

    public TlsConfig {
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        reloadInterval = reloadInterval == null ? Duration.ofSeconds(5) : reloadInterval;
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
