package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.engine.ProxyHandler;
import dev.gatehouse.proxy.health.HealthSignals;
import dev.gatehouse.proxy.observe.ExchangeObserver;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.upstream.UpstreamChannels;
import dev.gatehouse.proxy.upstream.UpstreamClients;
import dev.gatehouse.proxy.upstream.UpstreamSsl;
import dev.gatehouse.proxy.vertx.VertxInternals;

import dev.gatehouse.config.ListenerConfig;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The listeners of one event loop. One instance is deployed per event loop, and the {@code ListenerSet} binds every
 * listener on each of them; on a native transport each instance accepts its own connections (see
 * {@link VertxInternals#hookedServer}).
 */
public final class ProxyVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyVerticle.class);

    private final ProxyRuntime runtime;
    private final boolean compression;
    private final int eventLoops;
    private final HealthSignals health;
    private final ExchangeObserver observer;
    private final ProxyMetrics metrics;
    /** The serving listeners by name, in config order; changed only on this verticle's event loop. */
    private final Map<String, HttpServer> servers = new java.util.LinkedHashMap<>();
    private UpstreamClients clients;
    private UpstreamChannels channels;
    private volatile long graceMillis;

    /**
     * @param observer sees every exchange (metrics, access log)
     * @param metrics  counts connections per listener; {@code null} for none
     */
    public ProxyVerticle(ProxyRuntime runtime, boolean compression, int eventLoops, HealthSignals health,
                  ExchangeObserver observer, ProxyMetrics metrics) {
        this.runtime = runtime;
        this.compression = compression;
        this.eventLoops = eventLoops;
        this.health = health;
        this.observer = observer;
        this.metrics = metrics;
    }

    /** Sets up the upstream pools; the listeners are bound with {@link #open} and {@link #install}. */
    @Override
    public Future<?> start() {
        clients = new UpstreamClients(vertx, eventLoops);
        channels = new UpstreamChannels(vertx, VertxInternals.eventLoop(context), eventLoops, UpstreamSsl.of(vertx));
        return Future.succeededFuture();
    }

    /** Makes {@link #stop()} let requests in flight finish for up to {@code grace}. */
    public void shutdownGrace(java.time.Duration grace) {
        graceMillis = grace.toMillis();
    }

    /**
     * Binds listener {@code l} at {@code port} on this verticle's event loop, beside the serving ones: it serves as
     * soon as it is bound, and becomes the listener of its name with {@link #install}. On the address of a serving
     * listener Vert.x shares that socket (no gap, no bind error); elsewhere a bind error fails the future.
     */
    public Future<HttpServer> open(ListenerConfig l, int port, ListenerTls tls, ConnectionLimits limits) {
        io.vertx.core.Promise<HttpServer> bound = io.vertx.core.Promise.promise();
        context.runOnContext(v -> listen(l, port, tls, limits).onComplete(bound));
        return bound.future();
    }

    /**
     * Makes {@code server} (from {@link #open}) the listener named {@code name}; the one it replaces, if any, stops
     * accepting and lets its requests in flight finish for up to {@code grace}. Completes when that one is closed.
     */
    public Future<Void> install(String name, HttpServer server, java.time.Duration grace) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        context.runOnContext(v -> {
            HttpServer old = servers.put(name, server);
            (old == null ? Future.<Void>succeededFuture() : drain(old, grace.toMillis())).onComplete(done);
        });
        return done.future();
    }

    /** Stops listener {@code name} (accepting, then its requests in flight for up to {@code grace}). */
    public Future<Void> close(String name, java.time.Duration grace) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        context.runOnContext(v -> {
            HttpServer old = servers.remove(name);
            (old == null ? Future.<Void>succeededFuture() : drain(old, grace.toMillis())).onComplete(done);
        });
        return done.future();
    }

    /** Closes a server from {@link #open} that was never installed. */
    public Future<Void> discard(HttpServer server) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        context.runOnContext(v -> server.close().onComplete(done));
        return done.future();
    }

    private static Future<Void> drain(HttpServer s, long graceMillis) {
        return graceMillis > 0 ? s.shutdown(graceMillis, java.util.concurrent.TimeUnit.MILLISECONDS) : s.close();
    }

    private Future<HttpServer> listen(ListenerConfig l, int port, ListenerTls tls, ConnectionLimits limits) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(l.host())
                .setPort(port)
                .setMaxHeaderSize(l.maxHeaderSize().bytesAsInt())

                // The request line is method + target + version; the target limit is enforced exactly later.
                .setMaxInitialLineLength(l.maxUriLength().bytesAsInt() + 32)
                .setIdleTimeout((int) Math.max(1, l.idleTimeout().toSeconds()))
                .setTcpNoDelay(true)
                // A new connection starts in quick-ACK mode anyway; forcing it at accept time only costs a call.
                .setTcpQuickAck(false)
                .setTcpFastOpen(true)
                .setHttp2ClearTextEnabled(l.http2())
                .setUseProxyProtocol(l.proxyProtocol())
                .setHandle100ContinueAutomatically(false)
                .setDecompressionSupported(false)
                .setMaxChunkSize(UpstreamClients.MAX_CHUNK_SIZE)
                // Every request and response of a connection is handled on its event loop (the engine hops back to
                // it from any other thread), so Vert.x writes directly instead of through a multi-producer queue:
                // 4.7 KB less per connection (half of what an idle connection holds), and a write from another
                // thread fails loudly instead of being queued.
                .setStrictThreadMode(true);
        // HTTP/2 counts the target (:path) in its header list: room for both limits, so a long target gets the same
        // 414 as on HTTP/1.1 rather than a 431 (Vert.x's default list limit is 8 KiB whatever max-header-size says).
        // Vert.x's other initial settings (100 concurrent streams...) stay.
        options.getInitialSettings().setMaxHeaderListSize(
                l.maxHeaderSize().bytesAsInt() + l.maxUriLength().bytesAsInt() + 256L);
        if (compression) {
            options.setCompressionSupported(true)
                    .setCompressionContentSizeThreshold(256)
                    .addCompressor(StandardCompressionOptions.gzip());
            if (Brotli.available()) {
                options.addCompressor(StandardCompressionOptions.brotli());
            }
        }
        if (l.isTls()) {
            if (tls == null) {
                // Never serve plain HTTP on a port configured for HTTPS.
                return Future.failedFuture(new IllegalStateException("listener " + l.name()
                        + " has tls but no TLS material was loaded for it"));
            }
            options.setSsl(true).setUseAlpn(true);
            tls.configure(l, options);
            if (!l.http2()) {
                options.setAlpnVersions(List.of(io.vertx.core.http.HttpVersion.HTTP_1_1));
            }
        }
        ListenerSettings settings = ListenerSettings.of(l, compression);
        String hsts = l.isTls() && l.hsts() != null ? l.hsts().headerValue() : null;
        ProxyHandler proxy = new ProxyHandler(vertx, runtime, settings, clients, channels, health, observer, hsts);
        // The guard enforces header-timeout from accept on (slowloris) and strict request framing; max-connections
        // and send-timeout too.
        HttpServer server = ConnectionGuard.createServer(vertx, options, l.headerTimeout().toMillis(),
                http1(l, proxy), limits);
        // A redirect listener answers 308 to HTTPS; a TLS listener with hsts adds Strict-Transport-Security.
        server.requestHandler(HttpsRedirect.handler(l, request -> {
            // Through Vert.x's server (HTTP/2, or an HTTP/1.x connection the raw transport handed over). Nothing of
            // the body is read until a backend is ready to take it (backpressure from the first byte).
            request.pause();
            new VertxDownstream(proxy, request).start();
        }));
        if (metrics != null) {
            String name = l.name();
            server.connectionHandler(conn -> {
                metrics.connectionOpened(name);
                if (conn.isSsl() && conn.sslSession() != null) {
                    metrics.tlsHandshake(name, conn.sslSession().getProtocol());
                }
                conn.closeHandler(v -> metrics.connectionClosed(name));
            });
            if (l.isTls()) {
                // Handshakes that fail never become connections; Vert.x reports them here.
                server.exceptionHandler(err -> {
                    if (isTlsFailure(err)) {
                        metrics.tlsHandshakeFailed(name);
                    }
                });
            }
        }
        server.invalidRequestHandler(req -> InvalidRequests.handle(req));
        return server.listen().onSuccess(s ->
                LOG.debug("listener {} bound {}:{}", l.name(), l.host(), s.actualPort()));
    }

    /**
     * The raw HTTP/1.1 transport's factory for listener {@code l}, or {@code null} where Vert.x serves every request:
     * a redirect listener.
     */
    private java.util.function.Supplier<Http1Downstream> http1(ListenerConfig l, ProxyHandler proxy) {
        if (!Http1Downstream.ENABLED || l.isRedirect()) {
            return null;
        }
        return () -> new Http1Downstream(proxy);
    }

    static boolean isTlsFailure(Throwable err) {
        for (Throwable t = err; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Future<?> stop() {
        List<Future<Void>> closing = new ArrayList<>();
        long grace = graceMillis;
        for (HttpServer s : servers.values()) {
            // Graceful: each connection closes once its request in flight is answered (the fast path holds the
            // shutdown back until its own is), else when the grace runs out.
            closing.add(drain(s, grace));
        }
        // Upstream connections go last: requests still being answered need theirs.
        return Future.all(closing).andThen(ar -> {
            if (clients != null) {
                clients.close();
            }
            if (channels != null) {
                channels.close();
            }
        });
    }
}
