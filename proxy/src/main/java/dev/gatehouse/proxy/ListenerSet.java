package dev.gatehouse.proxy;

import dev.gatehouse.config.ListenerConfig;
import dev.gatehouse.proxy.listener.ConnectionLimits;
import dev.gatehouse.proxy.listener.ListenerTls;
import dev.gatehouse.proxy.listener.ProxyVerticle;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The listeners a node serves, changed while it runs (a reloaded file): a listener added is bound on every event
 * loop; one removed stops accepting and drains its requests in flight; one changed is bound anew before the old one
 * is drained, so a bind failure (a port in use) leaves the old one serving and is reported.
 *
 * <p>On the same address the new listener shares the old one's sockets (on each event loop, the servers bound to one
 * address share that loop's listening socket), so there is no moment without an accepting socket; a TLS change there
 * also updates the shared sockets' TLS context for new handshakes. Switching a listener between HTTP and HTTPS on the same address
 * cannot share a socket: the old one is drained first, then the new one bound (new connections are refused
 * meanwhile). A listener on port 0 gets a new ephemeral port when it changes.
 *
 * <p>Changes run one at a time (callers serialize them); every step is asynchronous, nothing blocks an event loop.
 */
public final class ListenerSet {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse");

    /** What happened to one listener: {@code error} is {@code null} when the change applied. */
    public record Change(String listener, String action, String error) {

        public boolean failed() {
            return error != null;
        }

        @Override
        public String toString() {
            return "listener " + listener + ": " + action + (error == null ? "" : " failed: " + error);
        }
    }

    private record Bound(ListenerConfig config, ListenerTls tls, int port) {
    }

    private final List<ProxyVerticle> instances;
    private final ProxyMetrics metrics;
    private final Map<String, Bound> bound = new LinkedHashMap<>();

    private ListenerSet(List<ProxyVerticle> instances, ProxyMetrics metrics) {
        this.instances = List.copyOf(instances);
        this.metrics = metrics;
    }

    /**
     * Binds {@code listeners} on every instance (each instance's event loop), one listener after the other; fails
     * with the first bind error, closing what was bound.
     */
    static Future<ListenerSet> open(List<ProxyVerticle> instances, List<ListenerConfig> listeners, ListenerTls tls,
                                    ProxyMetrics metrics) {
        ListenerSet set = new ListenerSet(instances, metrics);
        Future<Void> chain = Future.succeededFuture();
        for (ListenerConfig l : listeners) {
            chain = chain.compose(v -> set.openAll(l, tls)).compose(servers -> {
                synchronized (set) {
                    set.bound.put(l.name(), new Bound(l, tls, servers.get(0).actualPort()));
                }
                return set.installAll(l.name(), servers, Duration.ZERO);
            });
        }
        return chain.map(set).recover(err -> Future.all(instances.stream()
                        .flatMap(i -> listeners.stream().map(l -> i.close(l.name(), Duration.ZERO))).toList())
                .transform(ar -> Future.failedFuture(err)));
    }

    /** The port each listener serves on now, by name. */
    public synchronized Map<String, Integer> ports() {
        Map<String, Integer> out = new LinkedHashMap<>();
        bound.forEach((name, b) -> out.put(name, b.port()));
        return out;
    }

    /** The listener configs serving now, in order. */
    public synchronized List<ListenerConfig> configs() {
        return bound.values().stream().map(Bound::config).toList();
    }

    /**
     * Makes the serving listeners those of {@code next}: removed ones first (freeing their ports), then changed
     * ones, then added ones. Never fails: each listener's outcome is in the list (empty when nothing differs).
     *
     * @param tls   builds the TLS of the listeners of {@code next} that are new or changed; {@code null} when none
     *              has TLS
     * @param grace how long a listener that stops lets its requests in flight finish
     */
    public Future<List<Change>> reconfigure(List<ListenerConfig> next, ListenerTls tls, Duration grace) {
        Map<String, Bound> now;
        synchronized (this) {
            now = new LinkedHashMap<>(bound);
        }
        List<Change> changes = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (Bound b : now.values()) {
            String name = b.config().name();
            if (next.stream().noneMatch(l -> l.name().equals(name))) {
                chain = chain.compose(v -> remove(name, grace)).map(c -> {
                    changes.add(c);
                    return null;
                });
            }
        }
        for (ListenerConfig l : next) {
            Bound old = now.get(l.name());
            if (old != null && old.config().equals(l)) {
                continue;
            }
            chain = chain.compose(v -> replace(l, old, tls, grace)).map(c -> {
                changes.add(c);
                return null;
            });
        }
        return chain.map(v -> List.copyOf(changes));
    }

    private Future<Change> remove(String name, Duration grace) {
        synchronized (this) {
            bound.remove(name);
        }
        drained(name, Future.all(instances.stream().map(i -> i.close(name, grace)).toList()));
        return Future.succeededFuture(new Change(name, "removed (requests in flight drain)", null));
    }

    private Future<Change> replace(ListenerConfig l, Bound old, ListenerTls tls, Duration grace) {
        String action = describe(l, old);
        boolean sameAddress = old != null && l.port() != 0 && l.port() == old.port() && l.host().equals(old.config().host());
        Future<List<HttpServer>> opened;
        if (sameAddress && old.config().isTls() != l.isTls()) {
            // No sharing between a cleartext and a TLS socket: the old one goes first.
            opened = Future.all(instances.stream().map(i -> i.close(l.name(), grace)).toList())
                    .transform(ar -> openAll(l, tls))
                    .recover(err -> openAll(old.config(), old.tls())
                            .compose(back -> installAll(old.config().name(), back, grace))
                            .transform(back -> Future.failedFuture(err)));
        } else {
            opened = openAll(l, tls);
            if (sameAddress && l.isTls()) {
                opened = opened.compose(servers -> Future.all(servers.stream().map(s -> updateTls(s, l, tls)).toList())
                        .map(servers));
            }
        }
        return opened.map(servers -> {
            int port = servers.get(0).actualPort();
            synchronized (this) {
                bound.put(l.name(), new Bound(l, l.isTls() ? tls : null, port));
            }
            Future<Void> installed = installAll(l.name(), servers, grace);
            if (old != null) {
                drained(l.name() + " (before the change)", installed);
            }
            LOG.info("listener {} on {}://{}:{} ({})", l.name(), l.isTls() ? "https" : "http", l.host(), port, action);
            return new Change(l.name(), action, null);
        }).recover(err -> {
            String why = err.getMessage() != null ? err.getMessage() : err.toString();
            LOG.error("listener {}: {} failed, {}: {}", l.name(), action,
                    old == null ? "not serving" : "the old one keeps serving", why);
            return Future.succeededFuture(new Change(l.name(), action, why));
        });
    }

    /** Makes {@code servers} serve as listener {@code name}; completes once the ones they replace are drained. */
    private Future<Void> installAll(String name, List<HttpServer> servers, Duration grace) {
        List<Future<Void>> installed = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            installed.add(instances.get(i).install(name, servers.get(i), grace));
        }
        return Future.all(installed).mapEmpty();
    }

    /** Binds {@code l} on every event loop: the first resolves port 0, the others share its socket. */
    private Future<List<HttpServer>> openAll(ListenerConfig l, ListenerTls tls) {
        ConnectionLimits limits = ConnectionLimits.of(List.of(l), metrics).get(l.name());
        return instances.get(0).open(l, l.port(), tls, limits).compose(first -> {
            List<Future<HttpServer>> rest = new ArrayList<>();
            rest.add(Future.succeededFuture(first));
            for (int i = 1; i < instances.size(); i++) {
                rest.add(instances.get(i).open(l, first.actualPort(), tls, limits));
            }
            return Future.join(rest).map(all -> List.<HttpServer>copyOf(all.list()))
                    .recover(err -> {
                        for (int i = 0; i < rest.size(); i++) {
                            HttpServer s = rest.get(i).result();
                            if (s != null) {
                                instances.get(i).discard(s);
                            }
                        }
                        return Future.failedFuture(err);
                    });
        });
    }

    /** A TLS listener sharing the old one's sockets handshakes with the shared sockets' context: give them the new one. */
    private static Future<Void> updateTls(HttpServer server, ListenerConfig l, ListenerTls tls) {
        HttpServerOptions options = new HttpServerOptions();
        try {
            tls.configure(l, options);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return server.updateSSLOptions(options.getSslOptions(), true).mapEmpty();
    }

    private static void drained(String what, Future<?> f) {
        f.onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("listener {}: closing did not complete cleanly: {}", what, ar.cause().toString());
            } else {
                LOG.info("listener {}: closed, its requests in flight finished", what);
            }
        });
    }

    private static String describe(ListenerConfig l, Bound old) {
        if (old == null) {
            return "added";
        }
        List<String> what = new ArrayList<>();
        if (!Objects.equals(old.config().port(), l.port()) || !old.config().host().equals(l.host())) {
            what.add("address " + old.config().host() + ":" + old.port() + " -> " + l.host() + ":" + l.port());
        }
        if (!Objects.equals(old.config().tls(), l.tls())) {
            what.add(old.config().isTls() && l.isTls() ? "TLS changed"
                    : l.isTls() ? "TLS enabled" : "TLS disabled");
        }
        if (what.isEmpty()) {
            what.add("settings changed");
        }
        return String.join(", ", what);
    }
}
