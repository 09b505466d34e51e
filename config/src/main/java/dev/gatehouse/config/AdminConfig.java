package dev.gatehouse.config;

import java.util.List;

/** The admin listener: REST API, metrics, health endpoints and the status page. */
public record AdminConfig(String host, Integer port, List<AdminToken> tokens, TlsConfig tls) {

    public AdminConfig {
        host = host == null ? "127.0.0.1" : host;
        port = port == null ? 9090 : port;
        tokens = tokens == null ? List.of() : List.copyOf(tokens);
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
