package dev.gatehouse.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Server key manager over a {@link SniCertificateStore}. Aliases are {@code gatehouse-<generation>-<position>} so
 * the key and chain looked up after {@code choose*ServerAlias} come from the same certificate set even if the store
 * was swapped in between.
 */
final class SniKeyManager extends X509ExtendedKeyManager {

    private static final String PREFIX = "gatehouse-";

    private final SniCertificateStore store;

    SniKeyManager(SniCertificateStore store) {
        this.store = store;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession session = socket instanceof SSLSocket ? ((SSLSocket) socket).getHandshakeSession() : null;
        return choose(keyType, session);
    }

    private String choose(String keyType, SSLSession handshakeSession) {
        SniCertificateStore.Index index = store.index();
        String host = requestedHostName(handshakeSession);
        String algorithm = keyAlgorithm(keyType);
        int position = index.select(host, algorithm);
        if (position > 0 && !index.names(host) && !SniCertificateStore.Index.fits(index.materials.get(0), algorithm)
                && peerVerifies(handshakeSession, index.materials.get(0))) {
            // An unknown name gets the default (first) certificate. Engines ask once per key type in their own order
            // (OpenSSL: RSA before EC, whatever the client prefers): decline the other type while the client can
            // take the default's, so the engine asks again for it.
            return null;
        }
        return position < 0 ? null : alias(index.generation, position);
    }

    /**
     * Whether the client's signature algorithms (from its hello) include one for {@code material}'s key; false when
     * the engine does not say.
     */
    static boolean peerVerifies(SSLSession handshakeSession, TlsMaterial material) {
        if (!(handshakeSession instanceof ExtendedSSLSession)) {
            return false;
        }
        String[] algorithms;
        try {
            algorithms = ((ExtendedSSLSession) handshakeSession).getPeerSupportedSignatureAlgorithms();
        } catch (UnsupportedOperationException e) {
            return false;
        }
        if (algorithms == null) {
            return false;
        }
        // JSSE names schemes (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, ed25519), Netty's OpenSSL engine Java
        // algorithms (SHA256withECDSA, SHA256withRSA, Ed25519).
        String key = material.leaf().getPublicKey().getAlgorithm().toUpperCase(Locale.ROOT);
        for (String a : algorithms) {
            String upper = a.toUpperCase(Locale.ROOT);
            boolean match = switch (key) {
                case "EC" -> upper.contains("ECDSA");
                case "RSA" -> upper.contains("RSA") && !upper.startsWith("RSA_PSS_PSS") && !upper.contains("RSASSA-PSS");
                case "EDDSA", "ED25519", "ED448" -> upper.startsWith("ED");
                default -> false;
            };
            if (match) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        SniCertificateStore.Index index = store.index();
        String algorithm = keyAlgorithm(keyType);
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < index.materials.size(); i++) {
            if (SniCertificateStore.Index.fits(index.materials.get(i), algorithm)) {
                aliases.add(alias(index.generation, i));
            }
        }
        return aliases.isEmpty() ? null : aliases.toArray(new String[0]);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        TlsMaterial material = resolve(alias);
        return material == null ? null : material.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        TlsMaterial material = resolve(alias);
        return material == null ? null : material.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    /** The SNI host name of the handshake, or {@code null} when the client sent none. */
    static String requestedHostName(SSLSession session) {
        if (!(session instanceof ExtendedSSLSession)) {
            return null;
        }
        List<SNIServerName> names;
        try {
            names = ((ExtendedSSLSession) session).getRequestedServerNames();
        } catch (UnsupportedOperationException e) {
            return null;
        }
        for (SNIServerName name : names) {
            if (name.getType() != StandardConstants.SNI_HOST_NAME) {
                continue;
            }
            try {
                return name instanceof SNIHostName ? ((SNIHostName) name).getAsciiName()
                        : new SNIHostName(name.getEncoded()).getAsciiName();
            } catch (IllegalArgumentException e) {
                return null; // a malformed name gets the default certificate
            }
        }
        return null;
    }

    // JSSE asks for "RSA", "EC", "RSASSA-PSS", "EdDSA", and for legacy suites "EC_EC"/"EC_RSA" (key, then signer).
    private static String keyAlgorithm(String keyType) {
        if (keyType == null) {
            return null;
        }
        int underscore = keyType.indexOf('_');
        return underscore > 0 ? keyType.substring(0, underscore) : keyType;
    }

    private static String alias(long generation, int position) {
        return PREFIX + generation + "-" + position;
    }

    private TlsMaterial resolve(String alias) {
        if (alias == null || !alias.startsWith(PREFIX)) {
            return null;
        }
        int dash = alias.indexOf('-', PREFIX.length());
        if (dash < 0) {
            return null;
        }
        try {
            long generation = Long.parseLong(alias.substring(PREFIX.length(), dash));
            int position = Integer.parseInt(alias.substring(dash + 1));
            SniCertificateStore.Index index = store.index(generation);
            return index == null || position < 0 || position >= index.materials.size() ? null
                    : index.materials.get(position);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
