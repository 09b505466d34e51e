package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.upstream.TlsTermination;

import dev.gatehouse.proxy.upstream.UpstreamTls;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.config.TlsConfig;
import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.tls.CertificateWatcher;
import dev.gatehouse.tls.ClientRenegotiation;
import dev.gatehouse.tls.ExpiryMonitor;
import dev.gatehouse.tls.TlsMaterial;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * TLS termination for a node: the certificates of every TLS listener and of the admin listener, loaded and checked
 * before anything listens, then kept current.
 *
 * <ul>
 *   <li>Certificates: PEM chains and keys in every format the {@code tls} module reads; SNI picks among a listener's
 *   certificates by name (wildcards included), the first is the default.</li>
 *   <li>Hot reload: every {@code tls.reload-interval} the files are checked; a changed, valid certificate is served
 *   from the next handshake on, on every event loop, without a restart and without touching open connections; a bad
 *   file is refused with one WARN line naming it and the old certificate stays.</li>
 *   <li>Renegotiation: a client's renegotiation (TLS 1.2) is refused with a fatal alert, the connection closed
 *   ({@link ClientRenegotiation}); JSSE's switch for it is set when this class loads, before any listener starts,
 *   and {@link #load} checks that it took effect.</li>
 *   <li>Engine: {@code tls-engine} picks OpenSSL (BoringSSL) or the JDK's JSSE for every TLS listener
 *   ({@link ServerTlsEngine}); each listener's engine is logged at start and shown by the gauge
 *   {@value ServerTlsEngine#INFO_GAUGE}. The admin listener always uses JSSE (little traffic).</li>
 *   <li>Expiry: a WARN line when a certificate has fewer than {@value ExpiryMonitor#WARNING_DAYS} days left (at load,
 *   after a reload and twice a day), and, when a registry is given, the gauge {@value #EXPIRY_GAUGE}
 *   {@code {listener, certificate}} with the days left.</li>
 * </ul>
 *
 * <p>{@link #check} and {@link #load} read files: call them before deployment or from a worker thread. The watchers
 * run on one daemon thread of their own. Thread-safe; {@link #configure} may be called from every event loop.
 */
public final class ServerTls implements ListenerTls, AutoCloseable {

    /**
     * Whole days until a served certificate expires, negative once expired; base unit days, so Prometheus shows
     * {@code gatehouse_tls_certificate_expiry_days{listener, certificate}}.
     */
    public static final String EXPIRY_GAUGE = "gatehouse.tls.certificate.expiry";

    /** The {@code listener} tag value (and log name) of the admin listener's certificates. */
    public static final String ADMIN = "admin";

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    private static final String ADMIN_KEY = "\u0000admin"; // cannot clash with a listener name
    private static final Duration EXPIRY_CHECK = Duration.ofHours(12);

    static {
        // JSSE reads it at the JVM's first server handshake: before any of our listeners can have one.
        ClientRenegotiation.refuse();
    }

    private final Map<String, TlsTermination> listeners;
    private final TlsTermination admin;
    private final ScheduledExecutorService executor;
    private final List<CertificateWatcher> watchers = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private final MeterRegistry registry;
    private final TlsEngine engine;
    /** One instance for every listener's servers (Vert.x copies it). */
    private final SSLEngineOptions engineOptions;

    private ServerTls(Map<String, TlsTermination> listeners, TlsTermination admin, MeterRegistry registry,
                      TlsEngine engine) {
        this.listeners = listeners;
        this.engine = engine;
        this.engineOptions = ServerTlsEngine.options(engine);
        this.admin = admin;
        this.registry = registry;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gatehouse-tls");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Every problem with the TLS files of {@code config}: listener and admin certificates, keys, key passwords, trust
     * bundles, and the CA bundles and client certificates of pools ({@code pools[i].tls}). Each problem is at the
     * path of the key naming the file and its message names the file and what is wrong, e.g.
     * {@code listeners[0].tls.certificates[0].key: certs/site.key: private key does not match the certificate in
     * certs/site.pem}. Starts nothing. Blocking file I/O.
     */
    public static List<ConfigProblem> check(GatehouseConfig config) {
        List<ConfigProblem> problems = new ArrayList<>(ServerTlsEngine.problems(config.tlsEngine()));
        loadTerminations(config, problems);
        problems.addAll(UpstreamTls.problems(config.pools()));
        return problems;
    }

    /**
     * Loads every TLS listener's and the admin listener's certificates and starts watching them.
     *
     * @param registry where the expiry gauges go; {@code null}: expiry is only logged
     * @throws ConfigException with every problem {@link #check} would report; nothing is left running
     */
    public static ServerTls load(GatehouseConfig config, MeterRegistry registry) {
        requireNonNull(config, "config");
        List<ConfigProblem> problems = new ArrayList<>(ServerTlsEngine.problems(config.tlsEngine()));
        Map<String, TlsTermination> loaded = loadTerminations(config, problems);
        problems.addAll(UpstreamTls.problems(config.pools()));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        TlsEngine engine = ServerTlsEngine.resolve(config.tlsEngine());
        TlsTermination admin = loaded.remove(ADMIN_KEY);
        // BoringSSL refuses renegotiation by itself; JSSE needs its switch (the admin listener always uses JSSE).
        if (admin != null || (!loaded.isEmpty() && engine == TlsEngine.JDK)) {
            checkRenegotiationRefused();
        }
        ServerTls tls = new ServerTls(Map.copyOf(loaded), admin, registry, engine);
        tls.start();
        return tls;
    }

    private static Map<String, TlsTermination> loadTerminations(GatehouseConfig config, List<ConfigProblem> problems) {
        Map<String, TlsTermination> out = new LinkedHashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            if (l.tls() != null) {
                TlsTermination t = TlsTermination.load(l.name(), "listeners[" + i + "].tls", l.tls(), problems);
                if (t != null) {
                    out.put(l.name(), t);
                }
            }
        }
        if (config.admin() != null && config.admin().tls() != null) {
            TlsTermination t = TlsTermination.load(ADMIN, "admin.tls", config.admin().tls(), problems);
            if (t != null) {
                out.put(ADMIN_KEY, t);
            }
        }
        return out;
    }

    private static void checkRenegotiationRefused() {
        try {
            if (!ClientRenegotiation.refusedByJdk()) {
                LOG.error("TLS: clients can renegotiate TLS 1.2 sessions (a CPU denial-of-service vector): this JVM"
                        + " ran a server handshake before Gatehouse could set {}=true, or it was set to false. Start"
                        + " the JVM with -D{}=true", ClientRenegotiation.PROPERTY, ClientRenegotiation.PROPERTY);
            }
        } catch (RuntimeException e) {
            // The check is a self-test, not a reason to stay down.
            LOG.warn("TLS: could not check that client renegotiation is refused: {}", e.toString());
        }
    }

    /** New handshakes use a changed trust bundle; a broken one is refused with one WARN and the old one kept. */
    private static void reloadTrust(TlsTermination t) {
        try {
            if (t.trustBundle.reloadIfChanged()) {
                LOG.info("{} TLS: reloaded client-certificate trust bundle {}", t.name, t.trustBundle.file());
            }
        } catch (RuntimeException e) {
            LOG.warn("{} TLS: keeping the current client-certificate trust: {}", t.name, e.getMessage());
        }
    }

    private void start() {
        List<TlsTermination> all = new ArrayList<>(listeners.values());
        if (admin != null) {
            all.add(admin);
        }
        for (TlsTermination t : all) {
            TlsEngine used = t == admin ? TlsEngine.JDK : engine;
            LOG.info("{} TLS: engine {}, {}{}", t.name, ServerTlsEngine.describe(used), describe(t.store.materials()),
                    t.config.clientAuth() == TlsConfig.ClientAuth.NONE ? ""
                            : ", client certificates " + (t.config.clientAuth() == TlsConfig.ClientAuth.REQUIRE
                            ? "required" : "requested") + " (trusted CAs " + t.config.trust() + ")");
            warnIfExpiring(t.store.materials());
            if (t.trustBundle != null) {
                long every = t.config.reloadInterval().toMillis();
                executor.scheduleWithFixedDelay(() -> reloadTrust(t), every, every, TimeUnit.MILLISECONDS);
            }
            watchers.add(CertificateWatcher.start(t.files, t.store.materials(), t.config.reloadInterval(),
                    materials -> {
                        t.store.update(materials);
                        warnIfExpiring(materials);
                    }, executor));
            if (registry != null) {
                meters.add(Gauge.builder(ServerTlsEngine.INFO_GAUGE, () -> 1)
                        .tag("listener", t.name)
                        .tag("engine", ServerTlsEngine.label(used))
                        .description("The TLS engine of the listener (openssl or jdk), always 1")
                        .strongReference(true)
                        .register(registry));
                for (int i = 0; i < t.files.size(); i++) {
                    int index = i;
                    meters.add(Gauge.builder(EXPIRY_GAUGE, t.store,
                                    s -> ExpiryMonitor.daysUntilExpiry(s.materials().get(index), Clock.systemUTC()))
                            .tag("listener", t.name)
                            .tag("certificate", t.files.get(i).cert().toString())
                            .description("Whole days until the certificate expires (negative once expired)")
                            .baseUnit("days")
                            .strongReference(true)
                            .register(registry));
                }
            }
        }
        executor.scheduleAtFixedRate(() -> all.forEach(t -> warnIfExpiring(t.store.materials())),
                EXPIRY_CHECK.toMillis(), EXPIRY_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void warnIfExpiring(List<TlsMaterial> materials) {
        try {
            materials.forEach(m -> ExpiryMonitor.warnIfExpiringSoon(m, Clock.systemUTC()));
        } catch (RuntimeException e) {
            LOG.error("TLS expiry check failed", e);
        }
    }

    private static String describe(List<TlsMaterial> materials) {
        return materials.stream().map(m -> m.dnsNames() + " (" + m.keyType() + ", expires " + m.notAfter() + ")")
                .collect(Collectors.joining(", "));
    }

    /**
     * Puts the listener's TLS on {@code options}; see {@link TlsTermination#configure}.
     *
     * @throws IllegalStateException when {@code listener} has no TLS or was not part of the config loaded
     */
    @Override
    public void configure(ListenerConfig listener, HttpServerOptions options) {
        TlsTermination t = listeners.get(listener.name());
        if (t == null || listener.tls() == null) {
            throw new IllegalStateException("listener " + listener.name() + ": no TLS material loaded for it");
        }
        t.configure(options, listener.http2());
        options.setSslEngineOptions(engineOptions);
    }

    /** The engine of the TLS listeners: {@link TlsEngine#OPENSSL} or {@link TlsEngine#JDK}, never {@code AUTO}. */
    public TlsEngine engine() {
        return engine;
    }

    /** The admin listener's TLS for {@code AdminServer}; {@code null} when {@code admin.tls} is not configured. */
    public ServerSSLOptions adminOptions() {
        return admin == null ? null : admin.serverSslOptions();
    }

    /** Stops watching files and removes the expiry gauges; the servers keep the certificates they have. */
    @Override
    public void close() {
        watchers.forEach(CertificateWatcher::close);
        executor.shutdownNow();
        if (registry != null) {
            meters.forEach(registry::remove);
        }
    }
}
