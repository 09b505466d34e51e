package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.RouteConfig;

import java.util.ArrayList;
import java.util.List;

/** Turns a route's filter configs into filter instances, once per snapshot. */
class FilterFactory {

    /** Live nodes of the cluster, for filters whose limits are cluster-wide; 1 when standalone. */
    volatile java.util.function.IntSupplier clusterNodes = () -> 1;

    List<ProxyFilter> create(RouteConfig route) {
        List<ProxyFilter> out = new ArrayList<>();
        for (FilterConfig f : route.filters()) {
            out.add(create(route, f));
        }
        return out;
    }

    ProxyFilter create(RouteConfig route, FilterConfig f) {
        if (f instanceof FilterConfig.Headers h) {
            return new HeaderRulesFilter(h);
        }
        if (f instanceof FilterConfig.IpFilter ip) {
            return new IpAccessFilter(ip);
        }
        if (f instanceof FilterConfig.Cors c) {
            return new CorsFilter(c);
        }
        if (f instanceof FilterConfig.ApiKey k) {
            return new ApiKeyFilter(k);
        }
        if (f instanceof FilterConfig.Basic basic) {
            return new BasicAuthFilter(basic);
        }
        if (f instanceof FilterConfig.Jwt jwt) {
            return new JwtFilter(jwt);
        }
        if (f instanceof FilterConfig.RateLimit rl) {
            // Read through the factory: the node count may be wired after the filter is built.
            return new RateLimitFilter(rl, () -> clusterNodes.getAsInt());
        }
        throw new IllegalStateException("no filter for type " + f.type());
    }
}
