package dev.gatehouse.proxy;

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
                    + "  - { name: regex, pool: p, match: { path-regex: \"/u/[a-z]+\", headers: { X-A: \"*\" } } }\n"),
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

    @Test
    void prefixRewrites() {
        CompiledRoute api = route("api");
        assertThat(api.upstreamUri("/api/users?id=1")).isEqualTo("/users?id=1");
        assertThat(api.upstreamUri("/api/")).isEqualTo("/");
        CompiledRoute v2 = route("v2");
        assertThat(v2.upstreamUri("/old")).isEqualTo("/v2");
        assertThat(v2.upstreamUri("/old/a/b?c")).isEqualTo("/v2/a/b?c");
        assertThat(v2.upstreamUri("/old?x")).isEqualTo("/v2?x");
        assertThat(route("keep").upstreamUri("/keep/a")).isEqualTo("/keep/a");
        assertThat(route("exact").upstreamUri("/health?full")).isEqualTo("/health?full");
    }
}
