package dev.gatehouse.tls;

import java.util.ArrayList;
import java.util.List;

/**
 * The protocols and cipher suites Gatehouse listeners enable, in JSSE (IANA) names, for the proxy to hand to
 * Vert.x. TLS 1.3 and 1.2 only; for TLS 1.2 only ECDHE key exchange (forward secrecy) with AEAD ciphers
 * (AES-GCM, ChaCha20-Poly1305), ECDSA before RSA and AES-128 before AES-256, as Mozilla's "intermediate"
 * profile orders them. All are supported by the JDK 17+ default provider.
 */
public final class TlsPolicy {

    /** Enabled protocol versions, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** The TLS 1.3 suites (all AEAD, key exchange is always ephemeral in 1.3). */
    public static final List<String> TLS13_CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    /** The TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305. */
    public static final List<String> TLS12_CIPHER_SUITES = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** Every enabled suite: TLS 1.3 first, then TLS 1.2. */
    public static final List<String> CIPHER_SUITES = concat(TLS13_CIPHER_SUITES, TLS12_CIPHER_SUITES);

    private TlsPolicy() {
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }
}
