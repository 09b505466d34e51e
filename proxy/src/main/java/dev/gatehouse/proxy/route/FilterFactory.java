package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.filter.ApiKeyFilter;
import dev.gatehouse.proxy.filter.BasicAuthFilter;
import dev.gatehouse.proxy.filter.BcryptPool;
import dev.gatehouse.proxy.filter.CorsFilter;
import dev.gatehouse.proxy.filter.HeaderRulesFilter;
import dev.gatehouse.proxy.filter.IpAccessFilter;
import dev.gatehouse.proxy.filter.JwtFilter;
import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.filter.RateLimitFilter;

import dev.gatehouse.proxy.route.CompiledRoute;

import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.RouteConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a route's filter configs into filter instances, once per snapshot. A filter whose route (by name) had an
 * equal config in the previous snapshot is carried over by identity, with its state: rate buckets, remembered
 * credentials, fetched keys. Any change to a filter's config gives a fresh instance.
 */
public class FilterFactory {

    /** Live nodes of the cluster, for filters whose limits are cluster-wide; 1 when standalone. */
    public volatile java.util.function.IntSupplier clusterNodes = () -> 1;
    /** The node's bcrypt threads, shared by every Basic auth filter. */
    public final BcryptPool bcrypt;

    public FilterFactory() {
        this(BcryptPool.forNode());
    }

    public FilterFactory(BcryptPool bcrypt) {
        this.bcrypt = bcrypt;
    }

    public List<ProxyFilter> create(RouteConfig route) {
        return create(route, (CompiledRoute) null);
    }

    /**
     * @param previous the route of the same name in the snapshot being replaced, or {@code null}: its filters with
     *                 an equal config are reused (the one at the same index first, else the first unclaimed equal one)
     */
    public List<ProxyFilter> create(RouteConfig route, CompiledRoute previous) {
        List<FilterConfig> before = previous == null ? List.of() : previous.config.filters();
        boolean[] claimed = new boolean[before.size()];
        List<ProxyFilter> out = new ArrayList<>();
        for (int i = 0; i < route.filters().size(); i++) {
            FilterConfig f = route.filters().get(i);
            int reuse = i < before.size() && before.get(i).equals(f) ? i : -1;
            for (int j = 0; reuse < 0 && j < before.size(); j++) {
                if (!claimed[j] && before.get(j).equals(f)) {
                    reuse = j;
                }
            }
            if (reuse >= 0 && !claimed[reuse]) {
                claimed[reuse] = true;
                out.add(previous.filters.get(reuse));
            } else {
                out.add(create(route, f));
            }
        }
        return out;
    }

    public ProxyFilter create(RouteConfig route, FilterConfig f) {
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
            return new BasicAuthFilter(basic, bcrypt);
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
