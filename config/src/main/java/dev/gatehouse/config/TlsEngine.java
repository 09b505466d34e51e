package dev.gatehouse.config;

/**
 * The TLS implementation of a node's listeners ({@code tls-engine}), one per process as in nginx or HAProxy, where the
 * TLS library is a property of the build rather than of a listener.
 */
public enum TlsEngine {
    /** OpenSSL (BoringSSL, through Netty's netty-tcnative) when its native library loads here, else the JDK's. */
    AUTO,
    /** OpenSSL (BoringSSL); a node whose native library does not load refuses to start. */
    OPENSSL,
    /** The JDK's own TLS (JSSE). */
    JDK
}
