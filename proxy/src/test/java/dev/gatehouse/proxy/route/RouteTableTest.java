package dev.gatehouse.proxy.route;

import dev.gatehouse.config.ConfigParser;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Route matching and URI rewriting of a compiled snapshot, without sockets. */
class RouteTableTest {

    private static final RouteTable ROUTES = new ProxyRuntime(ConfigParser.parseShared(
            "pools:\n  - name: p\n    backends:\n      - { url: \"http://127.0.0.1:9\" }\n"
                    + "routes:\n"
                    + "  - { name: api, pool: p, match: { host: [api.example.com, \"*.api.test\"], path-prefix: /api/ },"
                    + " prefix-rewrite: / }\n"
                    + "  - { name: v2, pool: p, match: { path-prefix: /old }, prefix-rewrite: /v2 }\n"
                    + "  - { name: keep, pool: p, match: { path-prefix: /keep/ }, prefix-rewrite: /keep/ }\n"
                    + "  - { name: exact, pool: p, match: { path-exact: /health, methods: [GET, HEAD] } }\n"
                    + "  - { name: regex, pool: p, match: { path-regex: \"/u/[a-z]+\", headers: { X-A: \"*\" } } }\n"
                    + "  - { name: seam, pool: p, match: { path-prefix: /s }, prefix-rewrite: /v1/public/ }\n"),
            1).current().routes();

    private static String match(String host, String path, HttpMethod method, String... headers) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        CompiledRoute r = ROUTES.match(host, path, method, h);
        return r == null ? null : r.name;
    }

    private static CompiledRoute route(String name) {
        return ROUTES.routes().stream().filter(r -> r.name.equals(name)).findFirst().orElseThrow();
    }

    @Test
    void hostsExactAndWildcard() {
        assertThat(match("api.example.com", "/api/x", HttpMethod.GET)).isEqualTo("api");
        assertThat(match("eu.api.test", "/api/x", HttpMethod.GET)).isEqualTo("api");
        assertThat(match("api.test", "/api/x", HttpMethod.GET)).isNull();
        assertThat(match(null, "/api/x", HttpMethod.GET)).isNull();
        assertThat(match("other.example.com", "/api/x", HttpMethod.GET)).isNull();
    }

    @Test
    void methodsAndExactPath() {
        assertThat(match("h", "/health", HttpMethod.HEAD)).isEqualTo("exact");
        assertThat(match("h", "/health", HttpMethod.POST)).isNull();
        assertThat(match("h", "/health/", HttpMethod.GET)).isNull();
    }

    @Test
    void regexWithHeaderPresence() {
        assertThat(match("h", "/u/abc", HttpMethod.GET, "x-a", "")).isEqualTo("regex");
        assertThat(match("h", "/u/abc", HttpMethod.GET)).isNull();
        assertThat(match("h", "/u/ABC", HttpMethod.GET, "X-A", "1")).isNull();
    }

    /** The upstream target for a client target whose path is already normal. */
    private static String rewrite(String route, String uri) {
        int q = uri.indexOf('?');
        return route(route).upstreamUri(q < 0 ? uri : uri.substring(0, q), uri);
    }

    @Test
    void prefixRewrites() {
        assertThat(rewrite("api", "/api/users?id=1")).isEqualTo("/users?id=1");
        assertThat(rewrite("api", "/api/")).isEqualTo("/");
        assertThat(rewrite("v2", "/old")).isEqualTo("/v2");
        assertThat(rewrite("v2", "/old/a/b?c")).isEqualTo("/v2/a/b?c");
        assertThat(rewrite("v2", "/old?x")).isEqualTo("/v2?x");
        assertThat(rewrite("keep", "/keep/a")).isEqualTo("/keep/a");
        assertThat(rewrite("exact", "/health?full")).isEqualTo("/health?full");
    }

    @Test
    void anUnchangedTargetIsTheClientsOwnInstance() {
        String uri = "/health?full";
        assertThat(route("exact").upstreamUri("/health", uri)).isSameAs(uri);
    }

    @Test
    void theNormalisedPathIsSentWithTheQueryAsSent() {
        // The client sent /./health?a=%2e%2e; the query is never touched.
        assertThat(route("exact").upstreamUri("/health", "/./health?a=%2e%2e/..")).isEqualTo("/health?a=%2e%2e/..");
        // Absolute form: the origin form goes upstream.
        assertThat(route("exact").upstreamUri("/health", "http://h/health?x")).isEqualTo("/health?x");
    }

    @Test
    void routesMatchWithSlashesMerged() {
        assertThat(match("h", "//health", HttpMethod.GET)).isEqualTo("exact");
        assertThat(match("api.example.com", "//api//x", HttpMethod.GET)).isEqualTo("api");
        // ... and a rewrite applies to the merged path, so "//api/x" cannot skip it.
        assertThat(route("api").upstreamUri("//api/x", "//api/x?q")).isEqualTo("/x?q");
        String plain = new String("/a/b");
        assertThat(RouteTable.mergeSlashes(plain)).isSameAs(plain);
        assertThat(RouteTable.mergeSlashes("///a//b/")).isEqualTo("/a/b/");
    }

    @Test
    void aRewriteNeverLeavesItsPrefix() {
        // path-prefix /s without a slash: what follows it can join the rewrite's last segment into a dot-segment.
        assertThat(rewrite("seam", "/sx/y")).isEqualTo("/v1/public/x/y");
        assertThat(rewrite("seam", "/s../secret")).isNull();
        assertThat(rewrite("seam", "/s..")).isNull();
        assertThat(rewrite("seam", "/s.")).isNull();
        assertThat(rewrite("seam", "/s..;x/secret")).isNull();
        assertThat(rewrite("seam", "/s..\\secret")).isNull();
        assertThat(rewrite("seam", "/s%2E%2E/secret")).isNull();
        assertThat(rewrite("seam", "/s.../secret")).isEqualTo("/v1/public/.../secret");
    }
}
