package dev.gatehouse.app;

import com.hazelcast.core.HazelcastInstance;
import dev.gatehouse.admin.AdminPorts;
import dev.gatehouse.admin.AdminServer;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.proxy.GatehouseProxy;
import dev.gatehouse.proxy.cache.LocalMissCollapsing;
import dev.gatehouse.proxy.cache.LocalResponseStore;
import dev.gatehouse.proxy.cache.ResponseCache;
import dev.gatehouse.proxy.observe.CacheFigures;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One Gatehouse node: Vert.x, its Hazelcast membership, the versioned shared config, the data plane and the
 * control plane, wired from a config file. Start order: cluster → agreed config → listeners → admin; shutdown in
 * reverse.
 */
final class Node {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse");

    final Vertx vertx;
    /** The node's file as last (re)loaded: {@link ConfigReloader} replaces it with the sections it applied. */
    volatile GatehouseConfig config;
    final HazelcastInstance hz;
    final SharedConfigStore store;
    final GatehouseProxy proxy;
    final AdminServer admin;
    final Metrics metrics;
    final TlsWiring tls;
    final Observability observability;
    final SharedValues values;
    /** Why {@code /readyz} answers 503 once the node is leaving; null while it serves. */
    private final AtomicReference<String> leaving;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private Node(Vertx vertx, GatehouseConfig config, HazelcastInstance hz, SharedConfigStore store,
                 GatehouseProxy proxy, AdminServer admin, Metrics metrics, TlsWiring tls,
                 Observability observability, SharedValues values, AtomicReference<String> leaving) {
        this.leaving = leaving;
        this.values = values;
        this.vertx = vertx;
        this.config = config;
        this.hz = hz;
        this.store = store;
        this.proxy = proxy;
        this.admin = admin;
        this.metrics = metrics;
        this.tls = tls;
        this.observability = observability;
    }

    static Vertx newVertx() {
        VertxOptions options = new VertxOptions()
                .setPreferNativeTransport(true)
                .setEventLoopPoolSize(Runtime.getRuntime().availableProcessors());
        Vertx vertx = Vertx.vertx(options);
        if (!vertx.isNativeTransportEnabled()) {
            LOG.info("native transport unavailable ({}); using NIO", vertx.unavailableNativeTransportCause());
        }
        return vertx;
    }

    /** Starts a node from a validated config; fails if the cluster cannot be joined or a listener cannot bind. */
    static Future<Node> start(Vertx vertx, GatehouseConfig config, boolean seedFromFile) {
        return start(vertx, config, seedFromFile, null);
    }

    /** As above; {@code file} is where the config was read (the author of versions made from it), or null. */
    static Future<Node> start(Vertx vertx, GatehouseConfig config, boolean seedFromFile, Path file) {
        Path dataDir = Path.of(config.dataDir());
        Metrics metrics = new Metrics();
        AtomicReference<String> leaving = new AtomicReference<>();
        // Certificates load before anything starts (small files; callers start nodes from a plain thread).
        TlsWiring tls;
        SharedValues values;
        try {
            values = SharedValues.load(config.cluster(), System.getenv(), metrics.registry);
            tls = TlsWiring.start(config, metrics.registry);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        // Joining the cluster and agreeing on a version block: off the event loop.
        return vertx.executeBlocking(() -> {
                    CacheConfig storage = startingCache(config, values, dataDir);
                    HazelcastInstance hz = ClusterMembership.join(config.cluster(), storage);
                    SharedConfigStore.Starting start;
                    try {
                        start = SharedConfigStore.startingState(hz, values, dataDir, config.shared(), seedFromFile,
                                file);
                    } catch (RuntimeException e) {
                        hz.shutdown();
                        throw e;
                    }
                    ProxyRuntime runtime = new ProxyRuntime(start.config().config(), start.config().version());
                    SharedConfigStore store = SharedConfigStore.open(vertx, hz, values, runtime, dataDir, start,
                            config.shared());
                    HealthSync.start(hz, values, runtime);
                    Observability observability;
                    try {
                        observability = Observability.start(metrics, config, runtime, hz);
                    } catch (RuntimeException e) {
                        store.close();
                        hz.shutdown();
                        throw e;
                    }
                    // Before the listeners start: the engine takes the cache from the runtime when it deploys.
                    HazelcastResponseStore cacheStore = responseCache(vertx, hz, values, runtime, storage,
                            observability);
                    return new Object[] {hz, runtime, store, observability, cacheStore};
                }, false)
                .compose(parts -> {
                    HazelcastInstance hz = (HazelcastInstance) parts[0];
                    ProxyRuntime runtime = (ProxyRuntime) parts[1];
                    SharedConfigStore store = (SharedConfigStore) parts[2];
                    Observability obs = (Observability) parts[3];
                    HazelcastResponseStore cacheStore = (HazelcastResponseStore) parts[4];
                    return GatehouseProxy.start(vertx, config, runtime, tls.listeners(), obs.requestMetrics(),
                            obs.accessLog())
                            .compose(proxy -> startAdmin(vertx, config, hz, store, runtime, proxy, metrics, tls, obs,
                                            values, cacheStore, leaving)
                                    .map(admin -> new Node(vertx, config, hz, store, proxy, admin, metrics, tls, obs,
                                            values, leaving)))
                            .onFailure(err -> {
                                obs.close();
                                store.close();
                                hz.shutdown();
                            });
                })
                .onFailure(err -> tls.close())
                .onSuccess(node -> {
                    for (ListenerConfig l : config.listeners()) {
                        LOG.info("listener {} on {}://{}:{}", l.name(), l.isTls() ? "https" : "http", l.host(),
                                node.proxy.port(l.name()));
                    }
                    if (node.admin != null) {
                        LOG.info("admin API on {}://{}:{}/api/v1", tls.admin() == null ? "http" : "https",
                                config.admin().host(), node.admin.actualPort());
                    }
                });
    }

    private static Future<AdminServer> startAdmin(Vertx vertx, GatehouseConfig config, HazelcastInstance hz,
                                                  SharedConfigStore store, ProxyRuntime runtime,
                                                  GatehouseProxy proxy, Metrics metrics, TlsWiring tls,
                                                  Observability stats, SharedValues values,
                                                  HazelcastResponseStore cacheStore,
                                                  AtomicReference<String> leaving) {
        if (config.admin() == null) {
            return Future.succeededFuture(null);
        }
        String nodeName = hz.getLocalEndpoint().getUuid().toString();
        AdminPorts ports = new AdminPorts(store, new HealthView(runtime, nodeName), new ClusterView(vertx, hz, values),
                Optional.ofNullable(cacheStore).map(c -> stats.metered(new ClusterCachePort(c))), metrics, () -> {
                    List<String> notReady = new ArrayList<>();
                    String left = leaving.get();
                    if (left != null) {
                        notReady.add(left);
                    }
                    if (!hz.getLifecycleService().isRunning()) {
                        notReady.add("cluster: not running");
                    }
                    if (store.current() == null) {
                        notReady.add("config: not loaded");
                    }
                    return notReady;
                }, stats);
        try {
            return new AdminServer(vertx, ports, config.admin(), tls.admin()).start();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /**
     * The cache settings the member's map is built with: those of the persisted shared state when there is one (what
     * this node last ran with), else the file's {@code cache} section. Fixed until the member restarts.
     */
    private static CacheConfig startingCache(GatehouseConfig config, SharedValues values, Path dataDir) {
        if (ClusterMembership.clientMode(config.cluster())) {
            return null;
        }
        dev.gatehouse.admin.VersionedConfig persisted =
                SharedConfigStore.stateFile(dataDir, values).read(SharedConfigStore::decode).value();
        CacheConfig cache = persisted != null ? persisted.config().cache() : config.shared().cache();
        return cache != null ? cache : CacheConfig.DEFAULT;
    }

    /**
     * Blocking (a worker): gives the runtime its response cache. A member stores in the cluster's map and collapses
     * misses across the cluster; a client of a cluster caches in this node's memory only (Gatehouse's classes are
     * not on the members of a cluster it does not run). Returns the cluster store, null in client mode.
     */
    private static HazelcastResponseStore responseCache(Vertx vertx, HazelcastInstance hz, SharedValues values,
                                                        ProxyRuntime runtime, CacheConfig storage,
                                                        Observability observability) {
        CacheConfig agreed = runtime.config().cache() != null ? runtime.config().cache() : CacheConfig.DEFAULT;
        if (storage == null) {
            LOG.info("client mode: the response cache is this node's own (in memory, max-size {}), not shared with"
                    + " the cluster; misses are collapsed on this node only", agreed.maxSize());
            LocalResponseStore local = new LocalResponseStore(agreed.maxSize().bytes(), agreed.maxEntrySize().bytes());
            runtime.responseCache(new ResponseCache(local, new LocalMissCollapsing(vertx)));
            observability.cacheFigures(figures(local::entries, local::bytes, local::evictions));
            return null;
        }
        if (!agreed.maxSize().equals(storage.maxSize()) || agreed.eviction() != storage.eviction()
                || !agreed.nearCacheMaxEntries().equals(storage.nearCacheMaxEntries())) {
            LOG.warn("the cluster's cache settings (max-size {}, eviction {}, near-cache-max-entries {}) differ from"
                    + " those this member started with (max-size {}, eviction {}, near-cache-max-entries {}): they"
                    + " take effect when it restarts", agreed.maxSize(), agreed.eviction(), agreed.nearCacheMaxEntries(),
                    storage.maxSize(), storage.eviction(), storage.nearCacheMaxEntries());
        }
        HazelcastResponseStore store = new HazelcastResponseStore(vertx, hz, values, () -> {
            CacheConfig now = runtime.config().cache();
            return (now != null ? now : CacheConfig.DEFAULT).maxEntrySize().bytes();
        });
        runtime.responseCache(new ResponseCache(store, new HazelcastMissCollapsing(vertx, hz)));
        observability.cacheFigures(figures(store::localEntries, store::localBytes, store::localEvictions));
        return store;
    }

    private static CacheFigures figures(LongSupplier entries, LongSupplier bytes, LongSupplier evictions) {
        return new CacheFigures() {
            @Override
            public long entries() {
                return entries.getAsLong();
            }

            @Override
            public long bytes() {
                return bytes.getAsLong();
            }

            @Override
            public long evictions() {
                return evictions.getAsLong();
            }
        };
    }

    /**
     * Loads every file the config names, as a node would: certificates, keys and CA bundles, then the files filters
     * read (a JWKS). Blocking. Throws {@link dev.gatehouse.config.ConfigException} with every problem at its path,
     * which {@code validate} and {@code run} report with exit 2 before anything starts.
     */
    static void checkFiles(GatehouseConfig config) {
        SharedValues.secret(config.cluster(), System.getenv());
        TlsWiring.check(config);
        List<dev.gatehouse.config.ConfigProblem> files =
                new ProxyRuntime(dev.gatehouse.config.SharedConfig.empty(), 0).check(config.shared());
        if (!files.isEmpty()) {
            throw new dev.gatehouse.config.ConfigException(files);
        }
    }

    /**
     * Loads and initialises the cluster member's classes on a second thread while the main one reads the config and
     * starts Vert.x: the member's start was mostly class loading, one class at a time, on the critical path.
     */
    private static void preloadClusterClasses() {
        Thread t = new Thread(() -> {
            try {
                new com.hazelcast.config.Config();
                new com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder().build().dispose();
                Class.forName("com.hazelcast.instance.impl.HazelcastInstanceImpl");
                Class.forName("com.hazelcast.instance.impl.Node");
                Class.forName("com.hazelcast.map.impl.MapService");
            } catch (Throwable e) {
                LOG.debug("class preloading skipped: {}", e.toString()); // only start-up time is at stake
            }
        }, "gatehouse-preload");
        t.setDaemon(true);
        t.start();
    }

    /** {@code gatehouse run}: blocks the main thread only while starting; the event loops keep the JVM up. */
    static int run(Args args, PrintStream err) {
        preloadClusterClasses();
        Path file = Path.of(args.required("--config"));
        GatehouseConfig config = ConfigParser.readFile(file);
        checkFiles(config);
        Vertx vertx = newVertx();
        try {
            Node node = start(vertx, config, args.flag("--seed-from-file"), file)
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            node.onSignals();
            // SIGHUP and `gatehouse reload` (which finds this node through the pid file) re-read the file.
            new ConfigReloader(node, file).onSighup();
            Path dataDir = Path.of(config.dataDir());
            ControlFiles.writePid(dataDir, file);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> ControlFiles.removePid(dataDir), "gatehouse-pid"));
            LOG.info("gatehouse started (config version {})", node.proxy.runtime().version());
            return -1;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            err.println("gatehouse: could not start: " + cause.getMessage());
            vertx.close();
            return 1;
        }
    }

    Future<Void> stop() {
        return stop(config.shutdown().drainTimeout());
    }

    /** Closes admin, then the listeners (requests in flight get up to {@code drain}), then leaves the cluster. */
    private Future<Void> stop(java.time.Duration drain) {
        Future<Void> adminClosed = admin == null ? Future.succeededFuture() : admin.close();
        return adminClosed
                // Each connection closes once its own request is answered.
                .compose(v -> proxy.shutdown(drain))
                .andThen(ar -> tls.close())
                .compose(v -> leaveCluster());
    }

    // Not executeBlocking: this runs on the context of a verticle just undeployed, which no longer accepts tasks.
    // HazelcastInstance.shutdown() (not terminate) leaves gracefully: it blocks while this member's partitions
    // migrate to the others, so no entry is lost.
    private Future<Void> leaveCluster() {
        return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(() -> {
            observability.close(); // what the access log still holds, written
            store.close();
            hz.shutdown();
        }));
    }

    /**
     * SIGTERM and SIGINT start {@link #leave}, then the JVM exits 0 (1 if a step failed); a second signal meanwhile
     * exits at once. Without signal handling (e.g. {@code -Xrs}) a shutdown hook leaves without the readiness delay.
     */
    void onSignals() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "gatehouse-shutdown"));
        AtomicBoolean signalled = new AtomicBoolean();
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (!signalled.compareAndSet(false, true)) {
                        LOG.warn("second SIG{} while leaving: exiting now", name);
                        Runtime.getRuntime().halt(1);
                    }
                    LOG.info("SIG{} received: leaving", name);
                    Thread t = new Thread(() -> System.exit(leave() ? 0 : 1), "gatehouse-leave");
                    t.start();
                });
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}): it stops the node without the readiness delay", name,
                        e.getMessage());
            }
        }
    }

    /**
     * Leaves without failing a request behind a load balancer that follows {@code /readyz}: readiness fails at once,
     * the listeners keep serving for {@code shutdown.readiness-delay}, then stop accepting and drain for at most
     * {@code shutdown.drain-timeout}, then the member leaves the cluster and Vert.x closes. Blocking; true when
     * every step completed. Runs once: a later call returns false at once.
     */
    boolean leave() {
        if (!stopping.compareAndSet(false, true)) {
            return false;
        }
        String delay = dev.gatehouse.config.Durations.format(config.shutdown().readinessDelay());
        java.time.Duration drain = config.shutdown().drainTimeout();
        leaving.set("shutdown: leaving (listeners close after the readiness delay of " + delay + ")");
        LOG.info("leaving (1/4): /readyz answers 503; listeners keep serving for {}", delay);
        try {
            Thread.sleep(config.shutdown().readinessDelay().toMillis()); // time for load balancers to see /readyz fail
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        leaving.set("shutdown: draining");
        LOG.info("leaving (2/4): listeners stop accepting; requests in flight get up to {}",
                dev.gatehouse.config.Durations.format(drain));
        // Each step runs even when the one before failed: a failed drain must not keep the member from leaving.
        boolean ok = step("drain", proxy.shutdown(drain), drain.toMillis() + 10_000);
        tls.close();
        ok &= admin == null || step("closing the admin API", admin.close(), 10_000);
        LOG.info("leaving (3/4): leaving the cluster (partitions migrate to the other members)");
        ok &= step("leaving the cluster", leaveCluster(), 120_000);
        // Closed from this thread, not from a callback: a callback runs on a context that close terminates.
        ok &= step("closing Vert.x", vertx.close(), 10_000);
        LOG.info("leaving (4/4): left the cluster; exiting {}", ok ? 0 : 1);
        return ok;
    }

    private static boolean step(String what, Future<Void> f, long timeoutMillis) {
        try {
            f.toCompletionStage().toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("leaving: {} interrupted", what);
            return false;
        } catch (Exception e) {
            LOG.warn("leaving: {} did not complete cleanly: {}", what, e.toString());
            return false;
        }
    }

    /** Stops without the readiness delay (the demo, or a shutdown not started by a signal). Runs once. */
    void shutdown() {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        LOG.info("shutting down: closing listeners, letting requests in flight finish");
        try {
            java.time.Duration drain = config.shutdown().drainTimeout();
            stop(drain).toCompletionStage().toCompletableFuture().get(drain.toMillis() + 60_000, TimeUnit.MILLISECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown did not complete cleanly: {}", e.toString());
        }
    }
}
