package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The admin HTTP server on {@code admin.host}:{@code admin.port} (port 0 picks a free port; see
 * {@link #actualPort()}). HTTPS when the caller passes {@link ServerSSLOptions}, which {@code app} builds from
 * {@code admin.tls} with the {@code tls} module.
 *
 * <pre>{@code
 * AdminServer admin = new AdminServer(vertx, ports, config.admin(), null);
 * admin.start().onSuccess(s -> log.info("admin on {}", s.actualPort()));
 * }</pre>
 */
public final class AdminServer {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final Vertx vertx;
    private final AdminPorts ports;
    private final AdminConfig admin;
    private final ServerSSLOptions ssl;
    private HttpServer server;

    /** A plain-HTTP admin server. */
    public AdminServer(Vertx vertx, AdminPorts ports, AdminConfig admin) {
        this(vertx, ports, admin, null);
    }

    /**
     * @param ssl {@code null} for plain HTTP; required when {@code admin.tls} is configured
     */
    public AdminServer(Vertx vertx, AdminPorts ports, AdminConfig admin, ServerSSLOptions ssl) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.ports = requireNonNull(ports, "ports");
        this.admin = requireNonNull(admin, "admin");
        this.ssl = ssl == null ? null : ssl.copy();
    }

    /**
     * Builds the router and starts listening.
     *
     * @return this server once it listens; fails when the address cannot be bound
     * @throws IllegalStateException (synchronously) when no tokens are configured on a non-loopback host, when
     *                               {@code admin.tls} is configured but no SSL options were given, or when already
     *                               started
     */
    public Future<AdminServer> start() {
        if (server != null) {
            throw new IllegalStateException("admin server already started");
        }
        if (admin.tls() != null && ssl == null) {
            throw new IllegalStateException("admin.tls is configured but the admin server was given no TLS options;"
                    + " refusing to serve the admin API over plain HTTP");
        }
        Router router = AdminRouterFactory.create(vertx, ports, admin);
        HttpServerOptions options = new HttpServerOptions()
                .setHost(admin.host())
                .setPort(admin.port())
                .setIdleTimeout(60)
                .setDecompressionSupported(false);
        if (ssl != null) {
            applySsl(options, ssl);
        }
        HttpServer created = vertx.createHttpServer(options).requestHandler(router);
        server = created;
        return created.listen().map(s -> {
            LOG.info("admin API listening on {}://{}:{}", ssl == null ? "http" : "https", admin.host(),
                    s.actualPort());
            return this;
        });
    }

    /** The bound port (the chosen one when {@code admin.port} is 0); -1 before {@link #start()}. */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    /** Stops listening; in-flight requests are cut. Completes at once when not started. */
    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private static void applySsl(HttpServerOptions o, ServerSSLOptions ssl) {
        o.setSsl(true);
        o.setKeyCertOptions(ssl.getKeyCertOptions());
        o.setTrustOptions(ssl.getTrustOptions());
        o.setClientAuth(ssl.getClientAuth());
        o.setSni(ssl.isSni());
        o.setUseAlpn(ssl.isUseAlpn());
        o.setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
        ssl.getEnabledCipherSuites().forEach(o::addEnabledCipherSuite);
        ssl.getCrlPaths().forEach(o::addCrlPath);
        ssl.getCrlValues().forEach(o::addCrlValue);
        o.setSslHandshakeTimeout(ssl.getSslHandshakeTimeout());
        o.setSslHandshakeTimeoutUnit(ssl.getSslHandshakeTimeoutUnit());
    }
}
