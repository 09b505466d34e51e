package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Builds the admin router: the REST API under {@value #BASE}, {@code /metrics}, {@code /healthz},
 * {@code /readyz}, {@value #BASE}{@code /openapi.json} and the status page at {@code /}. See
 * {@code admin-api/src/main/resources/openapi.json} for the contract of every endpoint.
 *
 * <p>Every {@value #BASE} request and {@code /metrics} need {@code Authorization: Bearer <token>} (read role for
 * {@code GET}, write for the rest); {@code /healthz}, {@code /readyz} and the status page do not. With no tokens
 * configured, reads are open and every write is refused: there is no unauthenticated write. Every request passes
 * {@link AdminGuard} first (Host check, cross-origin writes, security headers). Errors are
 * {@code application/problem+json}.
 */
public final class AdminRouterFactory {

    /** The API's base path. */
    public static final String BASE = "/api/v1";
    /** Request bodies larger than this are refused with 413. */
    public static final long MAX_BODY_BYTES = 1024 * 1024;

    private AdminRouterFactory() {
    }

    /**
     * Creates the router. Reads two small resources from the class path, so call it at startup, not per request.
     *
     * @throws IllegalStateException when {@code admin} has no tokens and its host is not a loopback address
     */
    public static Router create(Vertx vertx, AdminPorts ports, AdminConfig admin) {
        requireNonNull(vertx, "vertx");
        requireNonNull(ports, "ports");
        requireNonNull(admin, "admin");
        AdminAuth auth = AdminAuth.of(admin);
        Buffer openapi = resource("openapi.json");
        Buffer index = resource("webroot/index.html");
        ConfigWrites writes = new ConfigWrites(ports.config());
        StatusApi status = new StatusApi(ports);

        Router router = Router.router(vertx);
        router.route().handler(AdminGuard.of(admin, index.toString(java.nio.charset.StandardCharsets.UTF_8)));
        router.get("/").handler(Endpoint.adapt(ctx -> io.vertx.core.Future.succeededFuture(
                new Reply(200, "text/html; charset=utf-8", index, Map.of()))));
        status.mountProbes(router);
        router.get("/metrics").handler(auth).handler(Endpoint.adapt(status::metrics));

        router.route(BASE + "/*").handler(auth);
        router.route(BASE + "/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.route(BASE + "/*").handler(AdminRouterFactory::checkContentType);
        router.get(BASE + "/openapi.json").handler(Endpoint.adapt(ctx -> io.vertx.core.Future.succeededFuture(
                new Reply(200, "application/json", openapi, Map.of()))));
        new ConfigApi(ports.config(), writes).mount(router, BASE);
        new ResourceApi(ports.config(), writes, BASE).mount(router);
        status.mount(router, BASE);

        router.route().failureHandler(ProblemResponder::failure);
        router.errorHandler(404, ctx -> ProblemResponder.send(ctx, ProblemResponder.byStatus(ctx, 404)));
        router.errorHandler(405, ctx -> ProblemResponder.send(ctx, ProblemResponder.byStatus(ctx, 405)));
        return router;
    }

    /**
     * A write's body must be JSON (or YAML for the configuration documents): 415 otherwise. A write without a body
     * may omit Content-Type, but one that names a type names JSON: a form or {@code text/plain} post, which a browser
     * sends cross-site without asking, is refused even when empty (a drain or purge needs no body).
     */
    private static void checkContentType(RoutingContext ctx) {
        HttpMethod m = ctx.request().method();
        String type = ctx.request().getHeader("Content-Type");
        boolean hasBody = ctx.body() != null && !ctx.body().isEmpty();
        if ((!hasBody && type == null) || m == HttpMethod.GET || m == HttpMethod.HEAD) {
            ctx.next();
            return;
        }
        boolean configDocument = ctx.request().path().startsWith(BASE + "/config");
        if (Json.isJson(type) || (configDocument && Json.isYaml(type))) {
            ctx.next();
            return;
        }
        ctx.fail(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                (type == null ? "no Content-Type" : "Content-Type " + type) + "; send application/json"
                        + (configDocument ? " (or application/yaml)" : "")).exception());
    }

    private static Buffer resource(String name) {
        try (InputStream in = AdminRouterFactory.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing class-path resource " + name);
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
