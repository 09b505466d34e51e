package dev.gatehouse.config;

/**
 * TLS towards the {@code https://} backends of a pool. Every path is a PEM file; a key password comes from a file or
 * an environment variable, never from the configuration itself.
 *
 * @param ca              CA bundle the backends' certificates must chain to; absent: the JVM's trusted CAs
 * @param serverName      the name sent as SNI and checked against the backend certificate; absent: each backend's
 *                        host from its URL
 * @param cert            client certificate chain shown to backends that ask for one (with {@code key})
 * @param key             the client certificate's private key
 * @param keyPasswordFile file holding the password of an encrypted {@code key}
 * @param keyPasswordEnv  environment variable holding the password of an encrypted {@code key}
 * @param verify          verify the backend certificate and host name (default true); false is for tests only
 */
public record UpstreamTlsConfig(String ca, String serverName, String cert, String key, String keyPasswordFile,
                                String keyPasswordEnv, Boolean verify) {

    public UpstreamTlsConfig {
        verify = verify == null ? Boolean.TRUE : verify;
    }
}
