package dev.gatehouse.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

import java.util.List;

/** The compiled routes of one snapshot, tried in declared order; the first that matches wins. */
final class RouteTable {

    private final CompiledRoute[] routes;

    RouteTable(List<CompiledRoute> routes) {
        this.routes = routes.toArray(CompiledRoute[]::new);
    }

    /**
     * @param host lower-case host without port, or {@code null} when the request has none
     * @return the route, or {@code null}
     */
    CompiledRoute match(String host, String path, HttpMethod method, MultiMap headers) {
        for (CompiledRoute r : routes) {
            if (r.matches(host, path, method, headers)) {
                return r;
            }
        }
        return null;
    }

    List<CompiledRoute> routes() {
        return List.of(routes);
    }
}
