package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.TrustManagerFactory;

/**
 * Trusted CA certificates from a PEM bundle: for verifying client certificates ({@code client-auth}) or backends.
 * Blocking file I/O.
 */
public final class TrustBundles {

    private TrustBundles() {
    }

    /**
     * The certificates of a PEM bundle, in file order.
     *
     * @throws TlsMaterialException when the file is missing, empty or holds no certificate, e.g.
     *                              {@code certs/ca.pem: not a PEM certificate (found "PRIVATE KEY")}
     */
    public static List<X509Certificate> load(Path pem) {
        requireNonNull(pem, "pem");
        return List.copyOf(Pem.certificates(pem, Pem.read(pem)));
    }

    /**
     * A trust manager factory (the JDK's default algorithm, PKIX) that trusts exactly the certificates of
     * {@code pem}, already initialised.
     *
     * @throws TlsMaterialException as {@link #load(Path)}
     */
    public static TrustManagerFactory trustManagerFactory(Path pem) {
        return trustManagerFactory(load(pem));
    }

    static TrustManagerFactory trustManagerFactory(List<X509Certificate> certificates) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < certificates.size(); i++) {
                store.setCertificateEntry("trusted-" + i, certificates.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust manager from " + certificates.size()
                    + " certificates", e);
        }
    }
}
