package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Route matching on host, path, method and headers in declared order, and what is sent upstream. */
class RoutingIT {

    static ProxyHarness h;

    /** Every route answers with its own name in X-Route, so a response says which route took it. */
    private static String route(String name, String match, String extra) {
        return "  - name: " + name + "\n    pool: p\n    match: " + match + "\n" + extra
                + "    filters: [ { type: headers, response: { set: { X-Route: " + name + " } } } ]\n";
    }

    @BeforeAll
    static void start() {
        String yaml = "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n"
                + route("exact-host", "{ host: api.example.com, path-prefix: /host/ }", "")
                + route("wildcard-host", "{ host: \"*.example.com\", path-prefix: /host/ }", "")
                + route("first", "{ path-prefix: /order/ }", "")
                + route("second", "{ path-prefix: /order/deeper/ }", "")
                + route("exact", "{ path-exact: /exact }", "")
                + route("regex", "{ path-regex: \"/items/[0-9]+\" }", "")
                + route("methods", "{ path-prefix: /write/, methods: [POST, PUT] }", "")
                + route("header-value", "{ path-prefix: /tenant/, headers: { X-Tenant: acme } }", "")
                + route("header-any", "{ path-prefix: /tenant/, headers: { X-Tenant: \"*\" } }", "")
                + route("strip", "{ host: strip.test, path-prefix: /api/ }", "    prefix-rewrite: /\n")
                + route("v2", "{ host: v2.test, path-prefix: /api }", "    prefix-rewrite: /v2\n");
        h = ProxyHarness.start(1, yaml);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static RawHttp.Response send(String method, String host, String target, String... headers) {
        StringBuilder req = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        req.append("Host: ").append(host).append("\r\n");
        for (String header : headers) {
            req.append(header).append("\r\n");
        }
        if (method.equals("POST") || method.equals("PUT")) {
            req.append("Content-Length: 2\r\n\r\nhi");
        } else {
            req.append("\r\n");
        }
        return RawHttp.exchange(h.port(), req.toString());
    }

    private static String routeOf(String host, String target, String... headers) {
        return routeOfMethod("GET", host, target, headers);
    }

    private static String routeOfMethod(String method, String host, String target, String... headers) {
        RawHttp.Response r = send(method, host, target, headers);
        return r.status() == 404 ? "404" : r.header("X-Route");
    }

    @Test
    void exactHost() {
        assertThat(routeOf("api.example.com", "/host/x")).isEqualTo("exact-host");
    }

    @Test
    void hostIsComparedWithoutPortCaseOrTrailingDot() {
        assertThat(routeOf("API.Example.COM:8443", "/host/x")).isEqualTo("exact-host");
        assertThat(routeOf("api.example.com:80", "/host/x")).isEqualTo("exact-host");
        assertThat(routeOf("api.example.com.", "/host/x")).isEqualTo("exact-host");
    }

    @Test
    void wildcardHostMatchesSubdomainsButNotTheApex() {
        assertThat(routeOf("www.example.com", "/host/x")).isEqualTo("wildcard-host");
        assertThat(routeOf("a.b.example.com", "/host/x")).isEqualTo("wildcard-host");
        assertThat(routeOf("WWW.EXAMPLE.COM:9000", "/host/x")).isEqualTo("wildcard-host");
        assertThat(routeOf("example.com", "/host/x")).isEqualTo("404");
        assertThat(routeOf("badexample.com", "/host/x")).isEqualTo("404");
        assertThat(routeOf("www.example.org", "/host/x")).isEqualTo("404");
    }

    @Test
    void pathPrefix() {
        assertThat(routeOf("any", "/order/1")).isEqualTo("first");
        assertThat(routeOf("any", "/order")).isEqualTo("404");
    }

    @Test
    void pathExact() {
        assertThat(routeOf("any", "/exact")).isEqualTo("exact");
        assertThat(routeOf("any", "/exact?x=1")).isEqualTo("exact");
        assertThat(routeOf("any", "/exact/")).isEqualTo("404");
        assertThat(routeOf("any", "/exactly")).isEqualTo("404");
    }

    @Test
    void pathRegexMatchesTheWholePath() {
        assertThat(routeOf("any", "/items/42")).isEqualTo("regex");
        assertThat(routeOf("any", "/items/42?sort=asc")).isEqualTo("regex");
        assertThat(routeOf("any", "/items/4x")).isEqualTo("404");
        assertThat(routeOf("any", "/items/42/more")).isEqualTo("404");
        assertThat(routeOf("any", "/x/items/42")).isEqualTo("404");
    }

    @Test
    void methods() {
        assertThat(routeOfMethod("POST", "any", "/write/a")).isEqualTo("methods");
        assertThat(routeOfMethod("PUT", "any", "/write/a")).isEqualTo("methods");
        assertThat(routeOfMethod("GET", "any", "/write/a")).isEqualTo("404");
        assertThat(routeOfMethod("DELETE", "any", "/write/a")).isEqualTo("404");
    }

    @Test
    void headerValueAndWildcard() {
        assertThat(routeOf("any", "/tenant/x", "X-Tenant: acme")).isEqualTo("header-value");
        assertThat(routeOf("any", "/tenant/x", "x-tenant: acme")).isEqualTo("header-value");
        assertThat(routeOf("any", "/tenant/x", "X-Tenant: other")).isEqualTo("header-any");
        assertThat(routeOf("any", "/tenant/x")).isEqualTo("404");
    }

    @Test
    void firstMatchWinsInDeclaredOrder() {
        // "second" is more specific, but "first" is declared before it.
        assertThat(routeOf("any", "/order/deeper/x")).isEqualTo("first");
        // header-value and header-any both match acme: the earlier one wins.
        assertThat(routeOf("any", "/tenant/x", "X-Tenant: acme")).isEqualTo("header-value");
    }

    @Test
    void noRouteIs404WithShortBody() {
        int before = h.backends[0].hits.get();
        RawHttp.Response r = send("GET", "nowhere.test", "/nothing/here");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.text()).isEqualTo("no route\n");
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.header("X-Request-Id")).matches("[0-9a-f]{32}");
        assertThat(h.backends[0].hits.get()).isEqualTo(before);
    }

    @Test
    void prefixRewriteToSlash() {
        assertThat(send("GET", "strip.test", "/api/users?x=1&y=2").json().getString("uri")).isEqualTo("/users?x=1&y=2");
        assertThat(send("GET", "strip.test", "/api/").json().getString("uri")).isEqualTo("/");
        assertThat(send("GET", "strip.test", "/api/a/b/").json().getString("uri")).isEqualTo("/a/b/");
    }

    @Test
    void prefixRewriteToOtherPrefix() {
        assertThat(send("GET", "v2.test", "/api/users?q=a%20b").json().getString("uri")).isEqualTo("/v2/users?q=a%20b");
        assertThat(send("GET", "v2.test", "/api").json().getString("uri")).isEqualTo("/v2");
        assertThat(send("GET", "v2.test", "/api?x=1").json().getString("uri")).isEqualTo("/v2?x=1");
    }

    @Test
    void pathAndQueryPassUnchangedWithoutRewrite() {
        RawHttp.Response r = send("GET", "any", "/order/a%20b%C3%BC/c?x=1&x=2&empty=&flag");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getString("uri")).isEqualTo("/order/a%20b%C3%BC/c?x=1&x=2&empty=&flag");
        // An encoded slash is refused by default (listener path.escaped-slashes: reject; see PathNormalizationIT).
        assertThat(send("GET", "any", "/order/a%2Fb/c").status()).isEqualTo(400);
    }
}
