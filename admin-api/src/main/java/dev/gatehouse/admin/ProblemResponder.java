package dev.gatehouse.admin;

import dev.gatehouse.config.ConfigException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where a failed admin request becomes an answer: RFC 9457 {@code application/problem+json}. */
final class ProblemResponder {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemResponder.class);

    private ProblemResponder() {
    }

    /** Failure handler for every route. */
    static void failure(RoutingContext ctx) {
        send(ctx, problemOf(ctx));
    }

    static Problem problemOf(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t instanceof ProblemException pe) {
            return pe.problem();
        }
        if (t instanceof ConfigException ce) {
            return Problem.invalid(ce.problems());
        }
        if (t instanceof WritesUnavailableException u) {
            return Problem.of(503, "writes-unavailable", "Configuration writes unavailable", u.getMessage())
                    .withHeader("Retry-After", "5");
        }
        int status = ctx.statusCode();
        if (status == 413) {
            return Problem.of(413, "payload-too-large", "Request body too large",
                    "the admin API accepts bodies up to " + AdminRouterFactory.MAX_BODY_BYTES + " bytes");
        }
        if (status >= 400 && status < 500) {
            return byStatus(ctx, status);
        }
        LOG.error("admin request {} {} failed", ctx.request().method(), ctx.request().path(), t);
        return Problem.of(500, "internal", "Internal error",
                "the request failed on the server; the configuration is unchanged unless a version was reported");
    }

    /** Answers for statuses the router itself produces (404 no route, 405 wrong method, 400 bad body). */
    static Problem byStatus(RoutingContext ctx, int status) {
        String what = ctx.request().method() + " " + ctx.request().path();
        return switch (status) {
            case 404 -> Problem.notFound("no resource at " + ctx.request().path());
            case 405 -> Problem.of(405, "method-not-allowed", "Method not allowed", what + " is not supported");
            case 400 -> Problem.badRequest("the request could not be read");
            default -> Problem.of(status, "http-" + status, "HTTP " + status, what);
        };
    }

    static void send(RoutingContext ctx, Problem problem) {
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            // Too late for a problem document: cut the connection rather than send a half answer.
            ctx.request().connection().close();
            return;
        }
        response.setStatusCode(problem.status());
        problem.headers().forEach(response::putHeader);
        response.putHeader("Content-Type", Problem.CONTENT_TYPE);
        response.putHeader("Cache-Control", "no-store");
        response.end(Json.encode(problem.toJson()));
    }
}
