package dev.gatehouse.proxy.upstream;

import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.UpstreamTlsConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.tls.TlsMaterial;
import dev.gatehouse.tls.TlsPolicy;
import dev.gatehouse.tls.TrustBundles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Netty TLS for {@link UpstreamChannels}' {@code https://} backends, with the policy {@link UpstreamTls} gives Vert.x's
 * clients: the backend certificate verified against the pool's {@code tls.ca} bundle or else the JVM's trusted CAs,
 * the host name checked ({@code tls.server-name}, else the backend's host, which is also the SNI name unless it is an
 * IP literal), TLS 1.3/1.2 only, no ALPN (HTTP/1.1), and the pool's client certificate shown when configured.
 * {@code tls.verify: false} alone turns verification off, with a WARN line, as it does for Vert.x's clients.
 *
 * <p>One instance is shared by all event loops. Contexts are cached by the pool's {@code tls} section (equal sections
 * share one context, so a config change elsewhere in the pool keeps it). Files are read on a Vert.x worker thread,
 * never on an event loop. A load that fails is not cached: the next connection tries again, so a fixed file is picked
 * up; each distinct failure is logged once. A failure never falls back to unverified TLS.
 *
 * <p>Thread-safe.
 */
public final class UpstreamSsl {

    private static final Map<Vertx, UpstreamSsl> SHARED = new java.util.WeakHashMap<>();

    /** The one cache of a Vert.x instance, shared by all its event loops. */
    public static UpstreamSsl of(Vertx vertx) {
        synchronized (SHARED) {
            return SHARED.computeIfAbsent(vertx, UpstreamSsl::new);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamSsl.class);

    /** Stands for "no {@code tls} section" (JVM trust, no client certificate): the map takes no null key. */
    private static final Object NO_TLS_SECTION = new Object();

    private final Vertx vertx;
    private final Map<Object, Future<SslContext>> contexts = new ConcurrentHashMap<>();
    /** The last failure message logged per key, so a broken file logs once rather than on every connection. */
    private final Map<Object, String> lastFailure = new ConcurrentHashMap<>();

    UpstreamSsl(Vertx vertx) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
    }

    /**
     * The client context for {@code pool}'s https backends. Completes at once when it was built before; otherwise on
     * a thread of whichever context started the build (callers on an event loop hop back to it themselves). Fails
     * with an {@link SSLException} naming the pool and, for a file problem, the file.
     */
    Future<SslContext> context(PoolConfig pool) {
        UpstreamTlsConfig tls = pool.tls();
        Object key = tls == null ? NO_TLS_SECTION : tls;
        Future<SslContext> cached = contexts.get(key);
        if (cached != null) {
            return cached;
        }
        Promise<SslContext> promise = Promise.promise();
        Future<SslContext> raced = contexts.putIfAbsent(key, promise.future());
        if (raced != null) {
            return raced;
        }
        vertx.executeBlocking(() -> build(pool.name(), tls), false).onComplete(ar -> {
            if (ar.succeeded()) {
                lastFailure.remove(key);
            } else {
                contexts.remove(key, promise.future()); // not cached: the next connection retries
                String message = String.valueOf(ar.cause().getMessage());
                if (!message.equals(lastFailure.put(key, message))) {
                    LOG.warn("{}", message);
                }
            }
            promise.handle(ar);
        });
        return promise.future();
    }

    /** Blocking: reads the CA bundle and the client certificate files. */
    private static SslContext build(String pool, UpstreamTlsConfig tls) throws SSLException {
        boolean verify = tls == null || tls.verify();
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols(TlsPolicy.PROTOCOLS)
                    .endpointIdentificationAlgorithm(verify ? "HTTPS" : null);
            if (!verify) {
                LOG.warn("pool {}: tls.verify is false, backend certificates are NOT verified", pool);
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (tls != null && tls.ca() != null) {
                b.trustManager(TrustBundles.trustManagerFactory(Path.of(tls.ca())));
            } // else: the builder's default, the JVM's trusted CAs
            if (tls != null && tls.cert() != null && tls.key() != null) {
                TlsMaterial client = UpstreamTls.clientFiles(tls).load();
                b.keyManager(client.key(), client.chain());
            }
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new SSLException("pool " + pool + ": cannot set up TLS to its backends: " + e.getMessage(), e);
        }
    }

    /** The name sent as SNI and verified against the backend's certificate: {@code tls.server-name}, else its host. */
    static String serverName(PoolConfig pool, Backend backend) {
        UpstreamTlsConfig tls = pool.tls();
        String name = tls != null && tls.serverName() != null ? tls.serverName() : backend.host();
        // URI hosts keep IPv6 literals in brackets; the engine wants the bare address.
        return name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
    }

    /**
     * A client {@link SslHandler} for one connection: the peer is {@code serverName}:{@code port} (the name the
     * certificate is checked against when the context verifies), SNI only when {@code serverName} is a host name.
     */
    static SslHandler newHandler(SslContext context, ByteBufAllocator alloc, String serverName, int port,
                                 boolean verify) {
        SslHandler handler = context.newHandler(alloc, serverName, port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(verify ? "HTTPS" : null);
        parameters.setServerNames(sni(serverName));
        engine.setSSLParameters(parameters);
        return handler;
    }

    /** Whether connections for {@code pool} verify the backend (all but {@code tls.verify: false}). */
    static boolean verifies(PoolConfig pool) {
        return pool.tls() == null || pool.tls().verify();
    }

    private static List<SNIServerName> sni(String serverName) {
        if (NetUtil.isValidIpV4Address(serverName) || NetUtil.isValidIpV6Address(serverName)) {
            return List.of(); // RFC 6066: literal addresses are not sent as SNI
        }
        try {
            return List.of(new SNIHostName(serverName));
        } catch (IllegalArgumentException e) {
            return List.of(); // not a valid DNS name (e.g. an underscore): the JDK would not send it either
        }
    }
}
