package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;

/**
 * Read-mostly views of the node and the cluster: health, members, traffic counters, the response cache (statistics
 * and purges; 501 on a node without one), metrics, liveness, readiness.
 */
final class StatusApi {

    private static final Logger LOG = LoggerFactory.getLogger(StatusApi.class);
    private static final List<String> PURGE_KINDS = List.of("key", "prefix", "tag");

    private final AdminPorts ports;

    StatusApi(AdminPorts ports) {
        this.ports = ports;
    }

    void mount(Router router, String base) {
        router.get(base + "/health").handler(Endpoint.adapt(this::health));
        router.get(base + "/cluster").handler(Endpoint.adapt(this::cluster));
        router.get(base + "/stats").handler(Endpoint.adapt(this::stats));
        router.get(base + "/stats/history").handler(Endpoint.adapt(this::history));
        router.get(base + "/cache").handler(Endpoint.adapt(this::cacheStats));
        router.post(base + "/cache/purge").handler(Endpoint.adapt(this::purge));
    }

    /** {@code /healthz}, {@code /readyz}: unauthenticated, for load balancers and orchestrators. */
    void mountProbes(Router router) {
        router.get("/healthz").handler(Endpoint.adapt(ctx -> {
            ObjectNode o = Json.object().put("status", "ok");
            return Future.succeededFuture(Reply.json(o));
        }));
        router.get("/readyz").handler(Endpoint.adapt(ctx -> {
            List<String> notReady = ports.readiness().notReady();
            ObjectNode o = Json.object().put("status", notReady.isEmpty() ? "ready" : "not-ready");
            ArrayNode list = o.putArray("not-ready");
            notReady.forEach(list::add);
            return Future.succeededFuture(Reply.json(notReady.isEmpty() ? 200 : 503, o));
        }));
    }

    /** {@code /metrics}: whatever the metrics port renders, with its content type. */
    Future<Reply> metrics(RoutingContext ctx) {
        MetricsScrape scrape = ports.metrics().scrape(ctx.request().getHeader("Accept"));
        return Future.succeededFuture(new Reply(200, scrape.contentType(), Buffer.buffer(scrape.body()), Map.of()));
    }

    private Future<Reply> health(RoutingContext ctx) {
        return ports.health().backends().map(list -> {
            ObjectNode o = Json.object();
            ArrayNode backends = o.putArray("backends");
            for (BackendStatus b : list) {
                ObjectNode e = backends.addObject();
                e.put("pool", b.pool());
                e.put("backend", b.backend());
                e.put("state", b.state());
                e.put("node", b.node());
                e.put("since", b.since() == null ? null : b.since().toString());
                e.put("cause", b.cause());
                e.put("active-requests", b.activeRequests());
                e.put("checks", b.checks());
                e.set("passive", passive(b.passive()));
            }
            return Reply.json(o);
        });
    }

    private static JsonNode passive(BackendStatus.Passive p) {
        if (p == null) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
        ObjectNode o = Json.object();
        o.put("state", p.state());
        o.put("last-success", p.lastSuccess() == null ? null : p.lastSuccess().toString());
        o.put("last-failure", p.lastFailure() == null ? null : p.lastFailure().toString());
        o.put("last-failure-cause", p.lastFailureCause());
        o.put("recent-requests", p.recentRequests());
        o.put("recent-failures", p.recentFailures());
        number(o, "recent-error-rate", p.recentRequests() > 0 ? (double) p.recentFailures() / p.recentRequests()
                : Double.NaN);
        o.put("window-seconds", p.windowSeconds());
        o.put("consecutive-failures", p.consecutiveFailures());
        o.put("ejections", p.ejections());
        o.put("ejected-until", p.ejectedUntil() == null ? null : p.ejectedUntil().toString());
        return o;
    }

    /** A finite number, or null for NaN (JSON has no NaN). */
    private static void number(ObjectNode o, String field, double value) {
        if (Double.isFinite(value)) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }

    private static void column(ObjectNode o, String field, double[] values) {
        ArrayNode a = o.putArray(field);
        for (double v : values) {
            if (Double.isFinite(v)) {
                a.add(v);
            } else {
                a.addNull();
            }
        }
    }

    private static ObjectNode series(ObjectNode o, NodeHistory.Series s) {
        column(o, "requests-per-second", s.requestsPerSecond());
        column(o, "error-rate", s.errorRate());
        column(o, "latency-average-seconds", s.averageSeconds());
        column(o, "latency-p99-seconds", s.p99Seconds());
        column(o, "cache-hit-ratio", s.cacheHitRatio());
        return o;
    }

    /** The last minutes of this node's traffic, interval by interval, for the status page's charts. */
    private Future<Reply> history(RoutingContext ctx) {
        NodeHistory h = ports.stats().history();
        ObjectNode o = Json.object();
        o.put("interval-seconds", h.intervalSeconds());
        o.put("capacity", h.capacity());
        ArrayNode times = o.putArray("times");
        for (long t : h.times()) {
            times.add(t);
        }
        series(o.putObject("node"), h.node());
        ArrayNode routes = o.putArray("routes");
        h.routes().stream().sorted(java.util.Comparator.comparing(NodeHistory.RouteSeries::route)).forEach(r -> {
            ObjectNode e = routes.addObject();
            e.put("route", r.route());
            e.put("pool", r.pool());
            series(e, r.series());
        });
        return Future.succeededFuture(Reply.json(o));
    }

    /** This node's cumulative traffic counters; the status page derives rates from two readings. */
    private Future<Reply> stats(RoutingContext ctx) {
        NodeStats s = ports.stats().stats();
        ObjectNode o = Json.object();
        o.put("time", s.time().toString());
        o.put("config-version", ports.config().current().version());
        ArrayNode routes = o.putArray("routes");
        s.routes().stream().sorted(java.util.Comparator.comparing(NodeStats.Route::route)).forEach(r -> {
            ObjectNode e = routes.addObject();
            e.put("route", r.route());
            e.put("pool", r.pool());
            e.put("requests", r.requests());
            e.put("errors", r.errors());
            ObjectNode classes = e.putObject("status-classes");
            new java.util.TreeMap<>(r.byStatusClass()).forEach(classes::put);
            e.put("latency-seconds-sum", r.latencySecondsSum());
        });
        ArrayNode listeners = o.putArray("listeners");
        s.listeners().stream().sorted(java.util.Comparator.comparing(NodeStats.Listener::listener)).forEach(l ->
                listeners.addObject()
                        .put("listener", l.listener())
                        .put("connections-accepted", l.connectionsAccepted())
                        .put("connections-active", l.connectionsActive())
                        .put("requests", l.requests())
                        .put("requests-active", l.requestsActive()));
        return Future.succeededFuture(Reply.json(o));
    }

    private Future<Reply> cluster(RoutingContext ctx) {
        long version = ports.config().current().version();
        return ports.cluster().members().map(list -> {
            ObjectNode o = Json.object();
            o.put("config-version", version);
            ArrayNode members = o.putArray("members");
            for (MemberStatus m : list) {
                members.addObject()
                        .put("id", m.id())
                        .put("address", m.address())
                        .put("local", m.local())
                        .put("applied-version", m.appliedVersion())
                        .put("state", m.state());
            }
            return Reply.json(o);
        });
    }

    /**
     * Exactly one of {@code {"key"}} (an absolute http(s) URL), {@code {"prefix"}} (a path starting with /),
     * {@code {"tag"}}; anything else is 400 and purges nothing. 501 when the node has no cache; 503 when the purge
     * fails (a member did not acknowledge in time, the cluster is unreachable). Answers once every live member has
     * dropped the entries.
     */
    private Future<Reply> purge(RoutingContext ctx) {
        ObjectNode body = Json.body(ctx);
        List<String> given = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(given::add);
        for (String k : given) {
            if (!PURGE_KINDS.contains(k)) {
                throw Problem.badRequest(k, "unknown key (expected exactly one of key, prefix, tag)").exception();
            }
        }
        if (given.size() != 1) {
            throw Problem.badRequest("", "expected exactly one of key, prefix, tag (found "
                    + (given.isEmpty() ? "none" : String.join(", ", given)) + ")").exception();
        }
        String kind = given.get(0);
        JsonNode value = body.get(kind);
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw Problem.badRequest(kind, "expected a non-empty string").exception();
        }
        String v = value.asText();
        if (kind.equals("key") && !isAbsoluteHttpUrl(v)) {
            throw Problem.badRequest("key", "\"" + v + "\" is not an absolute http or https URL (expected e.g. "
                    + "https://api.example.com/a?b=1, as the cache keys it)").exception();
        }
        if (kind.equals("prefix") && !v.startsWith("/")) {
            throw Problem.badRequest("prefix", "\"" + v + "\" must start with /").exception();
        }
        CachePort cache = ports.cache().orElseThrow(() -> noCache("nothing to purge").exception());
        Future<CachePort.Purged> purged;
        try {
            purged = switch (kind) {
                case "key" -> cache.purgeKey(v);
                case "prefix" -> cache.purgePrefix(v);
                default -> cache.purgeTag(v);
            };
        } catch (RuntimeException e) {
            purged = Future.failedFuture(e);
        }
        return purged.recover(StatusApi::unavailable).map(p -> {
            ConfigWrites.auditPurge(ctx, kind, v, p);
            ObjectNode o = Json.object();
            o.put(kind, v);
            o.put("purged", p.removed());
            ArrayNode acks = o.putArray("acknowledged-by");
            p.acknowledgedBy().forEach(acks::add);
            o.put("millis", p.millis());
            return Reply.json(o);
        });
    }

    /** The cluster cache's figures: entries, bytes, lookups, bounds, and each member's own (near cache included). */
    private Future<Reply> cacheStats(RoutingContext ctx) {
        CachePort cache = ports.cache().orElseThrow(() -> noCache("no statistics to show").exception());
        Future<CachePort.Stats> stats;
        try {
            stats = cache.stats();
        } catch (RuntimeException e) {
            stats = Future.failedFuture(e);
        }
        return stats.recover(StatusApi::unavailable).map(s -> {
            ObjectNode o = Json.object();
            o.put("entries", s.entries());
            o.put("bytes", s.bytes());
            o.put("hits", s.hits());
            o.put("misses", s.misses());
            o.put("hit-ratio", s.hitRatio());
            o.put("max-size", s.maxBytes());
            o.put("max-entry-size", s.maxEntryBytes());
            ArrayNode members = o.putArray("members");
            for (CachePort.MemberStats m : s.members()) {
                members.addObject()
                        .put("member", m.member())
                        .put("owned-entries", m.ownedEntries())
                        .put("owned-bytes", m.ownedBytes())
                        .put("backup-entries", m.backupEntries())
                        .put("hits", m.hits())
                        .put("misses", m.misses())
                        .put("stored", m.stored())
                        .put("evictions", m.evictions())
                        .put("near-cache-entries", m.nearCacheEntries())
                        .put("near-cache-bytes", m.nearCacheBytes())
                        .put("near-cache-hits", m.nearCacheHits())
                        .put("near-cache-misses", m.nearCacheMisses())
                        .put("near-cache-invalidations", m.nearCacheInvalidations());
            }
            return Reply.json(o);
        });
    }

    private static Problem noCache(String what) {
        return Problem.of(501, "no-cache", "This node has no response cache", what);
    }

    /** A cache operation that failed is the cluster's trouble, not the client's: 503 (a problem it raised stays). */
    private static <T> Future<T> unavailable(Throwable failure) {
        if (failure instanceof ProblemException) {
            return Future.failedFuture(failure);
        }
        LOG.warn("cache operation failed: {}", failure.toString());
        return Future.failedFuture(Problem.of(503, "cache-unavailable", "The response cache is unavailable",
                "the cache operation failed: " + failure.getMessage() + "; nothing was reported done, try again")
                .exception());
    }

    /** An absolute {@code http} or {@code https} URL with a host, as cache keys are built from requests. */
    static boolean isAbsoluteHttpUrl(String s) {
        try {
            URI u = new URI(s);
            String scheme = u.getScheme();
            return scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    && u.getHost() != null && u.getRawFragment() == null && u.getRawUserInfo() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
