package dev.gatehouse.proxy.route;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

import java.util.List;

/** The compiled routes of one snapshot, tried in declared order; the first that matches wins. */
public final class RouteTable {

    private final CompiledRoute[] routes;
    /** The caching of some route, for unsafe requests on routes that do not cache to invalidate with (RFC 9111 §4.4). */
    private final RouteCaching anyCaching;

    RouteTable(List<CompiledRoute> routes) {
        this.anyCaching = routes.stream().map(r -> r.caching).filter(java.util.Objects::nonNull).findFirst()
                .orElse(null);
        this.routes = routes.toArray(CompiledRoute[]::new);
    }

    /**
     * @param host lower-case host without port, or {@code null} when the request has none
     * @param path the normalised path ({@link PathNormalizer}); matched with slashes merged, so that {@code //admin/x}
     *             meets the route for {@code /admin/} even where the listener forwards it unmerged
     * @return the route, or {@code null}
     */
    public CompiledRoute match(String host, String path, HttpMethod method, MultiMap headers) {
        path = mergeSlashes(path);
        for (CompiledRoute r : routes) {
            if (r.matches(host, path, method, headers)) {
                return r;
            }
        }
        return null;
    }

    /** {@code path} with every run of slashes made one; the same instance when it has none. */
    static String mergeSlashes(String path) {
        if (path.indexOf("//") < 0) {
            return path;
        }
        StringBuilder b = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '/' || b.isEmpty() || b.charAt(b.length() - 1) != '/') {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Some route's caching, or {@code null} when no route caches. */
    public RouteCaching anyCaching() {
        return anyCaching;
    }

    public List<CompiledRoute> routes() {
        return List.of(routes);
    }
}
