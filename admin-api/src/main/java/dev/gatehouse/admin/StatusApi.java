package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-mostly views of the node and the cluster: health, members, traffic counters, cache purge (501 until a cache
 * exists), metrics, liveness, readiness.
 */
final class StatusApi {

    private final AdminPorts ports;

    StatusApi(AdminPorts ports) {
        this.ports = ports;
    }

    void mount(Router router, String base) {
        router.get(base + "/health").handler(Endpoint.adapt(this::health));
        router.get(base + "/cluster").handler(Endpoint.adapt(this::cluster));
        router.get(base + "/stats").handler(Endpoint.adapt(this::stats));
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
            }
            return Reply.json(o);
        });
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
     * Exactly one of {@code {"key"}}, {@code {"prefix"}}, {@code {"tag"}}; 501 when the node has no cache, which is
     * every node until response caching exists (the app wires no {@link CachePort} yet).
     */
    private Future<Reply> purge(RoutingContext ctx) {
        ObjectNode body = Json.body(ctx);
        Optional<CachePort> cache = ports.cache();
        List<String> given = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(given::add);
        for (String k : given) {
            if (!List.of("key", "prefix", "tag").contains(k)) {
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
        if (cache.isEmpty()) {
            throw Problem.of(501, "not-implemented", "Response caching is not available yet",
                    "this node has no response cache; nothing to purge").exception();
        }
        String v = value.asText();
        Future<CachePort.Purged> purged = switch (kind) {
            case "key" -> cache.get().purgeKey(v);
            case "prefix" -> {
                if (!v.startsWith("/")) {
                    throw Problem.badRequest("prefix", "\"" + v + "\" must start with /").exception();
                }
                yield cache.get().purgePrefix(v);
            }
            default -> cache.get().purgeTag(v);
        };
        return purged.map(n -> {
            ConfigWrites.auditPurge(ctx, kind, v, n.removed());
            ObjectNode o = Json.object();
            o.put(kind, v);
            o.put("purged", n.removed());
            return Reply.json(o);
        });
    }
}
