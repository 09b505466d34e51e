package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.filter.RateLimitFilter;
import dev.gatehouse.proxy.filter.RequestView;

import dev.gatehouse.proxy.route.FilterFactory;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.SharedConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Filters whose route and config are unchanged are carried over to the next snapshot with their state. */
class FilterCarryOverTest {

    static SharedConfig config(String backend, String limit, String extraFilter) {
        return ConfigParser.parseShared("""
                pools:
                  - { name: p, backends: [ { url: "http://127.0.0.1:%s" } ] }
                routes:
                  - name: r
                    pool: p
                    match: { path-prefix: /r/ }
                    filters:
                %s      - { type: rate-limit, key: "header:X-User", rate: %s, burst: 1 }
                      - { type: headers, request: { set: { X-A: b } } }
                  - { name: s, pool: p, match: { path-prefix: /s/ }, filters: [ { type: rate-limit, rate: 1/m } ] }
                """.formatted(backend, extraFilter, limit));
    }

    static List<ProxyFilter> filters(ProxyRuntime runtime, int route) {
        return runtime.current().routes().routes().get(route).filters;
    }

    @Test
    void anUnrelatedChangeKeepsTheFilterAndItsBuckets() {
        ProxyRuntime runtime = new ProxyRuntime(config("9001", "1/m", ""), 1);
        RateLimitFilter limit = (RateLimitFilter) filters(runtime, 0).get(0);
        assertThat(limit.admit("h:alice")).isNull();
        assertThat(limit.admit("h:alice")).isNotNull();

        runtime.apply(config("9002", "1/m", ""), 2); // another backend: the pool changed, the route's filters did not
        assertThat(filters(runtime, 0).get(0)).isSameAs(limit);
        assertThat(((RateLimitFilter) filters(runtime, 0).get(0)).admit("h:alice")).isNotNull();
        assertThat(filters(runtime, 1).get(0)).isInstanceOf(RateLimitFilter.class);

        // A filter inserted in front: the rate limit moved to index 1 and is still found by its config.
        runtime.apply(config("9002", "1/m", "      - { type: ip-filter, allow: [0.0.0.0/0] }\n"), 3);
        assertThat(filters(runtime, 0).get(1)).isSameAs(limit);

        // Its own config changed: a fresh filter, the old state is gone.
        runtime.apply(config("9002", "2/m", ""), 4);
        RateLimitFilter fresh = (RateLimitFilter) filters(runtime, 0).get(0);
        assertThat(fresh).isNotSameAs(limit);
        assertThat(fresh.admit("h:alice")).isNull();
    }

    @Test
    void removedFiltersAreClosed() {
        ProxyRuntime runtime = new ProxyRuntime(config("9001", "1/m", ""), 1);
        java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();
        FilterFactory watching = new FilterFactory() {
            @Override
            public ProxyFilter create(dev.gatehouse.config.RouteConfig route, dev.gatehouse.config.FilterConfig f) {
                ProxyFilter real = super.create(route, f);
                return new ProxyFilter() {
                    @Override
                    public Rejection onRequest(RequestView exchange) {
                        return real.onRequest(exchange);
                    }

                    @Override
                    public void close() {
                        closed.incrementAndGet();
                    }
                };
            }
        };
        ProxyRuntime r = new ProxyRuntime(config("9001", "1/m", ""), 1, watching);
        r.apply(config("9002", "1/m", ""), 2);
        assertThat(closed.get()).isZero();
        r.apply(config("9002", "3/m", ""), 3);
        assertThat(closed.get()).isEqualTo(1);
        assertThat(runtime.version()).isEqualTo(1);
    }
}
