package dev.gatehouse.config;

import java.util.List;

/**
 * The admin listener: REST API, metrics, health endpoints and the status page.
 *
 * @param allowedHosts host names (no port) the admin API answers to besides {@code host}, {@code localhost} and IP
 *                     literals, which are always accepted; any other {@code Host} header is refused (DNS rebinding)
 */
public record AdminConfig(String host, Integer port, List<AdminToken> tokens, TlsConfig tls,
                          List<String> allowedHosts) {

    public AdminConfig {
        host = host == null ? "127.0.0.1" : host;
        port = port == null ? 9090 : port;
        tokens = tokens == null ? List.of() : List.copyOf(tokens);
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
    }

    /** Without extra allowed host names. */
    public AdminConfig(String host, Integer port, List<AdminToken> tokens, TlsConfig tls) {
        this(host, port, tokens, tls, null);
    }

    /** A copy with {@code tokens} in place of this config's tokens. */
    public AdminConfig withTokens(List<AdminToken> tokens) {
        return new AdminConfig(host, port, tokens, tls, allowedHosts);
    }

    /** A bearer token, stored only as the hex SHA-256 of its value. */
    public record AdminToken(String name, String tokenSha256, Role role) {
        public AdminToken {
            role = role == null ? Role.READ : role;
        }
    }

    /** {@code read} may GET; {@code write} may do everything. */
    public enum Role { READ, WRITE }
}
