package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.ConfigValidator;
import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Every admin write goes through here: read the current version, build the whole next configuration, validate
 * all of it, then compare-and-set on the version read. Without {@code If-Match} a concurrent change is retried
 * ({@value #MAX_RETRIES} times); with it, a version that moved on is 412. Applied whole or not at all.
 */
final class ConfigWrites {

    static final int MAX_RETRIES = 3;
    private static final Logger AUDIT = LoggerFactory.getLogger("gatehouse.audit");

    /** Builds the next configuration from the current one; may throw a {@link ProblemException} (404, 409, 400). */
    @FunctionalInterface
    interface Edit {
        Edited apply(SharedConfig current);
    }

    /**
     * The outcome of an {@link Edit}.
     *
     * @param location where the created resource lives; {@code null} when an existing one was changed
     */
    record Edited(SharedConfig config, String location) {

        static Edited changed(SharedConfig config) {
            return new Edited(config, null);
        }
    }

    private final ConfigPort port;

    ConfigWrites(ConfigPort port) {
        this.port = port;
    }

    /** Runs {@code edit} as one atomic write and answers {@code {version, applied-at}} with the new ETag. */
    Future<Reply> write(RoutingContext ctx, Edit edit) {
        return attempt(ctx, edit, Versions.IfMatch.of(ctx), 0);
    }

    private Future<Reply> attempt(RoutingContext ctx, Edit edit, Versions.IfMatch ifMatch, int retry) {
        VersionedConfig current = port.current();
        ifMatch.check(current.version());
        Edited edited = edit.apply(current.config());
        if (edited.config().equals(current.config())) {
            return Future.succeededFuture(reply(current, edited, false));
        }
        List<ConfigProblem> problems = ConfigValidator.validateShared(edited.config());
        if (!problems.isEmpty()) {
            throw Problem.invalid(problems).exception();
        }
        String author = AdminAuth.principal(ctx).name();
        return port.apply(edited.config(), current.version(), author)
                .map(applied -> {
                    audit(ctx, current.version(), applied.version());
                    return reply(applied, edited, true);
                })
                .recover(failure -> {
                    if (!(failure instanceof StaleVersionException stale)) {
                        return Future.failedFuture(failure);
                    }
                    if (ifMatch.pinsVersion()) {
                        return Future.failedFuture(Problem.stale(ifMatch.header(), stale.currentVersion()).exception());
                    }
                    if (retry < MAX_RETRIES) {
                        return Future.<Void>succeededFuture().compose(v -> attempt(ctx, edit, ifMatch, retry + 1));
                    }
                    return Future.failedFuture(Problem.conflict("the configuration changed " + (MAX_RETRIES + 1)
                            + " times while this write was applied; try again", List.of()).exception());
                });
    }

    private static Reply reply(VersionedConfig v, Edited edited, boolean applied) {
        Reply r = Reply.json(edited.location() != null && applied ? 201 : 200, versionBody(v)).version(v.version());
        return edited.location() != null && applied ? r.header("Location", edited.location()) : r;
    }

    static ObjectNode versionBody(VersionedConfig v) {
        ObjectNode o = Json.object();
        o.put("version", v.version());
        o.put("applied-at", v.appliedAt().toString());
        return o;
    }

    /** One INFO line per successful write: who, what, and the version step. */
    static void audit(RoutingContext ctx, long from, long to) {
        AUDIT.info("{} {} {}: version {} -> {}", AdminAuth.principal(ctx).name(), ctx.request().method(),
                ctx.request().path(), from, to);
    }

    /** The audit line of a cache purge, which changes no configuration version. */
    static void auditPurge(RoutingContext ctx, String kind, String value, CachePort.Purged purged) {
        AUDIT.info("{} {} {}: purged {} entries ({} {}), acknowledged by {} in {} ms", AdminAuth.principal(ctx).name(),
                ctx.request().method(), ctx.request().path(), purged.removed(), kind, value, purged.acknowledgedBy(),
                purged.millis());
    }
}
