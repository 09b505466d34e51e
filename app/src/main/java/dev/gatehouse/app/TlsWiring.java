package dev.gatehouse.app;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.listener.ListenerTls;
import dev.gatehouse.proxy.listener.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.net.ServerSSLOptions;

import java.util.List;

/**
 * The node's TLS, from its config: listener and admin certificates (watched and reloaded), and a check of every TLS
 * file up front so {@code validate} and {@code run} report a missing, unreadable or mismatched file with its config
 * path instead of failing later. Blocking file I/O: call before deployment or from a worker thread.
 */
final class TlsWiring implements AutoCloseable {

    private final ServerTls tls;

    private TlsWiring(ServerTls tls) {
        this.tls = tls;
    }

    /**
     * Every problem with the TLS files of {@code config} (listeners, admin, pools' upstream TLS); empty when all load.
     * Starts nothing.
     */
    static List<ConfigProblem> problems(GatehouseConfig config) {
        return needsTls(config) ? ServerTls.check(config) : List.of();
    }

    /**
     * As {@link #problems}, throwing them.
     *
     * @throws ConfigException with every problem, so the caller prints them and exits 2
     */
    static void check(GatehouseConfig config) {
        List<ConfigProblem> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /**
     * Loads and starts watching the certificates.
     *
     * @param registry gets the certificate expiry gauges
     * @throws ConfigException when a file cannot be used
     */
    static TlsWiring start(GatehouseConfig config, MeterRegistry registry) {
        return new TlsWiring(needsTls(config) ? ServerTls.load(config, registry) : null);
    }

    private static boolean needsTls(GatehouseConfig config) {
        return config.listeners().stream().anyMatch(ListenerConfig::isTls)
                || (config.admin() != null && config.admin().tls() != null)
                || config.pools().stream().anyMatch(p -> p.tls() != null)
                || config.tlsEngine() == TlsEngine.OPENSSL; // an unusable engine is reported even without TLS
    }

    /** What the proxy's TLS listeners use; {@code null} when no listener has TLS. */
    ListenerTls listeners() {
        return tls;
    }

    /** The admin server's TLS; {@code null} when {@code admin.tls} is absent. */
    ServerSSLOptions admin() {
        return tls == null ? null : tls.adminOptions();
    }

    /** Stops watching certificate files. Idempotent. */
    @Override
    public void close() {
        if (tls != null) {
            tls.close();
        }
    }
}
