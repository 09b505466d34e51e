package dev.gatehouse.app;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.proxy.ListenerSet;
import dev.gatehouse.proxy.listener.ListenerTls;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Re-reads a running node's config file (SIGHUP, {@code gatehouse reload}), as nginx and HAProxy do: the file is
 * read and validated first, and an invalid file changes nothing (every problem logged at ERROR with its path). A
 * valid file's shared part is stored as a new version when it differs from the version in force (compare-and-set,
 * audited as {@code file:<path>}); its listeners are added, removed or rebound ({@link ListenerSet}), and its
 * {@code shutdown} section applies; node-local sections that need a restart ({@code cluster}, {@code data-dir},
 * {@code admin}, {@code access-log}, {@code metrics}) are reported at WARN.
 *
 * <p>Reloads run one at a time; the blocking part (files, Hazelcast) runs on a worker, never an event loop. Each
 * result is written to {@code data-dir} for {@code gatehouse reload} ({@link ControlFiles}).
 */
final class ConfigReloader {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse");

    /**
     * A reload's outcome.
     *
     * @param ok      everything in the file applied (or nothing needed to)
     * @param invalid the file was refused and nothing changed
     * @param lines   what happened, one line each, as logged
     */
    record Result(boolean ok, boolean invalid, List<String> lines) {
    }

    private record Prepared(GatehouseConfig config, ListenerTls tls, TlsWiring wiring, List<String> lines) {
    }

    private final Node node;
    private final Path file;
    /** The TLS wiring each TLS listener was bound with; the node's own one until a reload loads another. */
    private final Map<String, TlsWiring> wiringOf = new HashMap<>();
    /** The config the newest wiring was loaded from (its listeners' TLS). */
    private GatehouseConfig wiredFor;
    private TlsWiring newest;
    /** The wirings reloads loaded and that are still open. */
    private final List<TlsWiring> opened = new ArrayList<>();
    private Future<Result> last = Future.succeededFuture();

    ConfigReloader(Node node, Path file) {
        this.node = node;
        this.file = file;
        this.wiredFor = node.config;
        this.newest = node.tls;
        for (ListenerConfig l : node.config.listeners()) {
            if (l.isTls()) {
                wiringOf.put(l.name(), node.tls);
            }
        }
    }

    /** Makes SIGHUP reload; a platform without it logs why. */
    void onSighup() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                LOG.info("SIGHUP received: reloading {}", file);
                reload();
            });
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot handle SIGHUP ({}): the config file is re-read only at start", e.getMessage());
        }
    }

    /** Reloads after the reload in progress, if any. Never fails: the outcome is in the result. */
    synchronized Future<Result> reload() {
        Future<Result> next = last.transform(ar -> once());
        last = next;
        return next;
    }

    private Future<Result> once() {
        long started = System.currentTimeMillis();
        return node.vertx.executeBlocking(this::prepare, false)
                .compose(p -> p.config() == null
                        ? Future.succeededFuture(new Result(false, true, p.lines()))
                        : node.proxy.listenerSet().reconfigure(p.config().listeners(), p.tls(),
                                p.config().shutdown().drainTimeout()).map(changes -> finish(p, changes)))
                .recover(err -> {
                    String line = "reload of " + file + " failed: " + err;
                    LOG.error(line);
                    return Future.succeededFuture(new Result(false, false, List.of(line)));
                })
                // A file write: on a worker, not the event loop the listener changes completed on.
                .compose(r -> node.vertx.executeBlocking(() -> {
                    ControlFiles.writeStatus(Path.of(node.config.dataDir()), started, r);
                    return r;
                }, false));
    }

    /** Blocking: read, validate, load new TLS material, store the shared part. Nothing changes when invalid. */
    private Prepared prepare() {
        GatehouseConfig next;
        GatehouseConfig read;
        try {
            read = ConfigParser.readFile(file);
            Node.checkFiles(read);
        } catch (ConfigException e) {
            return refused(e.problems());
        }
        GatehouseConfig was = node.config;
        // One TLS library per process, chosen at start: listeners added or re-keyed now keep the running engine.
        next = new GatehouseConfig(read.dataDir(), read.cluster(), read.listeners(), read.pools(), read.routes(),
                read.cache(), read.admin(), read.accessLog(), read.metrics(), read.shutdown(), was.tlsEngine());
        TlsWiring wiring = null;
        ListenerTls tls = newest.listeners();
        if (needsNewTls(next)) {
            try {
                wiring = TlsWiring.start(next, node.metrics.registry);
                tls = wiring.listeners();
            } catch (ConfigException e) {
                return refused(e.problems());
            }
        }
        List<String> lines = new ArrayList<>();
        try {
            SharedConfigStore.FileApplied applied = node.store.applyFile(next.shared(), FileSource.author(file));
            lines.add(applied.stored()
                    ? "config version " + applied.version().version() + " stored from " + file
                    : "config unchanged: version " + applied.version().version() + " already holds the file's"
                    + " pools/routes/cache");
        } catch (ConfigException e) {
            if (wiring != null) {
                wiring.close();
            }
            return refused(e.problems());
        } catch (RuntimeException e) {
            lines.add("ERROR the file's pools/routes/cache were not stored: " + e.getMessage());
        }
        restartNeeded("cluster", was.cluster(), next.cluster(), lines);
        restartNeeded("data-dir", was.dataDir(), next.dataDir(), lines);
        restartNeeded("admin", was.admin(), next.admin(), lines);
        restartNeeded("access-log", was.accessLog(), next.accessLog(), lines);
        restartNeeded("metrics", was.metrics(), next.metrics(), lines);
        restartNeeded("tls-engine", was.tlsEngine(), read.tlsEngine(), lines);
        if (!was.shutdown().equals(next.shutdown())) {
            lines.add("shutdown: applied");
        }
        // The node-local sections in force from now on (the ones above needing a restart are reported, not run).
        node.config = new GatehouseConfig(was.dataDir(), was.cluster(), next.listeners(), next.pools(), next.routes(),
                next.cache(), was.admin(), was.accessLog(), was.metrics(), next.shutdown(), was.tlsEngine());
        return new Prepared(next, tls, wiring, lines);
    }

    private Prepared refused(List<ConfigProblem> problems) {
        List<String> lines = new ArrayList<>();
        lines.add("reload of " + file + " refused, nothing changed: " + problems.size()
                + (problems.size() == 1 ? " error" : " errors"));
        problems.forEach(p -> lines.add("  " + p));
        lines.forEach(LOG::error);
        return new Prepared(null, null, null, lines);
    }

    private static void restartNeeded(String section, Object was, Object now, List<String> lines) {
        if (!Objects.equals(was, now)) {
            lines.add("WARN " + section + " changed: takes effect when the node restarts");
        }
    }

    /** A TLS listener new in {@code next}, or whose TLS changed, needs material the newest wiring did not load. */
    private boolean needsNewTls(GatehouseConfig next) {
        for (ListenerConfig l : next.listeners()) {
            if (l.isTls() && wiredFor.listeners().stream().noneMatch(w -> w.name().equals(l.name())
                    && Objects.equals(w.tls(), l.tls()))) {
                return true;
            }
        }
        return false;
    }

    private synchronized Result finish(Prepared p, List<ListenerSet.Change> changes) {
        List<String> lines = new ArrayList<>(p.lines());
        boolean ok = lines.stream().noneMatch(l -> l.startsWith("ERROR"));
        for (ListenerSet.Change c : changes) {
            lines.add((c.failed() ? "ERROR " : "") + c);
            ok &= !c.failed();
            if (!c.failed()) {
                boolean tls = p.config().listeners().stream().anyMatch(l -> l.name().equals(c.listener()) && l.isTls());
                if (tls && p.wiring() != null) {
                    wiringOf.put(c.listener(), p.wiring());
                } else if (!tls) {
                    wiringOf.remove(c.listener());
                }
            }
        }
        if (p.wiring() != null) {
            opened.add(p.wiring());
            if (wiringOf.containsValue(p.wiring())) {
                newest = p.wiring();
                wiredFor = p.config();
            }
        }
        // A wiring no listener serves with any more stops watching its files (the node's own one serves admin).
        closeUnused();
        for (String line : lines) {
            if (line.startsWith("ERROR")) {
                LOG.error("reload: {}", line.substring(6));
            } else if (line.startsWith("WARN")) {
                LOG.warn("reload: {}", line.substring(5));
            } else {
                LOG.info("reload: {}", line);
            }
        }
        LOG.info("reload of {} {}", file, ok ? "done" : "done with errors (see above)");
        return new Result(ok, false, lines);
    }

    private void closeUnused() {
        opened.removeIf(w -> {
            if (w != newest && !wiringOf.containsValue(w)) {
                w.close();
                return true;
            }
            return false;
        });
    }
}
