package dev.gatehouse.config;

import java.time.Duration;
import java.util.List;

/**
 * One accepting socket of the data plane.
 *
 * @param http2           offer h2 (ALPN on TLS, h2c by prior knowledge or Upgrade on cleartext)
 * @param proxyProtocol   expect a PROXY protocol v1/v2 header on every connection (behind an L4 balancer)
 * @param trustedProxies  CIDRs whose X-Forwarded-* / Forwarded headers are believed and extended
 * @param maxHeaderSize   total request header bytes before 431
 * @param maxUriLength    request-target bytes before 414
 * @param maxBodySize     default request body limit (0 = unlimited); a route may set its own
 * @param idleTimeout     a keep-alive connection with no traffic for this long is closed
 * @param headerTimeout   a request whose headers are not complete in this time is answered 408 (slowloris)
 * @param redirectToHttps a plain-HTTP listener that only redirects: every request is answered 308 with
 *                        {@code Location: https://<same host>[:port]<same target>} for this HTTPS port
 * @param hsts            on a TLS listener, the {@code Strict-Transport-Security} header put on every response
 * @param path            how request paths are normalised before routing (see {@link PathConfig})
 * @param maxConnections  open connections on this listener (all event loops together) beyond which new ones are
 *                        accepted and closed at once; 0 = no limit; default 20000
 * @param sendTimeout     how long a connection may stay unwritable (the client not taking response bytes fast enough
 *                        to drain the send buffer below its low watermark) before it is closed and its upstream request
 *                        aborted; default 60s
 */
public record ListenerConfig(
        String name,
        String host,
        Integer port,
        Boolean http2,
        TlsConfig tls,
        Boolean proxyProtocol,
        List<String> trustedProxies,
        DataSize maxHeaderSize,
        DataSize maxUriLength,
        DataSize maxBodySize,
        Duration idleTimeout,
        Duration headerTimeout,
        Integer redirectToHttps,
        HstsConfig hsts,
        PathConfig path,
        Integer maxConnections,
        Duration sendTimeout) {

    public ListenerConfig {
        host = host == null ? "0.0.0.0" : host;
        http2 = http2 == null ? Boolean.TRUE : http2;
        proxyProtocol = proxyProtocol == null ? Boolean.FALSE : proxyProtocol;
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        maxHeaderSize = maxHeaderSize == null ? DataSize.ofKilobytes(16) : maxHeaderSize;
        maxUriLength = maxUriLength == null ? DataSize.ofKilobytes(8) : maxUriLength;
        maxBodySize = maxBodySize == null ? DataSize.ZERO : maxBodySize;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
        headerTimeout = headerTimeout == null ? Duration.ofSeconds(10) : headerTimeout;
        path = path == null ? PathConfig.DEFAULT : path;
        maxConnections = maxConnections == null ? 20_000 : maxConnections;
        sendTimeout = sendTimeout == null ? Duration.ofSeconds(60) : sendTimeout;
    }

    public boolean isTls() {
        return tls != null;
    }

    /** Whether this listener only answers with redirects to HTTPS. */
    public boolean isRedirect() {
        return redirectToHttps != null;
    }
}
