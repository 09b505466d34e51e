package dev.gatehouse.tls;

import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * A client-certificate trust bundle that can be replaced while the server runs: the trust manager handed to the TLS
 * engine delegates to the current bundle, so new handshakes use a reloaded file and open connections are untouched.
 * {@link #reloadIfChanged()} is meant for a periodic check; a broken file leaves the current bundle in place.
 */
public final class ReloadableTrust {

    private static final Provider PROVIDER = new Provider("Gatehouse", "1.0", "Gatehouse reloadable trust") {
        private static final long serialVersionUID = 1L;
    };

    private final Path file;
    private volatile X509ExtendedTrustManager current;
    private volatile byte[] digest;
    /** The content last refused, so a broken file is reported once, not at every check. */
    private volatile byte[] refused;

    private ReloadableTrust(Path file, X509ExtendedTrustManager trust, byte[] digest) {
        this.file = file;
        this.current = trust;
        this.digest = digest;
    }

    /** Loads {@code pem}; throws {@link TlsMaterialException} naming the file when it holds no usable CA. */
    public static ReloadableTrust load(Path pem) {
        return new ReloadableTrust(pem, trustManager(pem), digestOf(pem));
    }

    public Path file() {
        return file;
    }

    /**
     * Reloads the bundle when the file's content changed.
     *
     * @return true when a new bundle is in use
     * @throws TlsMaterialException when the changed file cannot be used (the current bundle stays)
     */
    public boolean reloadIfChanged() {
        byte[] now = digestOf(file);
        if (Arrays.equals(now, digest) || Arrays.equals(now, refused)) {
            return false;
        }
        X509ExtendedTrustManager next;
        try {
            next = trustManager(file);
        } catch (RuntimeException e) {
            refused = now;
            throw e;
        }
        current = next;
        digest = now;
        return true;
    }

    /** A factory whose one trust manager follows reloads; what the server's TLS options take. */
    public TrustManagerFactory trustManagerFactory() {
        TrustManager delegating = new Delegating();
        return new TrustManagerFactory(new TrustManagerFactorySpi() {
            @Override
            protected void engineInit(KeyStore ks) {
                // The bundle file is the source of trust.
            }

            @Override
            protected void engineInit(ManagerFactoryParameters spec) {
                // The bundle file is the source of trust.
            }

            @Override
            protected TrustManager[] engineGetTrustManagers() {
                return new TrustManager[] {delegating};
            }
        }, PROVIDER, "GatehouseReloadableTrust") {
        };
    }

    private static X509ExtendedTrustManager trustManager(Path pem) {
        TrustManagerFactory f = TrustBundles.trustManagerFactory(pem);
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new TlsMaterialException(pem, "no X.509 trust manager for this bundle");
    }

    private static byte[] digestOf(Path pem) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(pem));
        } catch (java.io.IOException e) {
            throw new TlsMaterialException(pem, "cannot read: " + e.getMessage());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final class Delegating extends X509ExtendedTrustManager implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            current.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            current.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            current.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            current.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return current.getAcceptedIssuers();
        }
    }
}
