package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Human-readable description of the certificates in a PEM file, for {@code gatehouse tls inspect FILE}: per
 * certificate its role, subject, issuer, SANs, validity with days left, key type, signature algorithm, serial and
 * SHA-256 fingerprint, plus whether the chain is in order. Blocking file I/O.
 */
public final class CertificateInspector {

    private static final String INDENT = "  ";

    private CertificateInspector() {
    }

    /**
     * Describes every certificate in {@code pem}.
     *
     * @throws TlsMaterialException when the file cannot be read or holds no certificate
     */
    public static String describe(Path pem) {
        requireNonNull(pem, "pem");
        return describe(pem, Pem.certificates(pem, Pem.read(pem)), Clock.systemUTC());
    }

    static String describe(Path file, List<X509Certificate> certificates, Clock clock) {
        Instant now = clock.instant();
        StringBuilder out = new StringBuilder();
        out.append(file).append(": ").append(certificates.size())
                .append(certificates.size() == 1 ? " certificate" : " certificates").append('\n');
        for (int i = 0; i < certificates.size(); i++) {
            X509Certificate certificate = certificates.get(i);
            out.append('\n').append('[').append(i + 1).append("] ").append(role(certificate, i)).append('\n');
            line(out, "subject", X509.name(certificate.getSubjectX500Principal()));
            line(out, "issuer", X509.name(certificate.getIssuerX500Principal()));
            line(out, "SANs", sans(certificate));
            line(out, "valid", certificate.getNotBefore().toInstant() + " .. " + certificate.getNotAfter().toInstant()
                    + " (" + validity(certificate, now) + ")");
            line(out, "key", X509.keyType(certificate.getPublicKey()));
            line(out, "signature", certificate.getSigAlgName());
            line(out, "serial", certificate.getSerialNumber().toString(16));
            line(out, "SHA-256", X509.sha256Fingerprint(certificate));
        }
        if (certificates.size() > 1) {
            out.append('\n').append("chain: ").append(chainOrder(certificates)).append('\n');
        }
        return out.toString();
    }

    private static String role(X509Certificate certificate, int position) {
        boolean ca = certificate.getBasicConstraints() >= 0;
        if (X509.isSelfIssued(certificate)) {
            return ca ? "root CA (self-signed)" : "self-signed certificate";
        }
        if (ca) {
            return "intermediate CA";
        }
        return position == 0 ? "leaf" : "leaf (unexpected here: only the first certificate should be a leaf)";
    }

    private static String sans(X509Certificate certificate) {
        List<String> entries = new ArrayList<>();
        X509.sanDnsNames(certificate).forEach(n -> entries.add("DNS:" + n));
        X509.sanIpAddresses(certificate).forEach(ip -> entries.add("IP:" + ip));
        return entries.isEmpty() ? "(none)" : String.join(", ", entries);
    }

    static String validity(X509Certificate certificate, Instant now) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (now.isBefore(notBefore)) {
            return "NOT YET VALID, starts in " + days(ExpiryMonitor.daysBetween(now, notBefore));
        }
        long left = ExpiryMonitor.daysBetween(now, notAfter);
        if (now.isAfter(notAfter)) {
            return "EXPIRED " + days(-left) + " ago";
        }
        return days(left) + " left";
    }

    private static String days(long days) {
        return days + (days == 1 ? " day" : " days");
    }

    private static String chainOrder(List<X509Certificate> certificates) {
        for (int i = 0; i + 1 < certificates.size(); i++) {
            if (!PemTlsMaterialLoader.issuedBy(certificates.get(i), certificates.get(i + 1))) {
                return "OUT OF ORDER: certificate " + (i + 1) + " is not issued by certificate " + (i + 2);
            }
        }
        return "in order (each certificate is issued by the next)";
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(INDENT).append(String.format("%-10s", label + ":")).append(' ').append(value).append('\n');
    }
}
