package dev.gatehouse.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

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
        int position = index.select(requestedHostName(handshakeSession), keyAlgorithm(keyType));
        return position < 0 ? null : alias(index.generation, position);
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
