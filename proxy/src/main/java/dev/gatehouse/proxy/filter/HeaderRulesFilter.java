package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;

/** Sets and removes headers on the way to the backend and on the way back. */
public final class HeaderRulesFilter implements ProxyFilter {

    private final FilterConfig.HeaderRules request;
    private final FilterConfig.HeaderRules response;

    public HeaderRulesFilter(FilterConfig.Headers config) {
        this.request = config.request();
        this.response = config.response();
    }

    @Override
    public void onUpstreamRequest(RequestView exchange, MultiMap headers) {
        apply(request, headers);
    }

    @Override
    public void onResponse(RequestView exchange, MultiMap headers) {
        apply(response, headers);
    }

    private static void apply(FilterConfig.HeaderRules rules, MultiMap headers) {
        for (String name : rules.remove()) {
            headers.remove(name);
        }
        rules.set().forEach(headers::set);
    }
}
