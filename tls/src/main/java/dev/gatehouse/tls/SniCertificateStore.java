package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The certificates of one listener, chosen per handshake by the SNI name the client sent.
 *
 * <p>Selection: a certificate with the exact name (SAN DNS, or CN without SANs) wins over a wildcard
 * ({@code *.example.com}), which wins over the default, the first certificate given. Within each step the
 * configured order decides. For handshakes the key manager also filters by the key algorithm JSSE asks for, so an
 * RSA and an EC certificate for the same name can be served side by side.
 *
 * <p>Hot reload: {@link #update(List)} swaps the whole set atomically. Handshakes that start afterwards see the new
 * certificates; established connections are untouched. Thread-safe; selection never blocks.
 */
public final class SniCertificateStore {

    private static final AtomicLong GENERATIONS = new AtomicLong();

    private final AtomicReference<Index> current;
    // A handshake may choose an alias just before a swap and fetch its key just after; keep the last set resolvable.
    private volatile Index previous;

    private SniCertificateStore(List<TlsMaterial> materials) {
        this.current = new AtomicReference<>(Index.of(materials));
    }

    /**
     * A store serving {@code materials}.
     *
     * @param materials at least one; the first is the default for clients without SNI or with an unknown name
     */
    public static SniCertificateStore of(List<TlsMaterial> materials) {
        return new SniCertificateStore(materials);
    }

    /**
     * Replaces all certificates; the first of {@code materials} becomes the default. New handshakes use them at once.
     * Called from a reload thread; safe to call while handshakes run.
     */
    public synchronized void update(List<TlsMaterial> materials) {
        Index next = Index.of(materials);
        previous = current.getAndSet(next);
    }

    /** The certificates currently served, the default first. */
    public List<TlsMaterial> materials() {
        return current.get().materials;
    }

    /**
     * The certificate for a client that sent {@code sniHostOrNull}: exact name, else wildcard, else the default.
     *
     * @param sniHostOrNull the SNI host name, or {@code null} when the client sent none
     * @return never {@code null}
     */
    public TlsMaterial select(String sniHostOrNull) {
        Index index = current.get();
        return index.materials.get(index.select(sniHostOrNull, null));
    }

    /**
     * A JSSE key manager that picks the certificate by the SNI name in the handshake session
     * ({@code ExtendedSSLSession.getRequestedServerNames()}), for an {@code SSLEngine} or an {@code SSLSocket}. It
     * follows {@code store}, so {@link #update(List)} takes effect for the next handshake. Server side only: it
     * offers no client certificates.
     */
    public static X509ExtendedKeyManager keyManager(SniCertificateStore store) {
        return new SniKeyManager(requireNonNull(store, "store"));
    }

    /**
     * A {@link KeyManagerFactory} whose only key manager is {@link #keyManager(SniCertificateStore)}; for APIs that
     * take a factory (Vert.x {@code KeyCertOptions.wrap(KeyManagerFactory)}). It is ready to use; {@code init} is
     * accepted and ignored.
     */
    public static KeyManagerFactory keyManagerFactory(SniCertificateStore store) {
        return SniKeyManagerFactory.create(keyManager(store));
    }

    Index index() {
        return current.get();
    }

    /** The set an alias was handed out from, if it is still current or the one just replaced. */
    Index index(long generation) {
        Index now = current.get();
        if (now.generation == generation) {
            return now;
        }
        Index before = previous;
        return before != null && before.generation == generation ? before : null;
    }

    /** An immutable view of one certificate set, with names indexed for selection. */
    static final class Index {

        final long generation;
        final List<TlsMaterial> materials;
        private final Map<String, List<Integer>> exact;
        private final Map<String, List<Integer>> wildcard; // keyed by the suffix after "*."

        private Index(long generation, List<TlsMaterial> materials, Map<String, List<Integer>> exact,
                      Map<String, List<Integer>> wildcard) {
            this.generation = generation;
            this.materials = materials;
            this.exact = exact;
            this.wildcard = wildcard;
        }

        static Index of(List<TlsMaterial> materials) {
            requireNonNull(materials, "materials");
            if (materials.isEmpty()) {
                throw new IllegalArgumentException("materials: empty (expected: at least one certificate)");
            }
            List<TlsMaterial> copy = List.copyOf(materials);
            Map<String, List<Integer>> exact = new HashMap<>();
            Map<String, List<Integer>> wildcard = new HashMap<>();
            for (int i = 0; i < copy.size(); i++) {
                for (String name : copy.get(i).dnsNames()) {
                    String normalized = X509.normalizeHost(name);
                    if (normalized.startsWith("*.")) {
                        wildcard.computeIfAbsent(normalized.substring(2), k -> new ArrayList<>()).add(i);
                    } else {
                        exact.computeIfAbsent(normalized, k -> new ArrayList<>()).add(i);
                    }
                }
            }
            return new Index(GENERATIONS.incrementAndGet(), copy, exact, wildcard);
        }

        /**
         * The position of the certificate to serve, or -1 when none fits {@code keyAlgorithm}.
         *
         * @param keyAlgorithm the key algorithm JSSE asks for ("RSA", "EC"...), or {@code null} for any
         */
        int select(String host, String keyAlgorithm) {
            if (host != null && !host.isBlank()) {
                String name = X509.normalizeHost(host);
                List<Integer> candidates = exact.get(name);
                if (candidates == null) {
                    int dot = name.indexOf('.');
                    candidates = dot > 0 ? wildcard.get(name.substring(dot + 1)) : null;
                }
                if (candidates != null) {
                    // The name is ours: never fall back to another name's certificate just for the key type,
                    // JSSE will ask again for the algorithm this name has.
                    return firstOfAlgorithm(candidates, keyAlgorithm);
                }
            }
            for (int i = 0; i < materials.size(); i++) {
                if (fits(materials.get(i), keyAlgorithm)) {
                    return i;
                }
            }
            return -1;
        }

        /** Whether {@code host} is one of the names of this set's certificates (wildcards included). */
        boolean names(String host) {
            if (host == null || host.isBlank()) {
                return false;
            }
            String name = X509.normalizeHost(host);
            if (exact.containsKey(name)) {
                return true;
            }
            int dot = name.indexOf('.');
            return dot > 0 && wildcard.containsKey(name.substring(dot + 1));
        }

        private int firstOfAlgorithm(List<Integer> candidates, String keyAlgorithm) {
            for (int i : candidates) {
                if (fits(materials.get(i), keyAlgorithm)) {
                    return i;
                }
            }
            return -1;
        }

        static boolean fits(TlsMaterial material, String keyAlgorithm) {
            if (keyAlgorithm == null) {
                return true;
            }
            String algorithm = material.leaf().getPublicKey().getAlgorithm();
            return algorithm.equalsIgnoreCase(keyAlgorithm)
                    || ("EdDSA".equalsIgnoreCase(algorithm) && keyAlgorithm.toUpperCase(Locale.ROOT).startsWith("ED"));
        }
    }
}
