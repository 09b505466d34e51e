package dev.gatehouse.proxy.listener;

import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.TlsEngine;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS engine of the node's listeners, from {@code tls-engine}: OpenSSL (BoringSSL through netty-tcnative, the
 * library nginx-class proxies use; faster handshakes and record encryption than the JDK's) or JSSE.
 *
 * <p>Under OpenSSL the listener's SNI key manager (which reads the certificate store on every handshake, so reloads
 * need no restart) is wrapped in Netty's {@link OpenSslCachingX509KeyManagerFactory}: the native form of a certificate
 * and key is built once per alias instead of on every handshake. Aliases carry the store's generation, so a reloaded
 * certificate gets a new alias and is converted afresh; Netty stops caching new aliases after 1024 (a thousand
 * reloads), which only costs speed. Session tickets are turned on with BoringSSL's own rotating keys (Netty leaves
 * TLS 1.2 tickets off by default); the session cache stays on.
 *
 * <p>Under both engines, the servers of one listener share one server context (see {@link SharedContexts}): each
 * event loop accepts on a socket of its own, and a session resumes only on the context that issued it.
 */
public final class ServerTlsEngine {

    /**
     * Which engine a listener uses (value 1), as {@code gatehouse_tls_engine_info{listener, engine}} with engine
     * {@code openssl} or {@code jdk}.
     */
    public static final String INFO_GAUGE = "gatehouse.tls.engine.info";

    private ServerTlsEngine() {
    }

    /** Whether netty-tcnative's native library loads on this machine. */
    public static boolean openSslAvailable() {
        return OpenSsl.isAvailable();
    }

    /** The problems of {@code tls-engine}: {@code openssl} when the native library does not load. */
    public static List<ConfigProblem> problems(TlsEngine requested) {
        return problems(requested, openSslAvailable(), OpenSsl.unavailabilityCause());
    }

    static List<ConfigProblem> problems(TlsEngine requested, boolean available, Throwable cause) {
        if (requested != TlsEngine.OPENSSL || available) {
            return List.of();
        }
        return List.of(new ConfigProblem("tls-engine", "openssl: the OpenSSL engine is not available on this machine ("
                + reason(cause) + "); use auto (OpenSSL where available, else the JDK's engine) or jdk"));
    }

    private static String reason(Throwable cause) {
        if (cause == null) {
            return "netty-tcnative did not load";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return "netty-tcnative-boringssl-static for " + System.getProperty("os.name") + "/"
                + System.getProperty("os.arch") + " did not load: " + root;
    }

    /**
     * The engine {@code requested} stands for here: {@code auto} is OpenSSL when available, else JDK.
     *
     * @throws IllegalStateException for {@code openssl} when it is not available (see {@link #problems})
     */
    public static TlsEngine resolve(TlsEngine requested) {
        return resolve(requested, openSslAvailable());
    }

    static TlsEngine resolve(TlsEngine requested, boolean available) {
        return switch (requested) {
            case JDK -> TlsEngine.JDK;
            case AUTO -> available ? TlsEngine.OPENSSL : TlsEngine.JDK;
            case OPENSSL -> {
                if (!available) {
                    throw new IllegalStateException(problems(requested, false, OpenSsl.unavailabilityCause()).get(0)
                            .toString());
                }
                yield TlsEngine.OPENSSL;
            }
        };
    }

    /** The tag value and log name of a resolved engine: {@code openssl} or {@code jdk}. */
    public static String label(TlsEngine resolved) {
        return resolved == TlsEngine.OPENSSL ? "openssl" : "jdk";
    }

    /** For log lines: {@code openssl (BoringSSL)} or {@code jdk (JSSE)}. */
    static String describe(TlsEngine resolved) {
        return resolved == TlsEngine.OPENSSL ? "openssl (" + OpenSsl.versionString() + ")" : "jdk (JSSE)";
    }

    /** The Vert.x engine options of a resolved engine, for a server's options. */
    static SSLEngineOptions options(TlsEngine resolved) {
        return resolved == TlsEngine.OPENSSL ? new OpenSsl4Listeners() : new Jdk4Listeners();
    }

    /** Vert.x's JDK options, with contexts shared as described on the class. */
    static final class Jdk4Listeners extends JdkSSLEngineOptions {

        Jdk4Listeners() {
        }

        Jdk4Listeners(Jdk4Listeners other) {
            super(other);
        }

        @Override
        public Jdk4Listeners copy() {
            return new Jdk4Listeners(this);
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new SharedContexts(super.sslContextFactory(), false);
        }
    }

    /** Vert.x's OpenSSL options, with the context post-processing described on the class. */
    static final class OpenSsl4Listeners extends OpenSSLEngineOptions {

        OpenSsl4Listeners() {
            setSessionCacheEnabled(true);
        }

        OpenSsl4Listeners(OpenSsl4Listeners other) {
            super(other);
        }

        @Override
        public OpenSsl4Listeners copy() {
            return new OpenSsl4Listeners(this); // Vert.x copies server options; the copy must stay ours
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new SharedContexts(super.sslContextFactory(), true);
        }
    }

    /**
     * Hands out one server context per set of inputs (key manager and trust managers by identity, client auth, ALPN,
     * cipher suites, server name). Each event loop's listening socket has its own Vert.x server, which asks for its
     * own context; without sharing, a session issued on one loop (its ticket keys, its session cache) could not
     * resume on another, and half of all resumptions would fall back to full handshakes. A changed listener brings
     * new key and trust managers, so it gets a new context. Client contexts are not shared. Under OpenSSL it also
     * caches native key material and turns session tickets on (see the class).
     */
    static final class SharedContexts implements SslContextFactory {

        private static final int MAX = 256;
        /** Least recently used first; contexts of listeners long gone age out. */
        private static final Map<Key, SslContext> CONTEXTS = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, SslContext> eldest) {
                return size() > MAX;
            }
        };

        /** What a server context is made of; managers by identity. */
        private record Key(boolean useAlpn, ClientAuth clientAuth, Same keyManagers, List<Same> trustManagers,
                           Set<String> ciphers, List<String> protocols, String serverName) {
        }

        /** A reference compared by identity. */
        private record Same(Object ref) {
            @Override
            public boolean equals(Object o) {
                return o instanceof Same s && s.ref == ref;
            }

            @Override
            public int hashCode() {
                return System.identityHashCode(ref);
            }
        }

        private final SslContextFactory delegate;
        private final boolean openSsl;
        private boolean useAlpn;
        private boolean forClient;
        private ClientAuth clientAuth;
        private KeyManagerFactory kmf;
        private TrustManagerFactory tmf;
        private Set<String> ciphers;
        private List<String> protocols;
        private String serverName;

        SharedContexts(SslContextFactory delegate, boolean openSsl) {
            this.delegate = delegate;
            this.openSsl = openSsl;
        }

        @Override
        public SslContextFactory useAlpn(boolean useAlpn) {
            this.useAlpn = useAlpn;
            delegate.useAlpn(useAlpn);
            return this;
        }

        @Override
        public SslContextFactory clientAuth(ClientAuth clientAuth) {
            this.clientAuth = clientAuth;
            delegate.clientAuth(clientAuth);
            return this;
        }

        @Override
        public SslContextFactory forClient(boolean forClient) {
            this.forClient = forClient;
            delegate.forClient(forClient);
            return this;
        }

        @Override
        public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
            this.kmf = kmf;
            delegate.keyMananagerFactory(openSsl && kmf != null && !(kmf instanceof OpenSslCachingX509KeyManagerFactory)
                    ? new OpenSslCachingX509KeyManagerFactory(kmf) : kmf);
            return this;
        }

        @Override
        public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
            this.tmf = tmf;
            delegate.trustManagerFactory(tmf);
            return this;
        }

        @Override
        public SslContextFactory enabledCipherSuites(Set<String> enabledCipherSuites) {
            this.ciphers = enabledCipherSuites == null ? null : Set.copyOf(enabledCipherSuites);
            delegate.enabledCipherSuites(enabledCipherSuites);
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> applicationProtocols) {
            this.protocols = applicationProtocols == null ? null : List.copyOf(applicationProtocols);
            delegate.applicationProtocols(applicationProtocols);
            return this;
        }

        @Override
        public SslContextFactory serverName(String serverName) {
            this.serverName = serverName;
            delegate.serverName(serverName);
            return this;
        }

        @Override
        public SslContext create() throws SSLException {
            if (forClient) {
                return created();
            }
            // Vert.x wraps the trust managers in a new factory per context: the managers themselves identify it.
            List<Same> trust = tmf == null ? List.of()
                    : java.util.Arrays.stream(tmf.getTrustManagers()).map(Same::new).toList();
            Key key = new Key(useAlpn, clientAuth, new Same(kmf), trust, ciphers, protocols, serverName);
            synchronized (CONTEXTS) {
                SslContext shared = CONTEXTS.get(key);
                if (shared == null) {
                    shared = created();
                    CONTEXTS.put(key, shared);
                }
                return shared;
            }
        }

        private SslContext created() throws SSLException {
            SslContext context = delegate.create();
            if (openSsl && !forClient && context.sessionContext() instanceof OpenSslServerSessionContext sessions) {
                sessions.setTicketKeys(); // no keys given: BoringSSL generates and rotates its own
            }
            return context;
        }
    }
}
