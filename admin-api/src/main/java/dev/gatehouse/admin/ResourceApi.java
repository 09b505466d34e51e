package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.BackendConfig;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.ConfigWriter;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@code /api/v1/routes}, {@code /api/v1/pools} and {@code /api/v1/pools/{name}/backends}: fine-grained edits of
 * the shared configuration. Each write rebuilds the whole configuration and goes through {@link ConfigWrites}, so
 * problems are reported with paths into the whole configuration ({@code routes[3].pool}).
 */
final class ResourceApi {

    private final ConfigPort port;
    private final ConfigWrites writes;
    private final String base;

    ResourceApi(ConfigPort port, ConfigWrites writes, String base) {
        this.port = port;
        this.writes = writes;
        this.base = base;
    }

    void mount(Router router) {
        router.get(base + "/routes").handler(Endpoint.adapt(this::listRoutes));
        router.get(base + "/routes/:name").handler(Endpoint.adapt(this::getRoute));
        router.put(base + "/routes/:name").handler(Endpoint.adapt(this::putRoute));
        router.delete(base + "/routes/:name").handler(Endpoint.adapt(this::deleteRoute));

        router.get(base + "/pools").handler(Endpoint.adapt(this::listPools));
        router.get(base + "/pools/:name").handler(Endpoint.adapt(this::getPool));
        router.put(base + "/pools/:name").handler(Endpoint.adapt(this::putPool));
        router.delete(base + "/pools/:name").handler(Endpoint.adapt(this::deletePool));

        router.get(base + "/pools/:name/backends").handler(Endpoint.adapt(this::listBackends));
        router.get(base + "/pools/:name/backends/:id").handler(Endpoint.adapt(this::getBackend));
        router.put(base + "/pools/:name/backends/:id").handler(Endpoint.adapt(this::putBackend));
        router.delete(base + "/pools/:name/backends/:id").handler(Endpoint.adapt(this::deleteBackend));
        router.post(base + "/pools/:name/backends/:id/weight").handler(Endpoint.adapt(this::setWeight));
        router.post(base + "/pools/:name/backends/:id/drain").handler(Endpoint.adapt(ctx -> setDraining(ctx, true)));
        router.post(base + "/pools/:name/backends/:id/undrain")
                .handler(Endpoint.adapt(ctx -> setDraining(ctx, false)));
    }

    // ---- routes -----------------------------------------------------------------------------------------

    private Future<Reply> listRoutes(RoutingContext ctx) {
        return read(config -> ConfigWriter.toTree(config.routes()));
    }

    private Future<Reply> getRoute(RoutingContext ctx) {
        return read(config -> ConfigWriter.toTree(config.route(ctx.pathParam("name"))
                .orElseThrow(() -> noRoute(ctx.pathParam("name")))));
    }

    /**
     * Creates (201) or replaces (200) a route. Routes match in order: a new route goes last and a replaced one
     * keeps its place, unless {@code ?position=N} (0-based) puts it at index N.
     */
    private Future<Reply> putRoute(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        ObjectNode body = Json.body(ctx);
        Integer position = position(ctx);
        return writes.write(ctx, current -> {
            int index = routeIndex(current, name);
            int size = index >= 0 ? current.routes().size() - 1 : current.routes().size();
            if (position != null && position > size) {
                throw Problem.badRequest("position", position + " (expected: 0-" + size + ")").exception();
            }
            int at = position != null ? position : index >= 0 ? index : current.routes().size();
            String path = "routes[" + at + "]";
            RouteConfig route = named(body, RouteConfig.class, path, name, RouteConfig::name).withName(name);
            List<RouteConfig> routes = new ArrayList<>(current.routes());
            if (index >= 0) {
                routes.remove(index);
            }
            routes.add(at, route);
            SharedConfig next = new SharedConfig(current.pools(), routes, current.cache());
            return new ConfigWrites.Edited(next, index >= 0 ? null : base + "/routes/" + name);
        });
    }

    private Future<Reply> deleteRoute(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        return writes.write(ctx, current -> {
            if (routeIndex(current, name) < 0) {
                throw noRoute(name);
            }
            List<RouteConfig> routes = current.routes().stream().filter(r -> !name.equals(r.name())).toList();
            return ConfigWrites.Edited.changed(new SharedConfig(current.pools(), routes, current.cache()));
        });
    }

    private static Integer position(RoutingContext ctx) {
        String text = ctx.request().getParam("position");
        if (text == null) {
            return null;
        }
        try {
            int p = Integer.parseInt(text);
            if (p >= 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw Problem.badRequest("position", "\"" + text + "\" (expected: a 0-based index)").exception();
    }

    // ---- pools ------------------------------------------------------------------------------------------

    private Future<Reply> listPools(RoutingContext ctx) {
        return read(config -> ConfigWriter.toTree(config.pools()));
    }

    private Future<Reply> getPool(RoutingContext ctx) {
        return read(config -> ConfigWriter.toTree(pool(config, ctx.pathParam("name"))));
    }

    /** Creates (appended last, 201) or replaces (200) a pool, backends included. */
    private Future<Reply> putPool(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        ObjectNode body = Json.body(ctx);
        return writes.write(ctx, current -> {
            int index = poolIndex(current, name);
            int at = index >= 0 ? index : current.pools().size();
            String path = "pools[" + at + "]";
            PoolConfig pool = named(body, PoolConfig.class, path, name, PoolConfig::name).withName(name);
            List<PoolConfig> pools = new ArrayList<>(current.pools());
            if (index >= 0) {
                pools.set(index, pool);
            } else {
                pools.add(pool);
            }
            SharedConfig next = new SharedConfig(pools, current.routes(), current.cache());
            return new ConfigWrites.Edited(next, index >= 0 ? null : base + "/pools/" + name);
        });
    }

    /** 409 while a route still sends traffic to the pool; the problem lists those routes. */
    private Future<Reply> deletePool(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        return writes.write(ctx, current -> {
            pool(current, name);
            List<ConfigProblem> users = new ArrayList<>();
            List<String> routeNames = new ArrayList<>();
            for (int i = 0; i < current.routes().size(); i++) {
                RouteConfig r = current.routes().get(i);
                if (name.equals(r.pool())) {
                    users.add(new ConfigProblem("routes[" + i + "].pool", "route \"" + r.name() + "\" uses pool \""
                            + name + "\""));
                    routeNames.add(r.name());
                }
            }
            if (!users.isEmpty()) {
                throw Problem.conflict("pool \"" + name + "\" is used by route" + (routeNames.size() > 1 ? "s " : " ")
                        + String.join(", ", routeNames) + "; delete or re-point them first", users).exception();
            }
            List<PoolConfig> pools = current.pools().stream().filter(p -> !name.equals(p.name())).toList();
            return ConfigWrites.Edited.changed(new SharedConfig(pools, current.routes(), current.cache()));
        });
    }

    // ---- backends ---------------------------------------------------------------------------------------

    private Future<Reply> listBackends(RoutingContext ctx) {
        return read(config -> {
            ArrayNode list = Json.array();
            pool(config, ctx.pathParam("name")).backends().forEach(b -> list.add(backendJson(b)));
            return list;
        });
    }

    private Future<Reply> getBackend(RoutingContext ctx) {
        return read(config -> {
            PoolConfig pool = pool(config, ctx.pathParam("name"));
            return backendJson(pool.backends().get(existingBackend(pool, ctx.pathParam("id"))));
        });
    }

    /** Adds (201) or replaces (200) a backend; the id in the path must be the URL's {@code host:port}. */
    private Future<Reply> putBackend(RoutingContext ctx) {
        String poolName = ctx.pathParam("name");
        String id = ctx.pathParam("id");
        ObjectNode body = Json.body(ctx);
        JsonNode bodyId = body.remove("id");
        if (bodyId != null && !(bodyId.isTextual() && bodyId.asText().equalsIgnoreCase(id))) {
            throw Problem.badRequest("id", bodyId + " does not match the id in the request path \"" + id + "\"")
                    .exception();
        }
        return writes.write(ctx, current -> {
            int p = existingPool(current, poolName);
            PoolConfig pool = current.pools().get(p);
            int index = backendIndex(pool, id);
            int at = index >= 0 ? index : pool.backends().size();
            String path = "pools[" + p + "].backends[" + at + "]";
            BackendConfig backend = element(body, BackendConfig.class, path);
            if (backend.url() == null) {
                throw Problem.invalid(path + ".url", "required (http://host:port or https://host:port)").exception();
            }
            String actual = idOf(backend.url());
            if (actual != null && !actual.equalsIgnoreCase(id)) {
                throw Problem.invalid(path + ".url", "\"" + backend.url() + "\" is backend " + actual
                        + ", not " + id + " as in the request path").exception();
            }
            List<BackendConfig> backends = new ArrayList<>(pool.backends());
            if (index >= 0) {
                backends.set(index, backend);
            } else {
                backends.add(backend);
            }
            String location = index >= 0 ? null : base + "/pools/" + poolName + "/backends/" + id;
            return new ConfigWrites.Edited(replacePool(current, p, pool.withBackends(backends)), location);
        });
    }

    /** 409 for the last backend of a pool: a pool needs at least one (delete the pool instead). */
    private Future<Reply> deleteBackend(RoutingContext ctx) {
        String poolName = ctx.pathParam("name");
        String id = ctx.pathParam("id");
        return editBackend(ctx, (backends, index, p) -> {
            if (backends.size() == 1) {
                throw Problem.conflict("backend " + id + " is the last one of pool \"" + poolName
                                + "\"; a pool needs at least one backend (delete the pool instead)",
                        List.of(new ConfigProblem("pools[" + p + "].backends", "at least one backend is required")))
                        .exception();
            }
            backends.remove(index);
        });
    }

    /** {@code {"weight": N}}. */
    private Future<Reply> setWeight(RoutingContext ctx) {
        ObjectNode body = Json.body(ctx);
        JsonNode w = body.get("weight");
        if (w == null || !w.isIntegralNumber() || !w.canConvertToInt()) {
            throw Problem.badRequest("weight", "required: a whole number (1-1000)").exception();
        }
        body.fieldNames().forEachRemaining(k -> {
            if (!k.equals("weight")) {
                throw Problem.badRequest(k, "unknown key (expected: weight)").exception();
            }
        });
        return changeBackend(ctx, b -> b.withWeight(w.intValue()));
    }

    private Future<Reply> setDraining(RoutingContext ctx, boolean draining) {
        return changeBackend(ctx, b -> b.withDraining(draining));
    }

    private Future<Reply> changeBackend(RoutingContext ctx, UnaryOperator<BackendConfig> change) {
        return editBackend(ctx, (backends, index, p) -> backends.set(index, change.apply(backends.get(index))));
    }

    /** Changes {@code backends} (a copy) at the existing {@code index}; {@code p} is the pool's index, for problems. */
    @FunctionalInterface
    private interface BackendEdit {
        void apply(List<BackendConfig> backends, int index, int p);
    }

    /**
     * A write to the existing backend {@code :id} of pool {@code :name}: 404 when either is missing, otherwise
     * {@code edit} changes a copy of the pool's backends and the pool is written back in its place.
     */
    private Future<Reply> editBackend(RoutingContext ctx, BackendEdit edit) {
        String poolName = ctx.pathParam("name");
        String id = ctx.pathParam("id");
        return writes.write(ctx, current -> {
            int p = existingPool(current, poolName);
            PoolConfig pool = current.pools().get(p);
            List<BackendConfig> backends = new ArrayList<>(pool.backends());
            edit.apply(backends, existingBackend(pool, id), p);
            return ConfigWrites.Edited.changed(replacePool(current, p, pool.withBackends(backends)));
        });
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** Answers a read with its body and ETag taken from one snapshot, so a client's If-Match fits what it read. */
    private Future<Reply> read(Function<SharedConfig, JsonNode> body) {
        VersionedConfig current = port.current();
        return Future.succeededFuture(Reply.json(body.apply(current.config())).version(current.version()));
    }

    /** Reads one element, with shape problems located where the element will sit in the whole configuration. */
    private static <T> T element(JsonNode body, Class<T> type, String path) {
        try {
            return ConfigParser.parseElement(body, type);
        } catch (ConfigException e) {
            throw Problem.invalid(e.problems().stream()
                    .map(p -> new ConfigProblem(p.path().isEmpty() ? path : path + "." + p.path(), p.message()))
                    .toList()).exception();
        }
    }

    /** {@link #element}, for a named one: a name in the body may only repeat the one in the request path. */
    private static <T> T named(JsonNode body, Class<T> type, String path, String inPath, Function<T, String> nameOf) {
        T parsed = element(body, type, path);
        String inBody = nameOf.apply(parsed);
        if (inBody != null && !inBody.equals(inPath)) {
            throw Problem.invalid(path + ".name", "\"" + inBody + "\" does not match the name in the request path \""
                    + inPath + "\" (give the same name, or none)").exception();
        }
        return parsed;
    }

    private static SharedConfig replacePool(SharedConfig current, int index, PoolConfig pool) {
        List<PoolConfig> pools = new ArrayList<>(current.pools());
        pools.set(index, pool);
        return new SharedConfig(pools, current.routes(), current.cache());
    }

    private static ObjectNode backendJson(BackendConfig b) {
        ObjectNode o = Json.object();
        String id = idOf(b.url());
        if (id != null) {
            o.put("id", id);
        }
        o.setAll((ObjectNode) ConfigWriter.toTree(b));
        return o;
    }

    /** {@code host:port} of a backend URL, or {@code null} when the URL cannot be read (validation reports it). */
    private static String idOf(String url) {
        try {
            URI u = new URI(url);
            if (u.getHost() == null) {
                return null;
            }
            return new BackendConfig(url, null, null).id();
        } catch (Exception e) {
            return null;
        }
    }

    private static int routeIndex(SharedConfig c, String name) {
        return indexOf(c.routes(), RouteConfig::name, name);
    }

    private static int poolIndex(SharedConfig c, String name) {
        return indexOf(c.pools(), PoolConfig::name, name);
    }

    /** Index of the element named {@code name}, or -1: positions matter, as they are the paths in problems. */
    private static <T> int indexOf(List<T> elements, Function<T, String> nameOf, String name) {
        for (int i = 0; i < elements.size(); i++) {
            if (name.equals(nameOf.apply(elements.get(i)))) {
                return i;
            }
        }
        return -1;
    }

    /** Index of pool {@code name}, or 404: for writes into an existing pool, which put it back at that index. */
    private static int existingPool(SharedConfig c, String name) {
        int p = poolIndex(c, name);
        if (p < 0) {
            throw noPool(name);
        }
        return p;
    }

    private static int backendIndex(PoolConfig pool, String id) {
        for (int i = 0; i < pool.backends().size(); i++) {
            String bid = idOf(pool.backends().get(i).url());
            if (bid != null && bid.toLowerCase(Locale.ROOT).equals(id.toLowerCase(Locale.ROOT))) {
                return i;
            }
        }
        return -1;
    }

    /** Index of backend {@code id} in {@code pool}, or 404. */
    private static int existingBackend(PoolConfig pool, String id) {
        int index = backendIndex(pool, id);
        if (index < 0) {
            throw noBackend(pool.name(), id);
        }
        return index;
    }

    private static PoolConfig pool(SharedConfig c, String name) {
        return c.pool(name).orElseThrow(() -> noPool(name));
    }

    private static ProblemException noRoute(String name) {
        return Problem.notFound("no route named \"" + name + "\"").exception();
    }

    private static ProblemException noPool(String name) {
        return Problem.notFound("no pool named \"" + name + "\"").exception();
    }

    private static ProblemException noBackend(String pool, String id) {
        return Problem.notFound("pool \"" + pool + "\" has no backend " + id).exception();
    }
}
