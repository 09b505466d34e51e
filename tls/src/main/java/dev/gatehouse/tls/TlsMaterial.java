package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A private key with its certificate chain, leaf first, as a listener serves it. Instances made by
 * {@link PemTlsMaterialLoader} have been checked (key matches the leaf, chain in order, leaf currently valid);
 * the record itself only checks that the chain is not empty. Immutable and safe to share across threads.
 *
 * @param key   the private key of the leaf certificate
 * @param chain the leaf certificate first, then each issuer in order; never empty
 */
public record TlsMaterial(PrivateKey key, List<X509Certificate> chain) {

    /** Copies the chain; rejects an empty one. */
    public TlsMaterial {
        requireNonNull(key, "key");
        requireNonNull(chain, "chain");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the leaf certificate first)");
        }
        chain = List.copyOf(chain);
    }

    /** The certificate this key belongs to: the first of the chain. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** When the leaf certificate expires. */
    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /**
     * The DNS names the leaf is valid for: its subject alternative DNS names, or its subject CN when it has no DNS
     * names (old certificates). Wildcards are kept as written, e.g. {@code *.example.com}.
     */
    public List<String> dnsNames() {
        List<String> names = X509.sanDnsNames(leaf());
        if (!names.isEmpty()) {
            return names;
        }
        String cn = X509.commonName(leaf().getSubjectX500Principal());
        return cn == null ? List.of() : List.of(cn);
    }

    /**
     * Whether the leaf is valid for {@code serverName}: an exact name (case-insensitive, a trailing dot ignored) or a
     * wildcard {@code *.example.com} that covers exactly one label ({@code a.example.com}, not
     * {@code a.b.example.com} nor {@code example.com}). {@code null} matches nothing.
     */
    public boolean matches(String serverName) {
        if (serverName == null || serverName.isBlank()) {
            return false;
        }
        String host = X509.normalizeHost(serverName);
        for (String name : dnsNames()) {
            if (nameMatches(X509.normalizeHost(name), host)) {
                return true;
            }
        }
        return false;
    }

    static boolean nameMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot + 1).equals(pattern.substring(2));
        }
        return pattern.equals(host);
    }

    /** The leaf's key as people name it: {@code "RSA 2048"}, {@code "EC P-256"}, {@code "Ed25519"}. */
    public String keyType() {
        return X509.keyType(leaf().getPublicKey());
    }

    /** Subject, names, expiry and key type; never the key. */
    @Override
    public String toString() {
        return "TlsMaterial[subject=" + X509.name(leaf().getSubjectX500Principal()) + ", names=" + dnsNames()
                + ", notAfter=" + notAfter() + ", key=" + keyType() + ", chain=" + chain.size() + "]";
    }
}
