package dev.gatehouse.proxy.upstream;

import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.TlsConfig;
import dev.gatehouse.tls.CertificateFiles;
import dev.gatehouse.tls.KeyPassword;
import dev.gatehouse.tls.SniCertificateStore;
import dev.gatehouse.tls.TlsMaterial;
import dev.gatehouse.tls.TlsMaterialException;
import dev.gatehouse.tls.TlsPolicy;
import dev.gatehouse.tls.TrustBundles;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS side of one listener (or the admin listener), loaded from its {@link TlsConfig}: the certificates in an
 * {@link SniCertificateStore} (first = default, SNI picks among the rest), the client-certificate trust, and the
 * Vert.x options that serve them. Every Vert.x server of the listener (one per event loop) gets the same key manager,
 * which reads the store on each handshake, so swapping the store's content changes the certificate for the next
 * handshake on every event loop at once and touches no established connection.
 */
public final class TlsTermination {

    /** How long a client has to complete a handshake before the connection is closed. */
    static final long HANDSHAKE_TIMEOUT_SECONDS = 10;

    public final String name;
    final String path;
    public final TlsConfig config;
    public final List<CertificateFiles> files;
    public final SniCertificateStore store;
    private final KeyCertOptions keyCert;
    private final TrustOptions trust;
    /** The client-certificate trust bundle, reloaded in place when its file changes; {@code null} without one. */
    public final dev.gatehouse.tls.ReloadableTrust trustBundle;

    private TlsTermination(String name, String path, TlsConfig config, List<CertificateFiles> files,
                           SniCertificateStore store, dev.gatehouse.tls.ReloadableTrust trustBundle) {
        this.name = name;
        this.path = path;
        this.config = config;
        this.files = files;
        this.store = store;
        // One instance for every server of the listener: Vert.x builds one SSL context per distinct options object.
        this.keyCert = KeyCertOptions.wrap(SniCertificateStore.keyManagerFactory(store));
        this.trustBundle = trustBundle;
        this.trust = trustBundle == null ? null : TrustOptions.wrap(trustBundle.trustManagerFactory());
    }

    /**
     * Loads and checks every file of {@code tls}: certificates, keys, key passwords and the trust bundle. Blocking
     * file I/O.
     *
     * @param path     the config path of {@code tls}, e.g. {@code listeners[0].tls}, for problems
     * @param problems receives one problem per file that cannot be used, at the path of the key naming that file
     * @return the loaded termination, or {@code null} when anything was wrong
     */
    public static TlsTermination load(String name, String path, TlsConfig tls, List<ConfigProblem> problems) {
        int before = problems.size();
        List<CertificateFiles> files = new ArrayList<>();
        List<TlsMaterial> materials = new ArrayList<>();
        for (int i = 0; i < tls.certificates().size(); i++) {
            TlsConfig.CertificateConfig c = tls.certificates().get(i);
            String entry = path + ".certificates[" + i + "]";
            if (c.cert() == null || c.key() == null) {
                continue; // reported by the validator
            }
            CertificateFiles f = files(c.cert(), c.key(), c.keyPasswordFile(), c.keyPasswordEnv());
            TlsMaterial m = load(f, entry, problems);
            if (m != null) {
                files.add(f);
                materials.add(m);
            }
        }
        dev.gatehouse.tls.ReloadableTrust bundle = null;
        if (tls.clientAuth() != TlsConfig.ClientAuth.NONE && tls.trust() != null) {
            try {
                bundle = dev.gatehouse.tls.ReloadableTrust.load(Path.of(tls.trust()));
            } catch (TlsMaterialException e) {
                problems.add(new ConfigProblem(path + ".trust", e.getMessage()));
            }
        }
        if (problems.size() > before || materials.isEmpty()) {
            return null;
        }
        return new TlsTermination(name, path, tls, List.copyOf(files), SniCertificateStore.of(materials), bundle);
    }

    public static CertificateFiles files(String cert, String key, String passwordFile, String passwordEnv) {
        KeyPassword password = passwordFile != null ? KeyPassword.fromFile(Path.of(passwordFile))
                : passwordEnv != null ? KeyPassword.fromEnv(passwordEnv) : KeyPassword.none();
        return new CertificateFiles(Path.of(cert), Path.of(key), password);
    }

    /**
     * Loads one certificate entry; a problem is reported at the key that names the failing file
     * ({@code .cert}, {@code .key}, {@code .key-password-file}) or {@code .key-password-env} for an unset variable.
     */
    public static TlsMaterial load(CertificateFiles f, String entry, List<ConfigProblem> problems) {
        try {
            return f.load();
        } catch (TlsMaterialException e) {
            problems.add(new ConfigProblem(entry + "." + keyOf(f, e.file()), e.getMessage()));
        } catch (RuntimeException e) {
            problems.add(new ConfigProblem(entry, String.valueOf(e.getMessage())));
        }
        return null;
    }

    private static String keyOf(CertificateFiles f, Optional<Path> file) {
        if (file.isEmpty()) {
            return "key-password-env"; // the only problem not about a file: the variable is not set
        }
        if (file.get().equals(f.cert())) {
            return "cert";
        }
        if (file.get().equals(f.key())) {
            return "key";
        }
        return "key-password-file";
    }

    ClientAuth clientAuth() {
        return switch (config.clientAuth()) {
            case NONE -> ClientAuth.NONE;
            case REQUEST -> ClientAuth.REQUEST;
            case REQUIRE -> ClientAuth.REQUIRED;
        };
    }

    /**
     * Server options of a TLS listener: our SNI key manager (Vert.x's own SNI off, the JDK engine passes the name to
     * the key manager), TLS 1.2/1.3 with {@link TlsPolicy}'s suites, ALPN h2 + http/1.1 (http/1.1 only without
     * {@code http2}), client certificates as configured. Session resumption is the engine's (session cache and
     * tickets); the engine itself ({@code tls-engine}) is set by {@code ServerTls}.
     */
    public void configure(HttpServerOptions options, boolean http2) {
        options.setSsl(true)
                .setKeyCertOptions(keyCert)
                .setSni(false)
                .setUseAlpn(true)
                .setAlpnVersions(http2 ? List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1) : List.of(HttpVersion.HTTP_1_1))
                .setEnabledSecureTransportProtocols(protocols())
                .setClientAuth(clientAuth())
                .setSslHandshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS)
                .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS);
        if (trust != null) {
            options.setTrustOptions(trust);
        }
        for (String suite : TlsPolicy.CIPHER_SUITES) {
            options.addEnabledCipherSuite(suite);
        }
    }

    /** The same, as the {@link ServerSSLOptions} the admin server takes; HTTP/1.1 only. */
    public ServerSSLOptions serverSslOptions() {
        ServerSSLOptions ssl = new ServerSSLOptions()
                .setKeyCertOptions(keyCert)
                .setSni(false)
                .setUseAlpn(false)
                .setEnabledSecureTransportProtocols(protocols())
                .setClientAuth(clientAuth())
                .setSslHandshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS)
                .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS);
        if (trust != null) {
            ssl.setTrustOptions(trust);
        }
        for (String suite : TlsPolicy.CIPHER_SUITES) {
            ssl.addEnabledCipherSuite(suite);
        }
        return ssl;
    }

    private static Set<String> protocols() {
        return new LinkedHashSet<>(TlsPolicy.PROTOCOLS);
    }
}
