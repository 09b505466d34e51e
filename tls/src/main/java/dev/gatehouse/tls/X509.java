package dev.gatehouse.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTNamedCurves;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;

/** Read-only helpers over JDK certificates and keys: names, key descriptions, fingerprints. */
final class X509 {

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private X509() {
    }

    static List<String> sanDnsNames(X509Certificate certificate) {
        return sanEntries(certificate, SAN_DNS);
    }

    static List<String> sanIpAddresses(X509Certificate certificate) {
        return sanEntries(certificate, SAN_IP);
    }

    private static List<String> sanEntries(X509Certificate certificate, int type) {
        Collection<List<?>> entries;
        try {
            entries = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return List.of();
        }
        if (entries == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (List<?> entry : entries) {
            if (entry.size() >= 2 && entry.get(0) instanceof Integer && (Integer) entry.get(0) == type
                    && entry.get(1) instanceof String) {
                names.add((String) entry.get(1));
            }
        }
        return List.copyOf(names);
    }

    /** The first CN of the subject, or {@code null}. */
    static String commonName(X500Principal principal) {
        RDN[] cns = X500Name.getInstance(principal.getEncoded()).getRDNs(BCStyle.CN);
        if (cns.length == 0 || cns[0].getFirst() == null) {
            return null;
        }
        return IETFUtils.valueToString(cns[0].getFirst().getValue());
    }

    static String name(X500Principal principal) {
        return principal.getName(X500Principal.RFC2253);
    }

    /** "RSA 2048", "EC P-256", "Ed25519"... */
    static String keyType(PublicKey key) {
        if (key instanceof RSAKey) {
            return key.getAlgorithm() + " " + ((RSAKey) key).getModulus().bitLength();
        }
        if ("EC".equals(key.getAlgorithm())) {
            return "EC " + curveName(key);
        }
        if ("EdDSA".equals(key.getAlgorithm()) || "XDH".equals(key.getAlgorithm())) {
            return SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm().getAlgorithm()
                    .equals(org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed448) ? "Ed448" : "Ed25519";
        }
        return key.getAlgorithm();
    }

    private static String curveName(PublicKey key) {
        try {
            Object parameters = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm().getParameters();
            if (parameters instanceof ASN1ObjectIdentifier) {
                ASN1ObjectIdentifier oid = (ASN1ObjectIdentifier) parameters;
                String name = NISTNamedCurves.getName(oid);
                if (name == null) {
                    name = ECNamedCurveTable.getName(oid);
                }
                return name != null ? name : oid.getId();
            }
        } catch (RuntimeException e) {
            // fall through: unusual encodings are described by size only
        }
        if (key instanceof java.security.interfaces.ECKey) {
            return ((java.security.interfaces.ECKey) key).getParams().getCurve().getField().getFieldSize() + "-bit";
        }
        return "curve";
    }

    static String sha256Fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    /** Lower case without a trailing dot, the form names are compared in. */
    static String normalizeHost(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    static boolean isSelfIssued(X509Certificate certificate) {
        return certificate.getIssuerX500Principal().equals(certificate.getSubjectX500Principal());
    }
}
