package dev.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    private final List<ConfigProblem> problems = new ArrayList<>();

    private ConfigValidator() {
    }

    /** All problems of a whole node configuration (node-local and shared parts). */
    public static List<ConfigProblem> validate(GatehouseConfig config) {
        ConfigValidator v = new ConfigValidator();
        v.node(config);
        v.shared(config.shared());
        return v.problems;
    }

    /** All problems of the shared part alone. */
    public static List<ConfigProblem> validateShared(SharedConfig shared) {
        ConfigValidator v = new ConfigValidator();
        v.shared(shared);
        return v.problems;
    }

    private void add(String path, String message) {
        problems.add(new ConfigProblem(path, message));
    }

    // ---- node-local -------------------------------------------------------------------------------------

    private void node(GatehouseConfig c) {
        Map<String, String> names = new HashMap<>();
        Map<Integer, String> ports = new HashMap<>();
        for (int i = 0; i < c.listeners().size(); i++) {
            ListenerConfig l = c.listeners().get(i);
            String p = "listeners[" + i + "]";
            name(p, l.name(), names, "listener");
            if (l.port() == null) {
                add(p + ".port", "required");
            } else if (port(p + ".port", l.port())) {
                String clash = ports.putIfAbsent(l.port(), p);
                if (clash != null) {
                    add(p + ".port", l.port() + " is already used by " + clash);
                }
            }
            for (int j = 0; j < l.trustedProxies().size(); j++) {
                cidr(p + ".trusted-proxies[" + j + "]", l.trustedProxies().get(j));
            }
            between(p + ".max-header-size", l.maxHeaderSize().bytes(), 1024, 1 << 20, "1KB-1MB");
            between(p + ".max-uri-length", l.maxUriLength().bytes(), 256, 1 << 20, "256B-1MB");
            positive(p + ".idle-timeout", l.idleTimeout());
            positive(p + ".header-timeout", l.headerTimeout());
            if (l.tls() != null) {
                tls(p + ".tls", l.tls());
            }
        }
        if (c.admin() != null) {
            AdminConfig a = c.admin();
            if (port("admin.port", a.port())) {
                String clash = ports.get(a.port());
                if (clash != null) {
                    add("admin.port", a.port() + " is already used by " + clash);
                }
            }
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
        }
        if (c.cluster() != null) {
            ClusterConfig cl = c.cluster();
            port("cluster.port", cl.port());
            if (cl.port() != null && ports.containsKey(cl.port())) {
                add("cluster.port", cl.port() + " is already used by " + ports.get(cl.port()));
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
        if (s.cache().maxEntrySize().bytes() > s.cache().maxSize().bytes()) {
            add("cache.max-entry-size", s.cache().maxEntrySize() + " is larger than cache.max-size "
                    + s.cache().maxSize());
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
            }
            positive(hp + ".interval", hc.interval());
            positive(hp + ".timeout", hc.timeout());
            between(hp + ".healthy-threshold", hc.healthyThreshold(), 1, 100, "1-100");
            between(hp + ".unhealthy-threshold", hc.unhealthyThreshold(), 1, 100, "1-100");
        }
        OutlierDetectionConfig od = pool.outlierDetection();
        if (od != null) {
            between(p + ".outlier-detection.consecutive-failures", od.consecutiveFailures(), 1, 1000, "1-1000");
            positive(p + ".outlier-detection.base-ejection", od.baseEjection());
        }
    }

    private void route(String p, RouteConfig r, Map<String, String> names, Set<String> pools) {
        name(p, r.name(), names, "route");
        if (r.pool() == null) {
            add(p + ".pool", "required");
        } else if (!pools.contains(r.pool())) {
            add(p + ".pool", "unknown pool \"" + r.pool() + "\"" + ConfigReader.suggestion(r.pool(), pools)
                    + (pools.isEmpty() ? " (no pools are defined)" : " (expected one of "
                    + ConfigReader.names(new java.util.TreeSet<>(pools)) + ")"));
        }
        MatchConfig m = r.match();
        String mp = p + ".match";
        int paths = (m.pathPrefix() != null ? 1 : 0) + (m.pathExact() != null ? 1 : 0) + (m.pathRegex() != null ? 1 : 0);
        if (paths > 1) {
            add(mp, "give at most one of path-prefix, path-exact, path-regex");
        }
        if (m.pathPrefix() != null && !m.pathPrefix().startsWith("/")) {
            add(mp + ".path-prefix", "\"" + m.pathPrefix() + "\" must start with /");
        }
        if (m.pathExact() != null && !m.pathExact().startsWith("/")) {
            add(mp + ".path-exact", "\"" + m.pathExact() + "\" must start with /");
        }
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
        for (int i = 0; i < m.methods().size(); i++) {
            if (!TOKEN.matcher(m.methods().get(i)).matches()) {
                add(mp + ".methods[" + i + "]", "\"" + m.methods().get(i) + "\" is not an HTTP method");
            }
        }
        for (String h : m.headers().keySet()) {
            if (!TOKEN.matcher(h).matches()) {
                add(mp + ".headers." + h, "\"" + h + "\" is not a header name");
            }
        }
        if (r.prefixRewrite() != null) {
            if (m.pathPrefix() == null) {
                add(p + ".prefix-rewrite", "needs match.path-prefix");
            }
            if (!r.prefixRewrite().startsWith("/")) {
                add(p + ".prefix-rewrite", "\"" + r.prefixRewrite() + "\" must start with /");
            }
        }
        positive(p + ".timeout", r.timeout());
        between(p + ".retries.attempts", r.retries().attempts(), 1, 10, "1-10");
        for (int i = 0; i < r.retries().on().size(); i++) {
            String on = r.retries().on().get(i);
            if (!RETRY_CONDITIONS.contains(on) && !on.matches("5\\d\\d")) {
                add(p + ".retries.on[" + i + "]", "\"" + on + "\" (expected: connect-failure, reset, timeout or a 5xx status)");
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
        }
        if (f instanceof FilterConfig.ApiKey k) {
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
            if (!rl.scope().equals("node") && !rl.scope().equals("cluster")) {
                add(p + ".scope", "\"" + rl.scope() + "\" (expected: node or cluster)");
            }
            if (!rl.key().matches("client-ip|header:" + TOKEN.pattern() + "|jwt:[A-Za-z0-9_.-]+")) {
                add(p + ".key", "\"" + rl.key() + "\" (expected: client-ip, header:NAME or jwt:CLAIM)");
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private void name(String p, String name, Map<String, String> seen, String what) {
        if (name == null) {
            add(p + ".name", "required");
        } else if (!NAME.matcher(name).matches()) {
            add(p + ".name", "\"" + name + "\" (expected: letters, digits, '.', '_', '-'; at most 63)");
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
        for (String h : rules.set().keySet()) {
            if (!TOKEN.matcher(h).matches()) {
                add(p + ".set." + h, "\"" + h + "\" is not a header name");
            }
        }
        for (int i = 0; i < rules.remove().size(); i++) {
            if (!TOKEN.matcher(rules.remove().get(i)).matches()) {
                add(p + ".remove[" + i + "]", "\"" + rules.remove().get(i) + "\" is not a header name");
            }
        }
    }

    private void hostPort(String p, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            add(p, "\"" + value + "\" (expected: host:port)");
            return;
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 1 || port > 65535) {
                add(p, "\"" + value + "\": port " + port + " (expected: 1-65535)");
            }
        } catch (NumberFormatException e) {
            add(p, "\"" + value + "\" (expected: host:port)");
        }
    }

    private boolean backendUrl(String p, String url) {
        if (url == null) {
            add(p, "required");
            return false;
        }
        try {
            URI u = new URI(url);
            if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
                add(p, "\"" + url + "\" (expected: http://host:port or https://host:port)");
                return false;
            }
            if (u.getHost() == null) {
                add(p, "\"" + url + "\" has no host");
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
