package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.filter.ProxyFilter;

import dev.gatehouse.config.MatchConfig;
import dev.gatehouse.config.RouteConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A route with its predicates, pool and policies resolved for the hot path. Immutable. */
public final class CompiledRoute {

    public final RouteConfig config;
    public final String name;
    public final BackendPool pool;
    public final List<ProxyFilter> filters;
    /** Whether a filter edits the upstream request's headers (else its head is written without a header map). */
    public final boolean filtersEditUpstreamRequest;
    public final long timeoutMillis;
    public final int attempts;
    public final boolean retryConnectFailure;
    public final boolean retryReset;
    public final boolean retryTimeout;
    final boolean[] retryStatus = new boolean[600];
    /** -1 = the listener's limit applies; 0 = unlimited. */
    public final long maxBodyBytes;
    /** 0 = no hedging. */
    public final long hedgeDelayNanos;
    /** With {@code retries.on: [timeout]}: each try gets timeout / attempts; 0 = only the whole-request deadline. */
    public final long perTryTimeoutNanos;
    public final long retryBackoffMillis;
    public final boolean compression;
    /** The route's use of the response cache; {@code null} when it does not cache. */
    public final RouteCaching caching;
    private final String[] exactHosts;
    private final String[] wildcardSuffixes;
    private final String pathPrefix;
    private final String pathExact;
    private final Pattern pathRegex;
    private final Set<HttpMethod> methods;
    private final Map.Entry<String, String>[] headers;
    private final String prefixRewrite;

    @SuppressWarnings("unchecked")
    CompiledRoute(RouteConfig config, BackendPool pool, List<ProxyFilter> filters) {
        this(config, pool, filters, null);
    }

    CompiledRoute(RouteConfig config, BackendPool pool, List<ProxyFilter> filters, dev.gatehouse.config.CacheConfig cache) {
        this.caching = RouteCaching.of(config.cache(), cache);
        this.config = config;
        this.name = config.name();
        this.pool = pool;
        this.filters = List.copyOf(filters);
        this.filtersEditUpstreamRequest = this.filters.stream().anyMatch(CompiledRoute::editsUpstreamRequest);
        this.timeoutMillis = config.timeout().toMillis();
        this.attempts = config.retries().attempts();
        this.retryConnectFailure = config.retries().on().contains("connect-failure");
        this.retryReset = config.retries().on().contains("reset");
        this.retryTimeout = config.retries().on().contains("timeout");
        for (String on : config.retries().on()) {
            if (on.matches("\\d{3}")) {
                retryStatus[Integer.parseInt(on)] = true;
            }
        }
        this.maxBodyBytes = config.maxBodySize() == null ? -1 : config.maxBodySize().bytes();
        this.compression = config.compression();
        this.hedgeDelayNanos = config.hedge() == null ? 0 : config.hedge().delay().toNanos();
        this.perTryTimeoutNanos = retryTimeout && attempts > 1 ? config.timeout().toNanos() / attempts : 0;
        this.retryBackoffMillis = config.retries().backoff().toMillis();
        MatchConfig m = config.match();
        this.exactHosts = m.host().stream().filter(h -> !h.startsWith("*."))
                .map(h -> stripDot(h.toLowerCase(Locale.ROOT))).toArray(String[]::new);
        this.wildcardSuffixes = m.host().stream().filter(h -> h.startsWith("*."))
                .map(h -> stripDot(h.substring(1).toLowerCase(Locale.ROOT))).toArray(String[]::new);
        this.pathPrefix = m.pathPrefix();
        this.pathExact = m.pathExact();
        this.pathRegex = m.pathRegex() == null ? null : Pattern.compile(m.pathRegex());
        this.methods = m.methods().stream().map(s -> HttpMethod.valueOf(s.toUpperCase(Locale.ROOT)))
                .collect(Collectors.toUnmodifiableSet());
        this.headers = m.headers().entrySet().toArray(Map.Entry[]::new);
        this.prefixRewrite = config.prefixRewrite();
    }

    private static String stripDot(String h) {
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    boolean matches(String host, String path, HttpMethod method, MultiMap requestHeaders) {
        if (exactHosts.length + wildcardSuffixes.length > 0 && !hostMatches(host)) {
            return false;
        }
        if (pathPrefix != null && !path.startsWith(pathPrefix)) {
            return false;
        }
        if (pathExact != null && !path.equals(pathExact)) {
            return false;
        }
        if (pathRegex != null && !pathRegex.matcher(path).matches()) {
            return false;
        }
        if (!methods.isEmpty() && !methods.contains(method)) {
            return false;
        }
        for (Map.Entry<String, String> h : headers) {
            String v = requestHeaders.get(h.getKey());
            if (v == null || !(h.getValue().equals("*") || h.getValue().equals(v))) {
                return false;
            }
        }
        return true;
    }

    private boolean hostMatches(String host) {
        if (host == null) {
            return false;
        }
        for (String h : exactHosts) {
            if (h.equals(host)) {
                return true;
            }
        }
        for (String suffix : wildcardSuffixes) {
            // "*.example.com" matches "a.example.com" and "a.b.example.com" but not "example.com".
            if (host.length() > suffix.length() && host.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The request target to send upstream: the normalised {@code path}, its prefix replaced when the route rewrites
     * it, and the query of the client's {@code uri} untouched; {@code uri} itself when that is the same. {@code null}
     * when the rewritten path would leave the rewrite's prefix (a dot-segment formed at the seam, e.g. path-prefix
     * {@code /api} and {@code /api../x}): the caller answers 400.
     */
    public String upstreamUri(String path, String uri) {
        int q = uri.indexOf('?');
        String out = path;
        if (prefixRewrite != null && path.startsWith("/")) {
            // The route was matched with slashes merged (RouteTable.match); so is the path it rewrites.
            String base = path.startsWith(pathPrefix) ? path : RouteTable.mergeSlashes(path);
            if (base.startsWith(pathPrefix)) {
                String rest = base.substring(pathPrefix.length());
                if (prefixRewrite.endsWith("/") && rest.startsWith("/")) {
                    rest = rest.substring(1);
                }
                out = prefixRewrite + rest;
                if (PathNormalizer.hasDotSegment(out)) {
                    return null;
                }
            }
        } else if (uri.startsWith(path) && (q < 0 ? uri.length() : q) == path.length()) {
            return uri;
        }
        return q < 0 ? out : out + uri.substring(q);
    }

    public boolean retryOnStatus(int status) {
        return status < retryStatus.length && retryStatus[status];
    }

    private static boolean editsUpstreamRequest(ProxyFilter f) {
        try {
            return f.getClass().getMethod("onUpstreamRequest", dev.gatehouse.proxy.filter.RequestView.class,
                    io.vertx.core.MultiMap.class).getDeclaringClass() != ProxyFilter.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }
}
