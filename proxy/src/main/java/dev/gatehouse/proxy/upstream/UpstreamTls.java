package dev.gatehouse.proxy.upstream;


import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.UpstreamTlsConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.tls.CertificateFiles;
import dev.gatehouse.tls.TlsMaterial;
import dev.gatehouse.tls.TlsMaterialException;
import dev.gatehouse.tls.TlsPolicy;
import dev.gatehouse.tls.TrustBundles;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Function;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS towards {@code https://} backends, from a pool's {@code tls} section: the backend certificate is verified
 * against the JVM's trusted CAs or the configured {@code ca} bundle, the host name is checked (the backend's host, or
 * {@code server-name}, which is also sent as SNI), TLS 1.2/1.3 only, and an optional client certificate is shown.
 *
 * <p>Files are read by Vert.x on a worker thread when the pool's first TLS connection is opened (never on an event
 * loop); {@link #problems} reads them up front so a node refuses to start with a bad file. A file that cannot be read
 * later (a pool added through the admin API) fails that pool's TLS connections, which answer 502, with one WARN line;
 * it never falls back to an unverified connection.
 */
public final class UpstreamTls {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTls.class);

    private UpstreamTls() {
    }

    /** Every problem with the files of the pools' {@code tls} sections, at {@code pools[i].tls.<key>}. */
    public static List<ConfigProblem> problems(List<PoolConfig> pools) {
        List<ConfigProblem> problems = new ArrayList<>();
        for (int i = 0; i < pools.size(); i++) {
            UpstreamTlsConfig t = pools.get(i).tls();
            String path = "pools[" + i + "].tls";
            if (t == null) {
                continue;
            }
            if (t.ca() != null) {
                try {
                    TrustBundles.load(Path.of(t.ca()));
                } catch (TlsMaterialException e) {
                    problems.add(new ConfigProblem(path + ".ca", e.getMessage()));
                }
            }
            if (t.cert() != null && t.key() != null) {
                TlsTermination.load(clientFiles(t), path, problems);
            }
        }
        return problems;
    }

    /** The client certificate files of a {@code tls} section (cert and key set). */
    static CertificateFiles clientFiles(UpstreamTlsConfig t) {
        return TlsTermination.files(t.cert(), t.key(), t.keyPasswordFile(), t.keyPasswordEnv());
    }

    /** Puts the pool's TLS settings on the options of its upstream client (used for its https:// backends). */
    public static void configure(PoolConfig pool, HttpClientOptions options) {
        UpstreamTlsConfig t = pool.tls();
        options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(TlsPolicy.PROTOCOLS));
        if (t == null) {
            options.setVerifyHost(true).setTrustAll(false);
            return;
        }
        if (!t.verify()) {
            LOG.warn("pool {}: tls.verify is false, backend certificates are NOT verified", pool.name());
            options.setVerifyHost(false).setTrustAll(true);
        } else {
            options.setVerifyHost(true).setTrustAll(false);
            if (t.ca() != null) {
                options.setTrustOptions(new CaBundle(pool.name(), Path.of(t.ca())));
            }
        }
        if (t.cert() != null && t.key() != null) {
            options.setKeyCertOptions(new ClientCertificate(pool.name(), clientFiles(t)));
        }
    }

    /**
     * Addresses {@code options} to backend {@code b}: its host and port, TLS for https, and for a pool with
     * {@code tls.server-name} the connection goes to the backend's address while SNI and the host name check use the
     * configured name.
     */
    public static RequestOptions target(PoolConfig pool, Backend b, RequestOptions options) {
        options.setHost(b.host()).setPort(b.port()).setSsl(b.tls());
        String serverName = pool.tls() == null ? null : pool.tls().serverName();
        if (b.tls() && serverName != null) {
            options.setServer(SocketAddress.inetSocketAddress(b.port(), b.host())).setHost(serverName);
        }
        return options;
    }

    /** Logs a loading failure once per distinct message, so a broken file does not log on every request. */
    private abstract static class Lazy<T> {
        final String pool;
        private volatile T value;
        private volatile String lastFailure;

        Lazy(String pool) {
            this.pool = pool;
        }

        abstract T build();

        T get() {
            T v = value;
            if (v != null) {
                return v;
            }
            try {
                v = build();
                value = v;
                return v;
            } catch (RuntimeException e) {
                String message = String.valueOf(e.getMessage());
                if (!message.equals(lastFailure)) {
                    lastFailure = message;
                    LOG.warn("pool {}: TLS to its backends is not possible, requests get 502: {}", pool, message);
                }
                throw e;
            }
        }
    }

    /** Trust exactly the CAs of a PEM bundle, read on Vert.x's worker thread at the first TLS connection. */
    private static final class CaBundle extends Lazy<TrustManagerFactory> implements TrustOptions {
        private final Path file;

        CaBundle(String pool, Path file) {
            super(pool);
            this.file = file;
        }

        @Override
        TrustManagerFactory build() {
            return TrustBundles.trustManagerFactory(file);
        }

        @Override
        public TrustOptions copy() {
            return this; // immutable; identity keeps Vert.x's SSL context cache effective
        }

        @Override
        public TrustManagerFactory getTrustManagerFactory(Vertx vertx) {
            return get();
        }

        @Override
        public Function<String, javax.net.ssl.TrustManager[]> trustManagerMapper(Vertx vertx) {
            TrustManagerFactory factory = get();
            return serverName -> factory.getTrustManagers();
        }
    }

    /** The client certificate shown to backends that ask for one. */
    private static final class ClientCertificate extends Lazy<KeyManagerFactory> implements KeyCertOptions {
        private final CertificateFiles files;

        ClientCertificate(String pool, CertificateFiles files) {
            super(pool);
            this.files = files;
        }

        @Override
        KeyManagerFactory build() {
            TlsMaterial material = files.load();
            char[] password = new char[0];
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", material.key(), password,
                        material.chain().toArray(new X509Certificate[0]));
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, password);
                return factory;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(files.cert() + ": cannot use the client certificate (" + e + ")", e);
            }
        }

        @Override
        public KeyCertOptions copy() {
            return this;
        }

        @Override
        public KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
            return get();
        }

        @Override
        public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
            KeyManagerFactory factory = get();
            return serverName -> factory;
        }
    }
}
