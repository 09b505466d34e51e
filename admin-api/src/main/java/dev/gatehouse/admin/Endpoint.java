package dev.gatehouse.admin;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * One admin operation: a request in, a {@link Reply} (or a failed future) out. Exceptions thrown synchronously
 * fail the future, so every failure reaches the one failure handler.
 */
@FunctionalInterface
interface Endpoint {

    Future<Reply> handle(RoutingContext ctx);

    /** The Vert.x handler that runs this endpoint and writes its reply or fails the context. */
    static Handler<RoutingContext> adapt(Endpoint endpoint) {
        return ctx -> Future.<Void>succeededFuture()
                .compose(v -> endpoint.handle(ctx))
                .onSuccess(reply -> reply.send(ctx.response()))
                .onFailure(ctx::fail);
    }
}
