package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigWriter;
import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/v1/config}: the whole shared configuration, its dry-run validation, history and rollback. */
final class ConfigApi {

    private final ConfigPort port;
    private final ConfigWrites writes;

    ConfigApi(ConfigPort port, ConfigWrites writes) {
        this.port = port;
        this.writes = writes;
    }

    void mount(Router router, String base) {
        router.get(base + "/config").handler(Endpoint.adapt(this::get));
        router.put(base + "/config").handler(Endpoint.adapt(this::put));
        router.post(base + "/config/validate").handler(Endpoint.adapt(this::validate));
        router.get(base + "/config/history").handler(Endpoint.adapt(this::history));
        router.get(base + "/config/history/:version").handler(Endpoint.adapt(this::historyEntry));
        router.post(base + "/config/rollback").handler(Endpoint.adapt(this::rollback));
    }

    private Future<Reply> get(RoutingContext ctx) {
        VersionedConfig current = port.current();
        return Future.succeededFuture(Reply.json(ConfigWriter.toTree(current.config())).version(current.version()));
    }

    /** Replaces the whole shared configuration; {@code If-Match} is required (428 without it). */
    private Future<Reply> put(RoutingContext ctx) {
        Versions.IfMatch ifMatch = Versions.IfMatch.of(ctx);
        if (!ifMatch.present()) {
            throw Problem.of(428, "precondition-required", "If-Match is required",
                    "PUT /config replaces everything: send If-Match with the ETag of the configuration you edited")
                    .exception();
        }
        SharedConfig next = ConfigParser.parseShared(Json.configBody(ctx));
        return writes.write(ctx, current -> ConfigWrites.Edited.changed(next));
    }

    private Future<Reply> validate(RoutingContext ctx) {
        ConfigParser.parseShared(Json.configBody(ctx));
        ObjectNode o = Json.object();
        o.put("valid", true);
        return Future.succeededFuture(Reply.json(o));
    }

    private Future<Reply> history(RoutingContext ctx) {
        ArrayNode list = Json.array();
        for (VersionedConfig v : port.history()) {
            list.add(entry(v));
        }
        return Future.succeededFuture(Reply.json(list).version(port.current().version()));
    }

    private Future<Reply> historyEntry(RoutingContext ctx) {
        long version = version(ctx.pathParam("version"));
        VersionedConfig v = port.history().stream().filter(h -> h.version() == version).findFirst()
                .orElseThrow(() -> Problem.notFound("configuration version " + version + " is not in the history")
                        .exception());
        ObjectNode o = entry(v);
        o.set("config", ConfigWriter.toTree(v.config()));
        return Future.succeededFuture(Reply.json(o));
    }

    /** {@code {"version": N}}: applies version N's configuration again, as a new version. */
    private Future<Reply> rollback(RoutingContext ctx) {
        ObjectNode body = Json.body(ctx);
        JsonNode v = body.get("version");
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw Problem.badRequest("version", "required: the version number to roll back to").exception();
        }
        body.fieldNames().forEachRemaining(k -> {
            if (!k.equals("version")) {
                throw Problem.badRequest(k, "unknown key (expected: version)").exception();
            }
        });
        VersionedConfig before = port.current();
        Versions.IfMatch.of(ctx).check(before.version());
        String author = AdminAuth.principal(ctx).name();
        return port.rollback(v.longValue(), author)
                .recover(failure -> Future.failedFuture(failure instanceof UnknownVersionException u
                        ? Problem.notFound(u.getMessage()).exception()
                        : failure instanceof StaleVersionException s
                        ? Problem.conflict(s.getMessage() + "; try again", java.util.List.of()).exception()
                        : failure))
                .map(applied -> {
                    ConfigWrites.audit(ctx, before.version(), applied.version());
                    return Reply.json(ConfigWrites.versionBody(applied)).version(applied.version());
                });
    }

    private static ObjectNode entry(VersionedConfig v) {
        ObjectNode o = ConfigWrites.versionBody(v);
        o.put("author", v.author());
        return o;
    }

    private static long version(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw Problem.notFound("\"" + text + "\" is not a configuration version").exception();
        }
    }
}
