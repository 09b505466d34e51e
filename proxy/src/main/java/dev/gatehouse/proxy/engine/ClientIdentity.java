package dev.gatehouse.proxy.engine;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * The client certificate identity forwarded to backends: {@code X-Client-Cert-Subject} (the subject DN, RFC 4514,
 * e.g. {@code CN=alice,O=Acme}) and {@code X-Client-Cert-Fingerprint} (lower-case hex SHA-256 of the certificate's
 * DER encoding).
 *
 * <p>These headers are always removed from what a client sent, on every listener, so a backend can trust them: they
 * are set only from the peer certificate of the TLS session, which JSSE has verified against the listener's
 * {@code trust} bundle during the handshake (an untrusted certificate fails the handshake, with {@code request} as
 * with {@code require}). Computed once per TLS session and kept in it. Runs on the request's event loop.
 */
final class ClientIdentity {

    static final CharSequence SUBJECT = HttpHeaders.createOptimized("x-client-cert-subject");
    static final CharSequence FINGERPRINT = HttpHeaders.createOptimized("x-client-cert-fingerprint");

    private static final String SESSION_KEY = "dev.gatehouse.client-identity";
    private static final Identity NONE = new Identity(null, null);

    private ClientIdentity() {
    }

    /** The verified identity of one TLS session; {@link #NONE} when the client sent no certificate. */
    record Identity(String subject, String fingerprint) {
    }

    /**
     * Removes identity headers the client sent from the upstream headers {@code out}, then adds the verified peer's
     * when the request came over TLS with a client certificate.
     */
    static void apply(SSLSession session, MultiMap out) {
        out.remove(SUBJECT);
        out.remove(FINGERPRINT);
        Identity identity = session == null ? NONE : of(session);
        if (identity != NONE) {
            out.set(SUBJECT, identity.subject());
            out.set(FINGERPRINT, identity.fingerprint());
        }
    }

    static Identity of(SSLSession session) {
        Object cached = session.getValue(SESSION_KEY);
        if (cached instanceof Identity identity) {
            return identity;
        }
        Identity identity = compute(session);
        session.putValue(SESSION_KEY, identity);
        return identity;
    }

    private static Identity compute(SSLSession session) {
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return NONE;
        }
        if (peer == null || peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
            return NONE;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded());
            return new Identity(headerSafe(leaf.getSubjectX500Principal().getName(X500Principal.RFC2253)),
                    HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            // A certificate JSSE accepted can always be encoded; never forward a half identity.
            return NONE;
        }
    }

    /**
     * Escapes what cannot stand in a header value as RFC 4514 does: each UTF-8 byte of a control or non-ASCII
     * character becomes {@code \XX}, so a subject can never inject a line break.
     */
    static String headerSafe(String dn) {
        StringBuilder out = null;
        for (int i = 0; i < dn.length(); i++) {
            char c = dn.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(dn.length() + 16).append(dn, 0, i);
            }
            int cp = dn.codePointAt(i);
            if (Character.charCount(cp) == 2) {
                i++;
            }
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                out.append('\\').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out == null ? dn : out.toString();
    }
}
