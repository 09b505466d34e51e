package dev.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Semantic checks that the shape of a configuration cannot express: references, uniqueness, ranges and clashes.
 * Every problem is reported, each with its path, so an operator fixes a file in one pass.
 */
public final class ConfigValidator {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern HOST_PATTERN = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
    private static final Pattern STATUS_RANGE = Pattern.compile("[1-5]\\d\\d(-[1-5]\\d\\d)?(,[1-5]\\d\\d(-[1-5]\\d\\d)?)*");
    private static final Set<String> RETRY_CONDITIONS = Set.of("connect-failure", "reset", "timeout");
    /** A header field value: visible characters, spaces and tabs; no CR, LF or other control characters. */
    private static final Pattern HEADER_VALUE = Pattern.compile("[\\t\\x20-\\x7e\\x80-\\x{10FFFF}]*");
    private static final Pattern ORIGIN = Pattern.compile("\\*|https?://[^/?#\\s]+");
    private static final Set<String> WILDCARD_HOSTS = Set.of("0.0.0.0", "::", "[::]", "*", "");

    private final List<ConfigProblem> problems = new ArrayList<>();
    private final boolean poolNamesKnown;

    private ConfigValidator(boolean poolNamesKnown) {
        this.poolNamesKnown = poolNamesKnown;
    }

    /** All problems of a whole node configuration (node-local and shared parts). */
    public static List<ConfigProblem> validate(GatehouseConfig config) {
        return validate(config, true);
    }

    /** All problems of the shared part alone. */
    public static List<ConfigProblem> validateShared(SharedConfig shared) {
        return validateShared(shared, true);
    }

    /**
     * As {@link #validate(GatehouseConfig)}; with {@code poolNamesKnown} false (a pool could not be read) routes
     * are not checked against the pool names, which would only repeat that problem.
     */
    static List<ConfigProblem> validate(GatehouseConfig config, boolean poolNamesKnown) {
        ConfigValidator v = new ConfigValidator(poolNamesKnown);
        v.node(config);
        v.shared(config.shared());
        return v.problems;
    }

    static List<ConfigProblem> validateShared(SharedConfig shared, boolean poolNamesKnown) {
        ConfigValidator v = new ConfigValidator(poolNamesKnown);
        v.shared(shared);
        return v.problems;
    }

    private void add(String path, String message) {
        problems.add(new ConfigProblem(path, message));
    }

    // ---- node-local -------------------------------------------------------------------------------------

    private void node(GatehouseConfig c) {
        Map<String, String> names = new HashMap<>();
        List<Bind> binds = new ArrayList<>();
        accessLog(c.accessLog());
        metrics(c.metrics());
        shutdown(c.shutdown());
        for (int i = 0; i < c.listeners().size(); i++) {
            ListenerConfig l = c.listeners().get(i);
            String p = "listeners[" + i + "]";
            name(p, l.name(), names, "listener");
            bindHost(p + ".host", l.host());
            if (l.port() == null) {
                add(p + ".port", "required");
            } else {
                bind(binds, p, l.host(), l.port());
            }
            for (int j = 0; j < l.trustedProxies().size(); j++) {
                cidr(p + ".trusted-proxies[" + j + "]", l.trustedProxies().get(j));
            }
            sizeBetween(p + ".max-header-size", l.maxHeaderSize(), 1024, 1 << 20, "1KB-1MB");
            sizeBetween(p + ".max-uri-length", l.maxUriLength(), 256, 1 << 20, "256B-1MB");
            positive(p + ".idle-timeout", l.idleTimeout());
            positive(p + ".header-timeout", l.headerTimeout());
            between(p + ".max-connections", l.maxConnections(), 0, 10_000_000, "0 (no limit) to 10000000");
            positive(p + ".send-timeout", l.sendTimeout());
            if (l.tls() != null) {
                tls(p + ".tls", l.tls());
            }
            if (l.redirectToHttps() != null) {
                between(p + ".redirect-to-https", l.redirectToHttps(), 1, 65535, "the HTTPS port, 1-65535");
                if (l.tls() != null) {
                    add(p + ".redirect-to-https", "a redirect listener is plain HTTP; remove tls or redirect-to-https");
                }
            }
            if (l.hsts() != null) {
                hsts(p + ".hsts", l.hsts(), l.tls() != null);
            }
        }
        if (c.admin() != null) {
            AdminConfig a = c.admin();
            bindHost("admin.host", a.host());
            bind(binds, "admin", a.host(), a.port());
            Set<String> tokenNames = new HashSet<>();
            for (int i = 0; i < a.tokens().size(); i++) {
                AdminConfig.AdminToken t = a.tokens().get(i);
                String p = "admin.tokens[" + i + "]";
                if (t.name() == null) {
                    add(p + ".name", "required");
                } else if (!tokenNames.add(t.name())) {
                    add(p + ".name", "duplicate token name \"" + t.name() + "\"");
                }
                sha256(p + ".token-sha256", t.tokenSha256());
            }
            if (a.tls() != null) {
                tls("admin.tls", a.tls());
            }
            for (int i = 0; i < a.allowedHosts().size(); i++) {
                String h = a.allowedHosts().get(i);
                // A bare name as it appears in a Host header without its port; "*" would undo the rebinding check.
                if (h == null || WILDCARD_HOSTS.contains(h) || !isHostOrAddress(h)) {
                    add("admin.allowed-hosts[" + i + "]", "\"" + h + "\" (expected: a host name or IP address"
                            + " without port or scheme, e.g. admin.example.com)");
                }
            }
        }
        if (c.cluster() != null) {
            ClusterConfig cl = c.cluster();
            if (cl.client() == null) {
                // In client mode this node opens no Hazelcast port, so cluster.port cannot clash.
                bindHost("cluster.host", cl.host());
                bind(binds, "cluster", cl.host(), cl.port());
                memberHost(cl);
            } else if (!cl.members().isEmpty()) {
                add("cluster", "give members (run an embedded member) or client (join an existing cluster), not both");
            }
            for (int i = 0; i < cl.members().size(); i++) {
                hostPort("cluster.members[" + i + "]", cl.members().get(i));
            }
            if (cl.client() != null) {
                if (cl.client().addresses().isEmpty()) {
                    add("cluster.client.addresses", "at least one address is required");
                }
                for (int i = 0; i < cl.client().addresses().size(); i++) {
                    hostPort("cluster.client.addresses[" + i + "]", cl.client().addresses().get(i));
                }
            }
            if (cl.secretFile() != null && cl.secretFile().isBlank()) {
                add("cluster.secret-file", "must name a file (or leave it out and set GATEHOUSE_CLUSTER_SECRET)");
            }
            if (cl.client() != null && cl.acceptClients()) {
                add("cluster.accept-clients", "only an embedded member accepts clients; this node is a client");
            }
            if (cl.kubernetes() != null) {
                kubernetes(cl);
            }
            if (cl.quorum() < 1) {
                add("cluster.quorum", cl.quorum() + " (expected: at least 1 member)");
            } else if (cl.client() != null && cl.quorum() > 1) {
                add("cluster.quorum", "only embedded members keep a quorum; this node is a client");
            } else if (cl.kubernetes() == null && cl.quorum() > Math.max(1, cl.members().size())) {
                add("cluster.quorum", cl.quorum() + " exceeds the " + cl.members().size()
                        + " members listed in cluster.members (a majority of them, e.g. 2 of 3, is the usual quorum)");
            }
        }
    }

    /** {@code cluster.kubernetes}: DNS discovery replaces the member list; the pod's own address is not loopback. */
    private void kubernetes(ClusterConfig cl) {
        ClusterConfig.KubernetesDiscovery k = cl.kubernetes();
        if (cl.client() != null) {
            add("cluster.kubernetes", "a client joins the addresses in client.addresses; give client or kubernetes,"
                    + " not both");
        }
        if (!cl.members().isEmpty()) {
            add("cluster.members", "give members (a fixed list) or kubernetes (members found through the headless"
                    + " Service), not both");
        }
        if (k.serviceDns() == null) {
            add("cluster.kubernetes.service-dns", "required (the headless Service's name, e.g."
                    + " gatehouse-hazelcast.gatehouse.svc.cluster.local)");
        } else if (k.serviceDns().startsWith("*") || !HOST_PATTERN.matcher(k.serviceDns()).matches()
                || k.serviceDns().indexOf('.') < 0) {
            add("cluster.kubernetes.service-dns", "\"" + k.serviceDns() + "\" is not a Service's DNS name (expected:"
                    + " NAME.NAMESPACE.svc.cluster.local)");
        }
        if (k.servicePort() != null) {
            between("cluster.kubernetes.service-port", k.servicePort(), 1, 65535, "1-65535");
        }
    }

    /**
     * A member listens on exactly one address of this host, picked among its interfaces by IP address: a name or a
     * wildcard matches none (Hazelcast would refuse to start), except that in Kubernetes a wildcard is the pod's own.
     */
    private void memberHost(ClusterConfig cl) {
        String host = cl.host();
        if (WILDCARD_HOSTS.contains(host)) {
            if (cl.kubernetes() == null) {
                add("cluster.host", "\"" + host + "\": a member listens on one address (expected: this host's IP"
                        + " address on the members' network, e.g. 10.0.0.11)");
            }
        } else if (!isIpLiteral(host)) {
            if (isHostOrAddress(host)) { // anything else bindHost reported
                add("cluster.host", "\"" + host + "\" is a name; a member listens on one IP address of this host"
                        + " (expected: e.g. 10.0.0.11)");
            }
        } else if (cl.kubernetes() != null && (host.startsWith("127.") || host.replace("[", "").replace("]", "")
                .equals("::1"))) {
            add("cluster.host", "\"" + host + "\" is a loopback address, which the other pods cannot reach"
                    + " (leave host out: the pod's own address)");
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.indexOf(':') >= 0 && isHostOrAddress(host);
    }

    private void accessLog(AccessLogConfig a) {
        if (a.sample() < 0 || a.sample() > 1) {
            add("access-log.sample", a.sample() + " (expected: 0.0-1.0, the fraction of requests logged)");
        }
        if (a.path() != null && (a.path().isBlank() || a.path().indexOf('\0') >= 0)) {
            add("access-log.path", "\"" + a.path() + "\" is not a file path (expected: a file, or - for standard output)");
        }
    }

    private void shutdown(ShutdownConfig s) {
        durationBetween("shutdown.readiness-delay", s.readinessDelay(), Duration.ofMinutes(10), "0s to 10m");
        if (s.drainTimeout().compareTo(Duration.ofSeconds(1)) < 0 || s.drainTimeout().compareTo(Duration.ofMinutes(10)) > 0) {
            add("shutdown.drain-timeout", Durations.format(s.drainTimeout()) + " (expected: 1s to 10m)");
        }
    }

    private void metrics(MetricsConfig m) {
        if (m.latencyBuckets().size() > 50) {
            add("metrics.latency-buckets", m.latencyBuckets().size() + " buckets (expected: at most 50)");
        }
        for (int i = 0; i < m.latencyBuckets().size(); i++) {
            Duration d = m.latencyBuckets().get(i);
            String p = "metrics.latency-buckets[" + i + "]";
            if (d.isZero() || d.isNegative()) {
                add(p, Durations.format(d) + " (expected: more than 0)");
            } else if (i > 0 && d.compareTo(m.latencyBuckets().get(i - 1)) <= 0) {
                add(p, Durations.format(d) + " is not above the previous bucket "
                        + Durations.format(m.latencyBuckets().get(i - 1)) + " (expected: ascending)");
            }
        }
        for (int i = 0; i < m.percentiles().size(); i++) {
            double q = m.percentiles().get(i);
            if (!(q > 0 && q <= 1)) {
                add("metrics.percentiles[" + i + "]", q + " (expected: above 0 and at most 1, e.g. 0.99)");
            }
        }
    }

    private void tls(String p, TlsConfig t) {
        if (t.certificates().isEmpty()) {
            add(p + ".certificates", "at least one certificate is required");
        }
        for (int i = 0; i < t.certificates().size(); i++) {
            TlsConfig.CertificateConfig cc = t.certificates().get(i);
            String cp = p + ".certificates[" + i + "]";
            if (cc.cert() == null) {
                add(cp + ".cert", "required");
            }
            if (cc.key() == null) {
                add(cp + ".key", "required");
            }
            if (cc.keyPasswordFile() != null && cc.keyPasswordEnv() != null) {
                add(cp, "give key-password-file or key-password-env, not both");
            }
        }
        if (t.clientAuth() != TlsConfig.ClientAuth.NONE && t.trust() == null) {
            add(p + ".trust", "required when client-auth is " + ConfigReader.kebab(t.clientAuth().name()));
        }
        if (t.clientAuth() == TlsConfig.ClientAuth.NONE && t.trust() != null) {
            add(p + ".trust", "is only used with client-auth request or require (client-auth is none)");
        }
        if (t.reloadInterval().compareTo(Duration.ofMillis(100)) < 0) {
            add(p + ".reload-interval", Durations.format(t.reloadInterval()) + " (expected: at least 100ms)");
        }
    }

    private void hsts(String p, HstsConfig h, boolean tls) {
        if (!tls) {
            add(p, "only on a TLS listener (browsers ignore Strict-Transport-Security over plain HTTP)");
        }
        if (h.maxAge().isNegative()) {
            add(p + ".max-age", Durations.format(h.maxAge()) + " (expected: 0 or more)");
        }
        if (h.preload() && (!h.includeSubdomains() || h.maxAge().compareTo(Duration.ofDays(365)) < 0)) {
            add(p + ".preload", "needs include-subdomains: true and a max-age of at least 365d (browser preload lists "
                    + "refuse anything less)");
        }
    }

    private void upstreamTls(String p, UpstreamTlsConfig t) {
        if ((t.cert() == null) != (t.key() == null)) {
            add(t.cert() == null ? p + ".cert" : p + ".key", "give cert and key together (a client certificate and "
                    + "its private key)");
        }
        if (t.keyPasswordFile() != null && t.keyPasswordEnv() != null) {
            add(p, "give key-password-file or key-password-env, not both");
        }
        if (t.key() == null && (t.keyPasswordFile() != null || t.keyPasswordEnv() != null)) {
            add(t.keyPasswordFile() != null ? p + ".key-password-file" : p + ".key-password-env",
                    "is only used with key");
        }
        if (t.serverName() != null && (t.serverName().startsWith("*") || !HOST_PATTERN.matcher(t.serverName()).matches())) {
            add(p + ".server-name", "\"" + t.serverName() + "\" is not a host name");
        }
        if (!t.verify() && t.ca() != null) {
            add(p + ".ca", "is not used with verify: false (remove one of them)");
        }
    }

    // ---- shared -----------------------------------------------------------------------------------------

    private void shared(SharedConfig s) {
        Map<String, String> poolNames = new HashMap<>();
        for (int i = 0; i < s.pools().size(); i++) {
            pool("pools[" + i + "]", s.pools().get(i), poolNames);
        }
        Map<String, String> routeNames = new HashMap<>();
        for (int i = 0; i < s.routes().size(); i++) {
            route("routes[" + i + "]", s.routes().get(i), routeNames, poolNames.keySet());
        }
        unreachableRoutes(s.routes());
        if (s.cache() != null) {
            cache(s.cache());
        }
    }

    private void cache(CacheConfig c) {
        long mb = 1L << 20;
        long maxSize = c.maxSize().bytes();
        boolean sizeOk = maxSize >= mb;
        if (!sizeOk) {
            add("cache.max-size", c.maxSize() + " (expected: at least 1MB)");
        }
        long entryMax = Math.min(1L << 30, sizeOk ? maxSize : Long.MAX_VALUE);
        boolean entryOk = c.maxEntrySize().bytes() >= 1024 && c.maxEntrySize().bytes() <= entryMax;
        if (!entryOk) {
            add("cache.max-entry-size", c.maxEntrySize() + " (expected: 1KB up to max-size ("
                    + c.maxSize() + ") and at most 1GB)");
        }
        between("cache.near-cache-max-entries", c.nearCacheMaxEntries(), 1, 10_000_000, "1-10000000");
        durationBetween("cache.collapse-wait", c.collapseWait(), Duration.ofSeconds(60), "0s (off) to 60s");
        durationBetween("cache.keep", c.keep(), Duration.ofDays(30), "0s to 30d");
    }

    private void routeCache(String p, RouteCacheConfig c) {
        durationBetween(p + ".default-ttl", c.defaultTtl(), Duration.ofDays(365),
                "0s (10% of the Last-Modified age, at most a day) to 365d");
    }

    private void durationBetween(String p, Duration d, Duration max, String expected) {
        if (d.isNegative() || d.compareTo(max) > 0) {
            add(p, Durations.format(d) + " (expected: " + expected + ")");
        }
    }

    private void pool(String p, PoolConfig pool, Map<String, String> names) {
        name(p, pool.name(), names, "pool");
        if (pool.backends().isEmpty()) {
            add(p + ".backends", "at least one backend is required");
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < pool.backends().size(); i++) {
            BackendConfig b = pool.backends().get(i);
            String bp = p + ".backends[" + i + "]";
            if (backendUrl(bp + ".url", b.url()) && !ids.add(b.id())) {
                add(bp + ".url", "duplicate backend " + b.id());
            }
            between(bp + ".weight", b.weight(), 1, 1000, "1-1000");
        }
        if (pool.balancer() == PoolConfig.Balancer.CONSISTENT_HASH) {
            if (pool.hashKey() == null) {
                add(p + ".hash-key", "required for consistent-hash (header:NAME, cookie:NAME, client-ip or path)");
            }
        }
        if (pool.hashKey() != null && !pool.hashKey().matches("(header|cookie):" + TOKEN.pattern() + "|client-ip|path")) {
            add(p + ".hash-key", "\"" + pool.hashKey() + "\" (expected: header:NAME, cookie:NAME, client-ip or path)");
        }
        positive(p + ".connect-timeout", pool.connectTimeout());
        positive(p + ".idle-timeout", pool.idleTimeout());
        between(p + ".max-connections", pool.maxConnections(), 1, 100_000, "1-100000");
        if (pool.tls() != null) {
            upstreamTls(p + ".tls", pool.tls());
        }
        between(p + ".panic-threshold", pool.panicThreshold(), 0, 100, "0-100 (percent)");
        if (pool.slowStart().isNegative()) {
            add(p + ".slow-start", Durations.format(pool.slowStart()) + " (expected: 0 or more)");
        }
        between(p + ".circuit-breaker.max-requests", pool.circuitBreaker().maxRequests(), 1, 1_000_000, "1-1000000");
        between(p + ".circuit-breaker.max-pending-requests", pool.circuitBreaker().maxPendingRequests(), 0, 1_000_000,
                "0-1000000");
        between(p + ".retry-budget.percent", pool.retryBudget().percent(), 0, 100, "0-100");
        between(p + ".retry-budget.min-concurrency", pool.retryBudget().minConcurrency(), 0, 10_000, "0-10000");
        HealthCheckConfig hc = pool.healthCheck();
        if (hc != null) {
            String hp = p + ".health-check";
            if (!hc.type().equals("http") && !hc.type().equals("tcp")) {
                add(hp + ".type", "\"" + hc.type() + "\" (expected: http or tcp)");
            }
            if (!hc.path().startsWith("/")) {
                add(hp + ".path", "\"" + hc.path() + "\" must start with /");
            }
            if (!STATUS_RANGE.matcher(hc.expectStatus()).matches()) {
                add(hp + ".expect-status", "\"" + hc.expectStatus() + "\" (expected e.g. 200, 200-299 or 200,204)");
            } else {
                for (String range : hc.expectStatus().split(",")) {
                    String[] ends = range.split("-");
                    if (ends.length == 2 && Integer.parseInt(ends[0]) > Integer.parseInt(ends[1])) {
                        add(hp + ".expect-status", "\"" + range + "\" is an empty range (write the low code first)");
                    }
                }
            }
            positive(hp + ".interval", hc.interval());
            positive(hp + ".timeout", hc.timeout());
            if (!hc.interval().isNegative() && !hc.interval().isZero() && hc.timeout().compareTo(hc.interval()) > 0) {
                add(hp + ".timeout", Durations.format(hc.timeout()) + " is longer than interval "
                        + Durations.format(hc.interval()) + " (probes would overlap; expected: at most the interval)");
            }
            between(hp + ".healthy-threshold", hc.healthyThreshold(), 1, 100, "1-100");
            between(hp + ".unhealthy-threshold", hc.unhealthyThreshold(), 1, 100, "1-100");
        }
        OutlierDetectionConfig od = pool.outlierDetection();
        if (od != null) {
            between(p + ".outlier-detection.consecutive-failures", od.consecutiveFailures(), 1, 1000, "1-1000");
            positive(p + ".outlier-detection.base-ejection", od.baseEjection());
            if (od.maxEjection().compareTo(od.baseEjection()) < 0) {
                add(p + ".outlier-detection.max-ejection", Durations.format(od.maxEjection())
                        + " is shorter than base-ejection " + Durations.format(od.baseEjection()));
            }
        }
    }

    private void route(String p, RouteConfig r, Map<String, String> names, Set<String> pools) {
        name(p, r.name(), names, "route");
        if (r.cache() != null) {
            routeCache(p + ".cache", r.cache());
        }
        if (r.pool() == null) {
            add(p + ".pool", "required");
        } else if (poolNamesKnown && !pools.contains(r.pool())) {
            add(p + ".pool", "unknown pool \"" + r.pool() + "\"" + ConfigReader.suggestion(r.pool(), pools)
                    + (pools.isEmpty() ? " (no pools are defined)" : " (expected one of "
                    + ConfigReader.names(new TreeSet<>(pools)) + ")"));
        }
        MatchConfig m = r.match();
        String mp = p + ".match";
        int paths = (m.pathPrefix() != null ? 1 : 0) + (m.pathExact() != null ? 1 : 0) + (m.pathRegex() != null ? 1 : 0);
        if (paths > 1) {
            add(mp, "give at most one of path-prefix, path-exact, path-regex");
        }
        matchPath(mp + ".path-prefix", m.pathPrefix());
        matchPath(mp + ".path-exact", m.pathExact());
        if (m.pathRegex() != null) {
            try {
                Pattern.compile(m.pathRegex());
            } catch (PatternSyntaxException e) {
                add(mp + ".path-regex", "bad regular expression: " + e.getDescription() + " near index " + e.getIndex());
            }
        }
        for (int i = 0; i < m.host().size(); i++) {
            String h = m.host().get(i);
            if (!HOST_PATTERN.matcher(h).matches()) {
                add(mp + ".host[" + i + "]", "\"" + h + "\" is not a host name or *.domain wildcard");
            }
        }
        methods(mp + ".methods", m.methods());
        for (Map.Entry<String, String> h : new TreeMap<>(m.headers()).entrySet()) {
            if (!TOKEN.matcher(h.getKey()).matches()) {
                add(mp + ".headers." + h.getKey(), "\"" + h.getKey() + "\" is not a header name");
            } else {
                headerValue(mp + ".headers." + h.getKey(), h.getValue());
            }
        }
        if (r.prefixRewrite() != null) {
            if (m.pathPrefix() == null) {
                add(p + ".prefix-rewrite", "needs match.path-prefix");
            }
            if (!r.prefixRewrite().startsWith("/")) {
                add(p + ".prefix-rewrite", "\"" + r.prefixRewrite() + "\" must start with /");
            } else if (notNormal(r.prefixRewrite()) != null) {
                add(p + ".prefix-rewrite", "\"" + r.prefixRewrite() + "\" " + notNormal(r.prefixRewrite())
                        + " (a rewritten path must stay inside it)");
            }
        }
        positive(p + ".timeout", r.timeout());
        between(p + ".retries.attempts", r.retries().attempts(), 1, 10, "1-10");
        if (r.retries().backoff().isNegative()) {
            add(p + ".retries.backoff", Durations.format(r.retries().backoff()) + " (expected: 0 or more)");
        }
        if (r.hedge() != null) {
            positive(p + ".hedge.delay", r.hedge().delay());
            if (r.hedge().delay().compareTo(r.timeout()) >= 0) {
                add(p + ".hedge.delay", Durations.format(r.hedge().delay()) + " is not shorter than the route timeout "
                        + Durations.format(r.timeout()));
            }
        }
        for (int i = 0; i < r.retries().on().size(); i++) {
            String on = r.retries().on().get(i);
            if (!RETRY_CONDITIONS.contains(on) && !on.matches("5\\d\\d")) {
                add(p + ".retries.on[" + i + "]", "\"" + on + "\"" + ConfigReader.suggestion(on, RETRY_CONDITIONS)
                        + " (expected: connect-failure, reset, timeout or a 5xx status)");
            }
        }
        for (int i = 0; i < r.filters().size(); i++) {
            filter(p + ".filters[" + i + "]", r.filters().get(i));
        }
    }

    private void filter(String p, FilterConfig f) {
        if (f instanceof FilterConfig.IpFilter ip) {
            if (ip.allow().isEmpty() && ip.deny().isEmpty()) {
                add(p, "give allow, deny or both");
            }
            for (int i = 0; i < ip.allow().size(); i++) {
                cidr(p + ".allow[" + i + "]", ip.allow().get(i));
            }
            for (int i = 0; i < ip.deny().size(); i++) {
                cidr(p + ".deny[" + i + "]", ip.deny().get(i));
            }
        }
        if (f instanceof FilterConfig.Headers h) {
            headerNames(p + ".request", h.request());
            headerNames(p + ".response", h.response());
        }
        if (f instanceof FilterConfig.Cors c) {
            if (c.origins().isEmpty()) {
                add(p + ".origins", "at least one origin is required (or \"*\")");
            }
            for (int i = 0; i < c.origins().size(); i++) {
                if (!ORIGIN.matcher(c.origins().get(i)).matches()) {
                    add(p + ".origins[" + i + "]", "\"" + c.origins().get(i)
                            + "\" (expected: * or scheme://host[:port], no path)");
                }
            }
            if (c.credentials() && c.origins().contains("*")) {
                // Browsers refuse "*" with credentials; echoing any origin instead would hand every site the
                // user's cookies.
                add(p + ".credentials", "true is not allowed with origins [\"*\"] (list the origins that may send "
                        + "credentials)");
            }
            methods(p + ".methods", c.methods());
            for (int i = 0; i < c.headers().size(); i++) {
                if (!TOKEN.matcher(c.headers().get(i)).matches()) {
                    add(p + ".headers[" + i + "]", "\"" + c.headers().get(i) + "\" is not a header name");
                }
            }
        }
        if (f instanceof FilterConfig.ApiKey k) {
            if (!TOKEN.matcher(k.header()).matches()) {
                add(p + ".header", "\"" + k.header() + "\" is not a header name");
            }
            if (k.keys().isEmpty()) {
                add(p + ".keys", "at least one key is required");
            }
            for (int i = 0; i < k.keys().size(); i++) {
                if (k.keys().get(i).name() == null) {
                    add(p + ".keys[" + i + "].name", "required");
                }
                sha256(p + ".keys[" + i + "].sha256", k.keys().get(i).sha256());
            }
        }
        if (f instanceof FilterConfig.Basic b) {
            if (b.realm().contains("\"") || !HEADER_VALUE.matcher(b.realm()).matches()) {
                add(p + ".realm", "must not contain quotes or control characters");
            }
            if (b.users().isEmpty()) {
                add(p + ".users", "at least one user is required");
            }
            for (int i = 0; i < b.users().size(); i++) {
                FilterConfig.BasicUser u = b.users().get(i);
                if (u.name() == null) {
                    add(p + ".users[" + i + "].name", "required");
                }
                if (u.bcrypt() == null || !u.bcrypt().matches("\\$2[abxy]?\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
                    add(p + ".users[" + i + "].bcrypt", "expected a bcrypt hash ($2y$10$...)");
                }
            }
        }
        if (f instanceof FilterConfig.Jwt j) {
            if (j.jwks() == null) {
                add(p + ".jwks", "required");
            } else {
                jwksUrl(p + ".jwks", j.jwks());
            }
            if (j.issuer() == null) {
                add(p + ".issuer", "required");
            }
        }
        if (f instanceof FilterConfig.RateLimit rl) {
            if (rl.rate() == null) {
                add(p + ".rate", "required (e.g. 100/s)");
            }
            if (rl.burst() != null) {
                between(p + ".burst", rl.burst(), 1, 1_000_000, "1-1000000");
            }
            if (rl.maxKeys() != null) {
                between(p + ".max-keys", rl.maxKeys(), 1, 10_000_000, "1-10000000");
            }
            if (!rl.scope().equals("node") && !rl.scope().equals("cluster")) {
                add(p + ".scope", "\"" + rl.scope() + "\" (expected: node or cluster)");
            }
            if (!rl.key().matches("client-ip|header:" + TOKEN.pattern() + "|jwt:[A-Za-z0-9_.-]+")) {
                add(p + ".key", "\"" + rl.key() + "\" (expected: client-ip, header:NAME or jwt:CLAIM)");
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** A JWKS given as a URL: https, or http only to a loopback host (keys fetched in clear could be swapped). */
    private void jwksUrl(String p, String jwks) {
        String lower = jwks.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("https://") && !lower.startsWith("http://")) {
            return; // a file
        }
        URI uri;
        try {
            uri = new URI(jwks);
        } catch (URISyntaxException e) {
            add(p, "\"" + jwks + "\" is not a URL");
            return;
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            add(p, "\"" + jwks + "\" (expected: https://host[:port]/path, no user info or fragment)");
        } else if (lower.startsWith("http://")
                && !List.of("127.0.0.1", "localhost", "[::1]").contains(uri.getHost().toLowerCase(Locale.ROOT))) {
            add(p, "\"" + jwks + "\": use https (http only to a loopback host)");
        }
    }

    private void name(String p, String name, Map<String, String> seen, String what) {
        if (name == null) {
            add(p + ".name", "required");
        } else if (!NAME.matcher(name).matches()) {
            add(p + ".name", "\"" + name + "\" (expected: letters, digits, '.', '_', '-'; at most 63)");
            seen.putIfAbsent(name, p); // still a name: references to it are not "unknown" as well
        } else {
            String first = seen.putIfAbsent(name, p);
            if (first != null) {
                add(p + ".name", "duplicate " + what + " name \"" + name + "\" (first at " + first + ")");
            }
        }
    }

    private boolean port(String p, Integer port) {
        if (port == null) {
            return false;
        }
        if (port < 0 || port > 65535) {
            add(p, port + " (expected: 0-65535)");
            return false;
        }
        return port != 0;
    }

    private void sizeBetween(String p, DataSize value, long min, long max, String expected) {
        if (value.bytes() < min || value.bytes() > max) {
            add(p, value + " (expected: " + expected + ")");
        }
    }

    private void between(String p, long value, long min, long max, String expected) {
        if (value < min || value > max) {
            add(p, value + " (expected: " + expected + ")");
        }
    }

    private void between(String p, Integer value, long min, long max, String expected) {
        if (value != null) {
            between(p, value.longValue(), min, max, expected);
        }
    }

    private void positive(String p, Duration d) {
        if (d != null && (d.isZero() || d.isNegative())) {
            add(p, Durations.format(d) + " (expected: more than 0)");
        }
    }

    private void cidr(String p, String value) {
        try {
            Cidr.parse(value);
        } catch (IllegalArgumentException e) {
            add(p, e.getMessage());
        }
    }

    private void sha256(String p, String value) {
        if (value == null) {
            add(p, "required (hex SHA-256 of the secret: printf %s SECRET | sha256sum)");
        } else if (!HEX_SHA256.matcher(value).matches()) {
            add(p, "expected 64 hex digits (SHA-256 of the secret)");
        }
    }

    private void headerNames(String p, FilterConfig.HeaderRules rules) {
        for (Map.Entry<String, String> h : new TreeMap<>(rules.set()).entrySet()) {
            if (!TOKEN.matcher(h.getKey()).matches()) {
                add(p + ".set." + h.getKey(), "\"" + h.getKey() + "\" is not a header name");
            } else if (FRAMING.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                add(p + ".set." + h.getKey(), "\"" + h.getKey() + "\" frames the message; the proxy writes it itself");
            } else {
                headerValue(p + ".set." + h.getKey(), h.getValue());
            }
        }
        for (int i = 0; i < rules.remove().size(); i++) {
            if (!TOKEN.matcher(rules.remove().get(i)).matches()) {
                add(p + ".remove[" + i + "]", "\"" + rules.remove().get(i) + "\" is not a header name");
            } else if (FRAMING.contains(rules.remove().get(i).toLowerCase(Locale.ROOT))) {
                add(p + ".remove[" + i + "]", "\"" + rules.remove().get(i)
                        + "\" frames the message; the proxy writes it itself");
            }
        }
    }

    /** Fields a header rule may not touch: message framing and connection management belong to the proxy. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-connection");

    private void hostPort(String p, String value) {
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? value : value.substring(0, colon);
        if (colon <= 0) {
            add(p, "\"" + value + "\" (expected: host:port, e.g. 10.0.0.5:5701)");
            return;
        }
        if (host.indexOf(':') >= 0 && !(host.startsWith("[") && host.endsWith("]"))) {
            add(p, "\"" + value + "\" (expected: host:port; write an IPv6 address in brackets, [::1]:5701)");
            return;
        }
        if (!isHostOrAddress(host)) {
            add(p, "\"" + value + "\": \"" + host + "\" is not a host name or IP address");
            return;
        }
        String port = value.substring(colon + 1);
        if (!port.matches("\\d{1,5}")) {
            add(p, "\"" + value + "\" (expected: host:port, e.g. 10.0.0.5:5701)");
        } else if (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            add(p, "\"" + value + "\": port " + Integer.parseInt(port) + " (expected: 1-65535)");
        }
    }

    /** A literal IP address ({@code 10.0.0.1}, {@code ::1}, {@code [::1]}) or a DNS host name. */
    private static boolean isHostOrAddress(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.indexOf(':') >= 0) {
            try {
                return h.indexOf('/') < 0 && Cidr.parse(h) != null;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return !h.startsWith("*") && HOST_PATTERN.matcher(h).matches();
    }

    private void bindHost(String p, String host) {
        if (host != null && !WILDCARD_HOSTS.contains(host) && !isHostOrAddress(host)) {
            add(p, "\"" + host + "\" is not an IP address or host name to listen on");
        }
    }

    /** One socket this node opens, for clash detection. */
    private record Bind(String path, String host, int port) {
    }

    /**
     * Checks a port and remembers it; two sockets clash when they use the same port and either listens on all
     * addresses or both on the same one.
     */
    private void bind(List<Bind> binds, String owner, String host, Integer port) {
        if (!port(owner + ".port", port)) {
            return;
        }
        String h = normalHost(host);
        for (Bind b : binds) {
            if (b.port() == port && (b.host().equals(h) || WILDCARD_HOSTS.contains(h)
                    || WILDCARD_HOSTS.contains(b.host()))) {
                add(owner + ".port", port + " is already used by " + b.path());
                return;
            }
        }
        binds.add(new Bind(owner, h, port));
    }

    private static String normalHost(String host) {
        if (host == null) {
            return "";
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") ? "127.0.0.1" : h;
    }

    private void matchPath(String p, String path) {
        if (path == null) {
            return;
        }
        if (!path.startsWith("/")) {
            add(p, "\"" + path + "\" must start with /");
        } else if (path.indexOf('?') >= 0 || path.indexOf('#') >= 0) {
            add(p, "\"" + path + "\": a path never contains ? or # (the query is not matched)");
        } else if (!path.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            add(p, "\"" + path + "\": spaces and control characters cannot appear in a request path "
                    + "(write them percent-encoded)");
        } else if (notNormal(path) != null) {
            add(p, "\"" + path + "\" " + notNormal(path) + " (requests are matched after RFC 3986 normalisation, so "
                    + "this never matches)");
        }
    }

    /**
     * Why a configured path is not in the form request paths take after normalisation (the listener's {@code path}
     * options), or null: a dot-segment, an empty segment (routes match with slashes merged), or a
     * percent-encoding that normalisation rewrites.
     */
    static String notNormal(String path) {
        if (path.contains("//")) {
            return "has an empty segment";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return "has a dot-segment";
            }
        }
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            String hex = i + 3 <= path.length() ? path.substring(i + 1, i + 3) : "";
            if (!hex.matches("[0-9A-F]{2}")) {
                return "has \"%" + hex + "\" (expected: two upper-case hex digits)";
            }
            char c = (char) Integer.parseInt(hex, 16);
            if (Character.isLetterOrDigit(c) && c < 0x80 || "-._~".indexOf(c) >= 0) {
                return "has \"%" + hex + "\" (write it as \"" + c + "\")";
            }
        }
        return null;
    }

    private void methods(String p, List<String> methods) {
        for (int i = 0; i < methods.size(); i++) {
            String m = methods.get(i);
            if (!TOKEN.matcher(m).matches()) {
                add(p + "[" + i + "]", "\"" + m + "\" is not an HTTP method");
            } else if (!m.equals(m.toUpperCase(Locale.ROOT))) {
                add(p + "[" + i + "]", "\"" + m + "\": methods are case-sensitive (did you mean \""
                        + m.toUpperCase(Locale.ROOT) + "\"?)");
            }
        }
    }

    private void headerValue(String p, String value) {
        if (!HEADER_VALUE.matcher(value).matches()) {
            add(p, "a header value cannot contain line breaks or control characters");
        }
    }

    /**
     * Routes are tried in order and the first match wins, so a route is dead when an earlier one matches the
     * same requests: an identical match, or a match with no condition at all. Overlaps that are only partial
     * are legitimate (specific before general) and not reported.
     */
    private void unreachableRoutes(List<RouteConfig> routes) {
        List<MatchKey> seen = new ArrayList<>();
        for (int i = 0; i < routes.size(); i++) {
            MatchKey key = MatchKey.of(routes.get(i).match());
            for (int j = 0; j < seen.size(); j++) {
                MatchKey earlier = seen.get(j);
                String first = "routes[" + j + "]" + (routes.get(j).name() == null ? "" : " (\"" + routes.get(j).name() + "\")");
                if (earlier.equals(key)) {
                    add("routes[" + i + "].match", "same match as " + first + ", which comes first; this route is never used");
                    break;
                }
                if (earlier.matchesEverything()) {
                    add("routes[" + i + "].match", first + " matches every request and comes first; "
                            + "this route is never used");
                    break;
                }
            }
            seen.add(key);
        }
    }

    /** A match normalised for comparison: host names and header names are case-insensitive, lists are sets. */
    private record MatchKey(Set<String> hosts, String pathPrefix, String pathExact, String pathRegex,
                            Set<String> methods, Map<String, String> headers) {

        static MatchKey of(MatchConfig m) {
            Set<String> hosts = new TreeSet<>();
            m.host().forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
            Map<String, String> headers = new TreeMap<>();
            m.headers().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
            String prefix = "/".equals(m.pathPrefix()) ? null : m.pathPrefix();
            return new MatchKey(hosts, prefix, m.pathExact(), m.pathRegex(), new TreeSet<>(m.methods()), headers);
        }

        boolean matchesEverything() {
            return hosts.isEmpty() && pathPrefix == null && pathExact == null && pathRegex == null && methods.isEmpty()
                    && headers.isEmpty();
        }
    }

    private boolean backendUrl(String p, String url) {
        if (url == null) {
            add(p, "required");
            return false;
        }
        try {
            if (!url.contains("://")) {
                add(p, "\"" + url + "\" has no scheme (expected: http://host:port or https://host:port)");
                return false;
            }
            URI u = new URI(url);
            if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
                add(p, "\"" + url + "\": scheme " + u.getScheme() + " is not supported (expected: http or https)");
                return false;
            }
            if (u.getHost() == null) {
                add(p, "\"" + url + "\" has no valid host (expected: http://host:port; host names are letters, "
                        + "digits, '-' and '.', no '_')");
                return false;
            }
            if (u.getPort() == 0 || u.getPort() > 65535) {
                add(p, "\"" + url + "\": port " + u.getPort() + " (expected: 1-65535)");
                return false;
            }
            if ((u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                    || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                add(p, "\"" + url + "\": a backend URL is scheme://host:port only (use prefix-rewrite for paths)");
                return false;
            }
            return true;
        } catch (URISyntaxException e) {
            add(p, "\"" + url + "\" is not a URL: " + e.getReason());
            return false;
        }
    }
}
