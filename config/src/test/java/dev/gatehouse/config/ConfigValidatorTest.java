package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.LISTENER;
import static dev.gatehouse.config.Configs.POOL;
import static dev.gatehouse.config.Configs.ROUTE;
import static dev.gatehouse.config.Configs.SHA256;
import static dev.gatehouse.config.Configs.onlyProblem;
import static dev.gatehouse.config.Configs.problems;
import static dev.gatehouse.config.Configs.resource;
import static dev.gatehouse.config.Configs.tail;
import static dev.gatehouse.config.Configs.withFilters;
import static dev.gatehouse.config.Configs.withListener;
import static dev.gatehouse.config.Configs.withPool;
import static dev.gatehouse.config.Configs.withRoute;
import static dev.gatehouse.config.Configs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Semantic problems: one test per rule, asserting the exact path and a fragment of the message. */
class ConfigValidatorTest {

    @Test
    void theSkeletonIsValid() {
        assertThat(ConfigParser.parse(yaml(LISTENER, POOL, ROUTE)).routes()).hasSize(1);
    }

    @Test
    void everyErrorOfAFileIsReportedAtOnce() {
        List<ConfigProblem> problems = problems(resource("invalid/ten-errors.yaml"));

        assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
                "listeners[0].port",
                "listeners[1].name",
                "pools[0].balancr",
                "pools[0].backends[0].url",
                "pools[1].hash-key",
                "pools[1].backends[0].weight",
                "routes[0].timeout",
                "routes[1].match.path-prefix",
                "routes[1].pool",
                "cache.max-size");
    }

    @Test
    void unknownPoolIsReportedAsTheDesignSays() {
        String text = """
                listeners: [ { name: public, port: 8080 } ]
                pools:
                  - { name: api, backends: [ { url: "http://127.0.0.1:9001" } ] }
                  - { name: web, backends: [ { url: "http://127.0.0.1:9002" } ] }
                routes:
                  - { name: a, match: { path-prefix: /a/ }, pool: api }
                  - { name: b, match: { path-prefix: /b/ }, pool: web }
                  - { name: c, match: { path-prefix: /c/ }, pool: apii }
                """;

        ConfigProblem p = onlyProblem(text, "routes[2].pool", "unknown pool \"apii\"");

        assertThat(p).hasToString("routes[2].pool: unknown pool \"apii\" (did you mean \"api\"?) "
                + "(expected one of [api, web])");
    }

    @Test
    void unknownPoolWhenThereAreNoPools() {
        onlyProblem("listeners: [ { " + LISTENER + " } ]\nroutes: [ { " + ROUTE + " } ]\n", "routes[0].pool",
                "unknown pool \"api\" (no pools are defined)");
    }

    @Test
    void routeWithoutPool() {
        onlyProblem(yaml(LISTENER, POOL, "name: api"), "routes[0].pool", "required");
    }

    @Nested
    class Names {

        @Test
        void duplicateListenerNames() {
            String text = "listeners:\n  - { name: public, port: 8080 }\n  - { name: public, port: 8081 }\n"
                    + "pools: [ { " + POOL + " } ]\nroutes: [ { " + ROUTE + " } ]\n";

            onlyProblem(text, "listeners[1].name", "duplicate listener name \"public\" (first at listeners[0])");
        }

        @Test
        void duplicatePoolNames() {
            String text = "listeners: [ { " + LISTENER + " } ]\npools:\n  - { " + POOL + " }\n  - { " + POOL + " }\n"
                    + "routes: [ { " + ROUTE + " } ]\n";

            onlyProblem(text, "pools[1].name", "duplicate pool name \"api\" (first at pools[0])");
        }

        @Test
        void duplicateRouteNames() {
            String text = "listeners: [ { " + LISTENER + " } ]\npools: [ { " + POOL + " } ]\nroutes:\n"
                    + "  - { name: api, pool: api, match: { path-prefix: /a/ } }\n"
                    + "  - { name: api, pool: api, match: { path-prefix: /b/ } }\n";

            onlyProblem(text, "routes[1].name", "duplicate route name \"api\" (first at routes[0])");
        }

        @Test
        void missingName() {
            onlyProblem(yaml("port: 8080", POOL, ROUTE), "listeners[0].name", "required");
        }

        @ParameterizedTest
        @ValueSource(strings = {"\"my pool\"", "\"-api\"", "\"api/v1\"", "\"\""})
        void badName(String name) {
            String text = yaml(LISTENER, "name: " + name + ", backends: [ { url: \"http://a:1\" } ]",
                    "name: api, pool: " + name);

            onlyProblem(text, "pools[0].name", "(expected: letters, digits, '.', '_', '-'; at most 63)");
        }
    }

    @Nested
    class Listeners {

        @Test
        void portOutOfRange() {
            onlyProblem(yaml("name: public, port: 70000", POOL, ROUTE), "listeners[0].port", "70000 (expected: 0-65535)");
        }

        @Test
        void negativePort() {
            onlyProblem(yaml("name: public, port: -1", POOL, ROUTE), "listeners[0].port", "-1 (expected: 0-65535)");
        }

        @Test
        void missingPort() {
            onlyProblem(yaml("name: public", POOL, ROUTE), "listeners[0].port", "required");
        }

        @Test
        void portZeroMeansAnyFreePortAndNeverClashes() {
            String text = "listeners:\n  - { name: a, port: 0 }\n  - { name: b, port: 0 }\n"
                    + "pools: [ { " + POOL + " } ]\nroutes: [ { " + ROUTE + " } ]\nadmin: { port: 0 }\n";

            assertThat(ConfigParser.parse(text).listeners()).hasSize(2);
        }

        @Test
        void portClashBetweenListeners() {
            String text = "listeners:\n  - { name: a, port: 8080 }\n  - { name: b, port: 8080 }\n"
                    + "pools: [ { " + POOL + " } ]\nroutes: [ { " + ROUTE + " } ]\n";

            onlyProblem(text, "listeners[1].port", "8080 is already used by listeners[0]");
        }

        @Test
        void samePortOnDifferentAddressesIsFine() {
            String text = "listeners:\n  - { name: a, host: 10.0.0.1, port: 8080 }\n"
                    + "  - { name: b, host: 10.0.0.2, port: 8080 }\n"
                    + "pools: [ { " + POOL + " } ]\nroutes: [ { " + ROUTE + " } ]\n";

            assertThat(ConfigParser.parse(text).listeners()).hasSize(2);
        }

        @Test
        void allAddressesClashWithASpecificOne() {
            String text = "listeners:\n  - { name: a, host: 10.0.0.1, port: 8080 }\n  - { name: b, port: 8080 }\n"
                    + "pools: [ { " + POOL + " } ]\nroutes: [ { " + ROUTE + " } ]\n";

            onlyProblem(text, "listeners[1].port", "8080 is already used by listeners[0]");
        }

        @Test
        void portClashWithAdmin() {
            onlyProblem(tail("admin: { port: 8080 }\n"), "admin.port", "8080 is already used by listeners[0]");
        }

        @Test
        void localhostIsTheLoopbackAddress() {
            String text = yaml("name: public, host: 127.0.0.1, port: 9090", POOL, ROUTE,
                    "admin: { host: localhost, port: 9090 }\n");

            onlyProblem(text, "admin.port", "9090 is already used by listeners[0]");
        }

        @Test
        void portClashWithCluster() {
            onlyProblem(tail("cluster: { port: 8080 }\n"), "cluster.port", "8080 is already used by listeners[0]");
        }

        @Test
        void portClashBetweenAdminAndCluster() {
            onlyProblem(tail("admin: { port: 5701 }\ncluster: { members: [127.0.0.1:5701] }\n"), "cluster.port",
                    "5701 is already used by admin");
        }

        @Test
        void clusterClientOpensNoPort() {
            assertThat(ConfigParser.parse(tail("admin: { port: 5701 }\ncluster: { client: { addresses: [10.0.0.5:5701] } }\n"))
                    .cluster().client().addresses()).containsExactly("10.0.0.5:5701");
        }

        @Test
        void badBindHost() {
            onlyProblem(withListener("host: \"not a host\""), "listeners[0].host",
                    "\"not a host\" is not an IP address or host name to listen on");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0.0.0.0", "\"::\"", "127.0.0.1", "\"::1\"", "localhost", "proxy-1.internal"})
        void goodBindHosts(String host) {
            assertThat(ConfigParser.parse(withListener("host: " + host)).listeners()).hasSize(1);
        }

        @Test
        void maxHeaderSizeTooSmall() {
            onlyProblem(withListener("max-header-size: 512B"), "listeners[0].max-header-size",
                    "512B (expected: 1KB-1MB)");
        }

        @Test
        void maxHeaderSizeTooLarge() {
            onlyProblem(withListener("max-header-size: 2MB"), "listeners[0].max-header-size", "2MB (expected: 1KB-1MB)");
        }

        @Test
        void maxUriLengthTooSmall() {
            onlyProblem(withListener("max-uri-length: 100"), "listeners[0].max-uri-length",
                    "100B (expected: 256B-1MB)");
        }

        @Test
        void zeroTimeouts() {
            List<ConfigProblem> problems = problems(withListener("idle-timeout: 0s, header-timeout: 0ms"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "listeners[0].idle-timeout: 0s (expected: more than 0)",
                    "listeners[0].header-timeout: 0s (expected: more than 0)");
        }

        @Test
        void connectionLimitsAndSendTimeout() {
            List<ConfigProblem> problems = problems(withListener("max-connections: -1, send-timeout: 0s"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "listeners[0].max-connections: -1 (expected: 0 (no limit) to 10000000)",
                    "listeners[0].send-timeout: 0s (expected: more than 0)");
        }

        @Test
        void connectionLimitDefaults() {
            ListenerConfig l = ConfigParser.parse(withListener("host: 127.0.0.1")).listeners().get(0);

            assertThat(l.maxConnections()).isEqualTo(20_000);
            assertThat(l.sendTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
            assertThat(ConfigParser.parse(withListener("max-connections: 0, send-timeout: 250ms")).listeners().get(0))
                    .extracting(ListenerConfig::maxConnections, ListenerConfig::sendTimeout)
                    .containsExactly(0, java.time.Duration.ofMillis(250));
        }

        @Test
        void badTrustedProxy() {
            onlyProblem(withListener("trusted-proxies: [10.0.0.0/8, 10.0.0.0/33]"), "listeners[0].trusted-proxies[1]",
                    "\"10.0.0.0/33\": prefix 33 (expected: 0-32)");
        }

        @Test
        void trustedProxyThatIsAHostName() {
            onlyProblem(withListener("trusted-proxies: [lb.internal]"), "listeners[0].trusted-proxies[0]",
                    "\"lb.internal\" is not an IP address or CIDR block");
        }
    }

    @Nested
    class Tls {

        private String tls(String tls) {
            return withListener("tls: { " + tls + " }");
        }

        @Test
        void validTls() {
            GatehouseConfig c = ConfigParser.parse(tls("certificates: [ { cert: a.pem, key: a.key } ]"));

            assertThat(c.listeners().get(0).isTls()).isTrue();
            assertThat(c.listeners().get(0).tls().clientAuth()).isEqualTo(TlsConfig.ClientAuth.NONE);
        }

        @Test
        void clientAuthRequireWithoutTrust() {
            onlyProblem(tls("certificates: [ { cert: a.pem, key: a.key } ], client-auth: require"),
                    "listeners[0].tls.trust", "required when client-auth is require");
        }

        @Test
        void clientAuthRequestWithoutTrust() {
            onlyProblem(tls("certificates: [ { cert: a.pem, key: a.key } ], client-auth: request"),
                    "listeners[0].tls.trust", "required when client-auth is request");
        }

        @Test
        void bothKeyPasswordSources() {
            onlyProblem(tls("certificates: [ { cert: a.pem, key: a.key, key-password-file: /run/p, "
                            + "key-password-env: P } ]"),
                    "listeners[0].tls.certificates[0]", "give key-password-file or key-password-env, not both");
        }

        @Test
        void noCertificates() {
            onlyProblem(tls("client-auth: none"), "listeners[0].tls.certificates", "at least one certificate is required");
        }

        @Test
        void certificateWithoutKey() {
            onlyProblem(tls("certificates: [ { cert: a.pem } ]"), "listeners[0].tls.certificates[0].key", "required");
        }

        @Test
        void adminTlsIsCheckedToo() {
            onlyProblem(tail("admin: { tls: { certificates: [ { key: a.key } ] } }\n"),
                    "admin.tls.certificates[0].cert", "required");
        }
    }

    @Nested
    class Pools {

        @Test
        void noBackends() {
            onlyProblem(yaml(LISTENER, "name: api", ROUTE), "pools[0].backends", "at least one backend is required");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "127.0.0.1:9001         | has no scheme (expected: http://host:port or https://host:port)",
                "localhost:9001         | has no scheme",
                "ftp://127.0.0.1:21     | scheme ftp is not supported (expected: http or https)",
                "http://127.0.0.1:9001/api | a backend URL is scheme://host:port only (use prefix-rewrite for paths)",
                "http://127.0.0.1:9001?a=b | a backend URL is scheme://host:port only",
                "http://user:pw@b:9001  | a backend URL is scheme://host:port only",
                "http://127.0.0.1:70000 | port 70000 (expected: 1-65535)",
                "http://127.0.0.1:0     | port 0 (expected: 1-65535)",
                "http://:9001           | has no valid host",
                "http://my_backend:9001 | has no valid host",
                "http://a b:1           | is not a URL",
        })
        void badBackendUrls(String url, String fragment) {
            onlyProblem(yaml(LISTENER, "name: api, backends: [ { url: \"" + url + "\" } ]", ROUTE),
                    "pools[0].backends[0].url", fragment);
        }

        @ParameterizedTest
        @ValueSource(strings = {"http://127.0.0.1:9001", "https://api.internal", "HTTP://a:1/", "http://[::1]:8080"})
        void goodBackendUrls(String url) {
            assertThat(ConfigParser.parse(yaml(LISTENER, "name: api, backends: [ { url: \"" + url + "\" } ]", ROUTE))
                    .pools().get(0).backends()).hasSize(1);
        }

        @Test
        void missingBackendUrl() {
            onlyProblem(yaml(LISTENER, "name: api, backends: [ { weight: 2 } ]", ROUTE), "pools[0].backends[0].url",
                    "required");
        }

        @Test
        void duplicateBackend() {
            onlyProblem(yaml(LISTENER, "name: api, backends: [ { url: \"http://a:80\" }, { url: \"http://a\" } ]",
                    ROUTE), "pools[0].backends[1].url", "duplicate backend a:80");
        }

        @ParameterizedTest
        @ValueSource(ints = {0, -1, 1001})
        void weightOutOfRange(int weight) {
            onlyProblem(yaml(LISTENER, "name: api, backends: [ { url: \"http://a:1\", weight: " + weight + " } ]",
                    ROUTE), "pools[0].backends[0].weight", weight + " (expected: 1-1000)");
        }

        @Test
        void consistentHashWithoutHashKey() {
            onlyProblem(withPool("balancer: consistent-hash"), "pools[0].hash-key",
                    "required for consistent-hash (header:NAME, cookie:NAME, client-ip or path)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"header:", "query:id", "header:X User", "ip", "cookie"})
        void badHashKey(String key) {
            onlyProblem(withPool("balancer: consistent-hash, hash-key: \"" + key + "\""), "pools[0].hash-key",
                    "\"" + key + "\" (expected: header:NAME, cookie:NAME, client-ip or path)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"header:X-User", "cookie:session", "client-ip", "path"})
        void goodHashKeys(String key) {
            assertThat(ConfigParser.parse(withPool("balancer: consistent-hash, hash-key: \"" + key + "\""))
                    .pools().get(0).hashKey()).isEqualTo(key);
        }

        @Test
        void maxConnectionsOutOfRange() {
            onlyProblem(withPool("max-connections: 0"), "pools[0].max-connections", "0 (expected: 1-100000)");
        }

        @Test
        void zeroConnectTimeout() {
            onlyProblem(withPool("connect-timeout: 0ms"), "pools[0].connect-timeout", "0s (expected: more than 0)");
        }

        @Test
        void healthCheckProblems() {
            List<ConfigProblem> problems = problems(withPool("health-check: { type: udp, path: health, "
                    + "expect-status: \"2xx\", interval: 0s, healthy-threshold: 0, unhealthy-threshold: 101 }"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "pools[0].health-check.type: \"udp\" (expected: http or tcp)",
                    "pools[0].health-check.path: \"health\" must start with /",
                    "pools[0].health-check.expect-status: \"2xx\" (expected e.g. 200, 200-299 or 200,204)",
                    "pools[0].health-check.interval: 0s (expected: more than 0)",
                    "pools[0].health-check.healthy-threshold: 0 (expected: 1-100)",
                    "pools[0].health-check.unhealthy-threshold: 101 (expected: 1-100)");
        }

        @Test
        void healthCheckTimeoutLongerThanInterval() {
            onlyProblem(withPool("health-check: { interval: 1s, timeout: 2s }"), "pools[0].health-check.timeout",
                    "2s is longer than interval 1s (probes would overlap; expected: at most the interval)");
        }

        @Test
        void healthCheckTimeoutEqualToIntervalIsFine() {
            assertThat(ConfigParser.parse(withPool("health-check: { interval: 2s, timeout: 2s }")).pools()).hasSize(1);
        }

        @Test
        void healthCheckStatusRangeBackwards() {
            onlyProblem(withPool("health-check: { expect-status: \"200,399-200\" }"),
                    "pools[0].health-check.expect-status", "\"399-200\" is an empty range");
        }

        @Test
        void healthCheckStatusAsNumber() {
            assertThat(ConfigParser.parse(withPool("health-check: { expect-status: 204 }")).pools().get(0)
                    .healthCheck().expectStatus()).isEqualTo("204");
        }

        @Test
        void outlierDetectionProblems() {
            List<ConfigProblem> problems = problems(withPool("outlier-detection: { consecutive-failures: 0, "
                    + "base-ejection: 30s, max-ejection: 10s }"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "pools[0].outlier-detection.consecutive-failures: 0 (expected: 1-1000)",
                    "pools[0].outlier-detection.max-ejection: 10s is shorter than base-ejection 30s");
        }
    }

    @Nested
    class Routes {

        @Test
        void moreThanOnePathMatcher() {
            onlyProblem(withRoute("match: { path-prefix: /a, path-exact: /a }"), "routes[0].match",
                    "give at most one of path-prefix, path-exact, path-regex");
        }

        @Test
        void pathPrefixMustStartWithSlash() {
            onlyProblem(withRoute("match: { path-prefix: api/ }"), "routes[0].match.path-prefix",
                    "\"api/\" must start with /");
        }

        @Test
        void pathExactMustStartWithSlash() {
            onlyProblem(withRoute("match: { path-exact: health }"), "routes[0].match.path-exact",
                    "\"health\" must start with /");
        }

        @Test
        void pathWithQueryNeverMatches() {
            onlyProblem(withRoute("match: { path-exact: \"/search?q=x\" }"), "routes[0].match.path-exact",
                    "a path never contains ? or #");
        }

        @Test
        void pathWithSpace() {
            onlyProblem(withRoute("match: { path-prefix: \"/my files/\" }"), "routes[0].match.path-prefix",
                    "write them percent-encoded");
        }

        @Test
        void badRegex() {
            onlyProblem(withRoute("match: { path-regex: \"^/users/([0-9]+$\" }"), "routes[0].match.path-regex",
                    "bad regular expression: Unclosed group near index");
        }

        @Test
        void badHostPattern() {
            onlyProblem(withRoute("match: { host: [api.example.com, \"api.*.com\"] }"), "routes[0].match.host[1]",
                    "\"api.*.com\" is not a host name or *.domain wildcard");
        }

        @Test
        void lowerCaseMethodIsAProblem() {
            onlyProblem(withRoute("match: { methods: [GET, post] }"), "routes[0].match.methods[1]",
                    "\"post\": methods are case-sensitive (did you mean \"POST\"?)");
        }

        @Test
        void methodThatIsNotAToken() {
            onlyProblem(withRoute("match: { methods: [\"GET, POST\"] }"), "routes[0].match.methods[0]",
                    "\"GET, POST\" is not an HTTP method");
        }

        @Test
        void badMatchHeaderName() {
            onlyProblem(withRoute("match: { headers: { \"X Tenant\": acme } }"), "routes[0].match.headers.X Tenant",
                    "\"X Tenant\" is not a header name");
        }

        @Test
        void matchHeaderValueWithLineBreak() {
            onlyProblem(withRoute("match: { headers: { X-Tenant: \"acme\\r\\nX-Admin: 1\" } }"),
                    "routes[0].match.headers.X-Tenant", "cannot contain line breaks");
        }

        @Test
        void prefixRewriteWithoutPathPrefix() {
            onlyProblem(withRoute("match: { path-exact: /a }, prefix-rewrite: /b"), "routes[0].prefix-rewrite",
                    "needs match.path-prefix");
        }

        @Test
        void prefixRewriteMustStartWithSlash() {
            onlyProblem(withRoute("match: { path-prefix: /a/ }, prefix-rewrite: b/"), "routes[0].prefix-rewrite",
                    "\"b/\" must start with /");
        }

        @Test
        void zeroTimeout() {
            onlyProblem(withRoute("timeout: 0s"), "routes[0].timeout", "0s (expected: more than 0)");
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 11})
        void retryAttemptsOutOfRange(int attempts) {
            onlyProblem(withRoute("retries: { attempts: " + attempts + " }"), "routes[0].retries.attempts",
                    attempts + " (expected: 1-10)");
        }

        @Test
        void retryOnBadValueWithSuggestion() {
            onlyProblem(withRoute("retries: { on: [502, connect_failure] }"), "routes[0].retries.on[1]",
                    "\"connect_failure\" (did you mean \"connect-failure\"?) (expected: connect-failure, reset, "
                            + "timeout or a 5xx status)");
        }

        @Test
        void retryOnANonServerErrorStatus() {
            onlyProblem(withRoute("retries: { on: [404] }"), "routes[0].retries.on[0]", "\"404\" (expected:");
        }

        @Test
        void identicalMatchMakesTheLaterRouteUnreachable() {
            String text = "listeners: [ { " + LISTENER + " } ]\npools: [ { " + POOL + " } ]\nroutes:\n"
                    + "  - { name: a, pool: api, match: { host: API.example.com, methods: [GET, POST] } }\n"
                    + "  - { name: b, pool: api, match: { host: other.example.com } }\n"
                    + "  - { name: c, pool: api, match: { host: api.example.com, methods: [POST, GET] } }\n";

            onlyProblem(text, "routes[2].match", "same match as routes[0] (\"a\"), which comes first; "
                    + "this route is never used");
        }

        @Test
        void catchAllBeforeOtherRoutesMakesThemUnreachable() {
            String text = "listeners: [ { " + LISTENER + " } ]\npools: [ { " + POOL + " } ]\nroutes:\n"
                    + "  - { name: all, pool: api, match: { path-prefix: / } }\n"
                    + "  - { name: api, pool: api, match: { path-prefix: /api/ } }\n";

            onlyProblem(text, "routes[1].match", "routes[0] (\"all\") matches every request and comes first");
        }

        @Test
        void specificBeforeGeneralIsFine() {
            String text = "listeners: [ { " + LISTENER + " } ]\npools: [ { " + POOL + " } ]\nroutes:\n"
                    + "  - { name: api-get, pool: api, match: { path-prefix: /api/, methods: [GET] } }\n"
                    + "  - { name: api, pool: api, match: { path-prefix: /api/ } }\n"
                    + "  - { name: tenant, pool: api, match: { headers: { X-Tenant: acme } } }\n"
                    + "  - { name: all, pool: api }\n";

            assertThat(ConfigParser.parse(text).routes()).hasSize(4);
        }
    }

    @Nested
    class Filters {

        @Test
        void ipFilterWithBadCidrs() {
            List<ConfigProblem> problems = problems(withFilters(
                    "{ type: ip-filter, allow: [10.0.0.0/8, 10.0.0.256], deny: [\"10.0.9.0/x\"] }"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "routes[0].filters[0].allow[1]: \"10.0.0.256\" is not an IP address or CIDR block "
                            + "(expected e.g. 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32)",
                    "routes[0].filters[0].deny[0]: \"10.0.9.0/x\" has a bad prefix length (expected: 0-32)");
        }

        @Test
        void ipFilterWithNothing() {
            onlyProblem(withFilters("{ type: ip-filter }"), "routes[0].filters[0]", "give allow, deny or both");
        }

        @Test
        void rateLimitWithoutRate() {
            onlyProblem(withFilters("{ type: rate-limit, burst: 10 }"), "routes[0].filters[0].rate",
                    "required (e.g. 100/s)");
        }

        @Test
        void rateLimitBadKeyScopeBurst() {
            List<ConfigProblem> problems = problems(withFilters(
                    "{ type: rate-limit, rate: 10/s, key: \"query:x\", scope: global, burst: 0 }"));

            assertThat(problems).extracting(ConfigProblem::path).containsExactly(
                    "routes[0].filters[0].burst", "routes[0].filters[0].scope", "routes[0].filters[0].key");
        }

        @Test
        void apiKeyShaMustBeHex() {
            onlyProblem(withFilters("{ type: api-key, keys: [ { name: ci, sha256: not-a-hash } ] }"),
                    "routes[0].filters[0].keys[0].sha256", "expected 64 hex digits (SHA-256 of the secret)");
        }

        @Test
        void apiKeyProblems() {
            List<ConfigProblem> problems = problems(withFilters(
                    "{ type: api-key, header: \"X Key\", keys: [ { sha256: " + SHA256 + " }, { name: b } ] }"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "routes[0].filters[0].header: \"X Key\" is not a header name",
                    "routes[0].filters[0].keys[0].name: required",
                    "routes[0].filters[0].keys[1].sha256: required (hex SHA-256 of the secret: "
                            + "printf %s SECRET | sha256sum)");
        }

        @Test
        void apiKeyWithoutKeys() {
            onlyProblem(withFilters("{ type: api-key }"), "routes[0].filters[0].keys", "at least one key is required");
        }

        @Test
        void basicWithBadHash() {
            onlyProblem(withFilters("{ type: basic, users: [ { name: alice, bcrypt: secret } ] }"),
                    "routes[0].filters[0].users[0].bcrypt", "expected a bcrypt hash");
        }

        @Test
        void basicRealmWithQuote() {
            onlyProblem(withFilters("{ type: basic, realm: 'say \"hi\"', users: [ { name: a, bcrypt: "
                            + "\"$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\" } ] }"),
                    "routes[0].filters[0].realm", "must not contain quotes");
        }

        @Test
        void jwtNeedsIssuerAndJwks() {
            List<ConfigProblem> problems = problems(withFilters("{ type: jwt, audience: api }"));

            assertThat(problems).extracting(ConfigProblem::path)
                    .containsExactly("routes[0].filters[0].jwks", "routes[0].filters[0].issuer");
        }

        @Test
        void headersFilterNamesAndValues() {
            List<ConfigProblem> problems = problems(withFilters("{ type: headers, request: { set: { \"X:A\": b, "
                    + "X-B: \"1\\n2\" }, remove: [\"bad header\"] }, response: { remove: [X-Ok] } }"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "routes[0].filters[0].request.set.X-B: a header value cannot contain line breaks or control "
                            + "characters",
                    "routes[0].filters[0].request.set.X:A: \"X:A\" is not a header name",
                    "routes[0].filters[0].request.remove[0]: \"bad header\" is not a header name");
        }

        @Test
        void headersFilterCannotTouchFraming() {
            List<ConfigProblem> problems = problems(withFilters("{ type: headers, request: { set: { "
                    + "Content-Length: \"0\" }, remove: [Transfer-Encoding] }, response: { set: { Connection: close } } }"));

            assertThat(problems).extracting(ConfigProblem::path).containsExactly(
                    "routes[0].filters[0].request.set.Content-Length", "routes[0].filters[0].request.remove[0]",
                    "routes[0].filters[0].response.set.Connection");
        }

        @Test
        void corsProblems() {
            List<ConfigProblem> problems = problems(withFilters("{ type: cors, origins: [\"https://a.com/app\", "
                    + "app.example.com], methods: [get], headers: [\"X Y\"] }"));

            assertThat(problems).extracting(ConfigProblem::path).containsExactly(
                    "routes[0].filters[0].origins[0]", "routes[0].filters[0].origins[1]",
                    "routes[0].filters[0].methods[0]", "routes[0].filters[0].headers[0]");
        }

        @Test
        void corsWithoutOrigins() {
            onlyProblem(withFilters("{ type: cors }"), "routes[0].filters[0].origins", "at least one origin");
        }

        @Test
        void corsAnyOrigin() {
            assertThat(ConfigParser.parse(withFilters("{ type: cors, origins: [\"*\"] }")).routes()).hasSize(1);
        }

        @Test
        void corsAnyOriginWithCredentials() {
            onlyProblem(withFilters("{ type: cors, origins: [\"*\"], credentials: true }"),
                    "routes[0].filters[0].credentials", "true is not allowed with origins [\"*\"]");
        }

        @Test
        void corsListedOriginsWithCredentials() {
            assertThat(ConfigParser.parse(withFilters("{ type: cors, origins: [\"https://app.example.com\"], "
                    + "credentials: true }")).routes()).hasSize(1);
        }

        @Test
        void jwtJwksUrls() {
            assertThat(ConfigParser.parse(withFilters("{ type: jwt, issuer: i, jwks: \"https://id.example.com/jwks\" }"))
                    .routes()).hasSize(1);
            assertThat(ConfigParser.parse(withFilters("{ type: jwt, issuer: i, jwks: \"http://127.0.0.1:8081/k\" }"))
                    .routes()).hasSize(1);
            onlyProblem(withFilters("{ type: jwt, issuer: i, jwks: \"http://id.example.com/jwks\" }"),
                    "routes[0].filters[0].jwks", "use https (http only to a loopback host)");
            onlyProblem(withFilters("{ type: jwt, issuer: i, jwks: \"https://user@id.example.com/jwks\" }"),
                    "routes[0].filters[0].jwks", "no user info or fragment");
        }

        @Test
        void rateLimitMaxKeys() {
            onlyProblem(withFilters("{ type: rate-limit, rate: 10/s, max-keys: 0 }"),
                    "routes[0].filters[0].max-keys", "0 (expected: 1-10000000)");
            FilterConfig.RateLimit rl = (FilterConfig.RateLimit) ConfigParser.parse(withFilters(
                    "{ type: rate-limit, rate: 10/s, max-keys: 5000 }")).routes().get(0).filters().get(0);
            assertThat(rl.keyLimit()).isEqualTo(5000);
        }
    }

    @Nested
    class NodeLocal {

        @Test
        void everyCacheKeyIsAccepted() {
            GatehouseConfig c = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE + ", cache: { enabled: true,"
                            + " default-ttl: 5m, store-set-cookie: true, strip-cdn-cache-control: true }",
                    "cache: { max-size: 64MB, max-entry-size: 4MB, eviction: lfu, near-cache-max-entries: 500,"
                            + " collapse-wait: 2s, keep: 2h }\n"));

            assertThat(c.cache()).isEqualTo(new CacheConfig(DataSize.ofMegabytes(64), DataSize.ofMegabytes(4),
                    CacheConfig.Eviction.LFU, 500, Duration.ofSeconds(2), Duration.ofHours(2)));
            assertThat(c.routes().get(0).cache()).isEqualTo(new RouteCacheConfig(true, Duration.ofMinutes(5), true,
                    true));
        }

        @Test
        void cacheBoundsAreInclusive() {
            GatehouseConfig low = ConfigParser.parse(tail("cache: { max-size: 1MB, max-entry-size: 1KB,"
                    + " near-cache-max-entries: 1, collapse-wait: 0s, keep: 0s }\n"));
            GatehouseConfig high = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE + ", cache: { default-ttl: 365d }",
                    "cache: { max-size: 4GB, max-entry-size: 1GB, near-cache-max-entries: 10000000,"
                            + " collapse-wait: 60s, keep: 30d }\n"));

            assertThat(low.cache().collapseWait()).as("0 turns collapsing off").isZero();
            assertThat(low.cache().maxEntrySize().bytes()).isEqualTo(1024);
            assertThat(high.cache().keep()).isEqualTo(Duration.ofDays(30));
            assertThat(high.routes().get(0).cache().defaultTtl()).isEqualTo(Duration.ofDays(365));
            assertThat(ConfigParser.parse(tail("cache: { max-size: 2MB, max-entry-size: 2MB }\n")).cache()
                    .maxEntrySize()).as("an entry may be as large as the whole cache").isEqualTo(DataSize.ofMegabytes(2));
        }

        @Test
        void cacheValuesOutOfRangeAreReportedPrecisely() {
            onlyProblem(tail("cache: { max-size: 512KB }\n"), "cache.max-size", "512KB (expected: at least 1MB)");
            onlyProblem(tail("cache: { max-entry-size: 512MB }\n"), "cache.max-entry-size",
                    "512MB (expected: 1KB up to max-size (256MB) and at most 1GB)");
            onlyProblem(tail("cache: { max-entry-size: 100B }\n"), "cache.max-entry-size",
                    "100B (expected: 1KB up to max-size (256MB) and at most 1GB)");
            onlyProblem(tail("cache: { max-size: 4GB, max-entry-size: 2GB }\n"), "cache.max-entry-size",
                    "2GB (expected: 1KB up to max-size (4GB) and at most 1GB)");
            onlyProblem(tail("cache: { near-cache-max-entries: 0 }\n"), "cache.near-cache-max-entries",
                    "0 (expected: 1-10000000)");
            onlyProblem(tail("cache: { near-cache-max-entries: 10000001 }\n"), "cache.near-cache-max-entries",
                    "10000001 (expected: 1-10000000)");
            onlyProblem(tail("cache: { eviction: random }\n"), "cache.eviction", "\"random\" is not one of [lru, lfu]");
            onlyProblem(tail("cache: { collapse-wait: 61s }\n"), "cache.collapse-wait",
                    "61s (expected: 0s (off) to 60s)");
            onlyProblem(tail("cache: { collapse-wait: 5 }\n"), "cache.collapse-wait", "write the unit");
            onlyProblem(tail("cache: { keep: 31d }\n"), "cache.keep", "31d (expected: 0s to 30d)");
        }

        @Test
        void routeCacheValuesAreReportedPrecisely() {
            onlyProblem(withRoute("cache: { default-ttl: 366d }"), "routes[0].cache.default-ttl",
                    "366d (expected: 0s (10% of the Last-Modified age, at most a day) to 365d)");
            onlyProblem(withRoute("cache: { enabled: yes }"), "routes[0].cache.enabled", "expected true or false");
            onlyProblem(withRoute("cache: { store-set-cookie: 1 }"), "routes[0].cache.store-set-cookie",
                    "expected true or false");
            onlyProblem(withRoute("cache: { strip-cdn-cache-control: \"true\" }"),
                    "routes[0].cache.strip-cdn-cache-control", "expected true or false");
            onlyProblem(withRoute("cache: { enable: true }"), "routes[0].cache.enable",
                    "unknown key (did you mean \"enabled\"?)");
            onlyProblem(withRoute("cache: true"), "routes[0].cache", "expected a mapping");
        }

        @Test
        void aNegativeDurationBuiltInCodeIsRejected() {
            SharedConfig s = new SharedConfig(List.of(), List.of(new RouteConfig("r", null, "p", null, null, null,
                    new RouteCacheConfig(true, Duration.ofSeconds(-1)), null, null, null, null, null)),
                    new CacheConfig(null, null, null, null, Duration.ofMillis(-5), Duration.ofSeconds(-1)));

            assertThat(ConfigValidator.validateShared(s, false)).extracting(ConfigProblem::path)
                    .containsExactly("routes[0].cache.default-ttl", "cache.collapse-wait", "cache.keep");
        }

        @Test
        void unknownCacheKeysStayRejected() {
            onlyProblem(tail("cache: { max-sise: 8MB }\n"), "cache.max-sise", "unknown key (did you mean \"max-size\"?)");
            onlyProblem(tail("cache: { ttl: 1m }\n"), "cache.ttl", "unknown key");
        }

        @Test
        void aNearCacheSizeIsRejectedPointingToTheEntryCount() {
            onlyProblem(tail("cache: { max-size: 256MB, near-cache: 32MB }\n"), "cache.near-cache",
                    "not supported: a near cache is bounded by entry count, not size (use near-cache-max-entries");
        }

        @Test
        void cacheDefaultsThatEarlierVersionsStoredStillLoad() {
            GatehouseConfig c = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE + ", cache: { enabled: false, default-ttl: 0s }",
                    "cache: { max-size: 256MB, max-entry-size: 8MB }\n"));

            assertThat(c.cache()).isEqualTo(CacheConfig.DEFAULT);
            assertThat(c.cache().eviction()).isEqualTo(CacheConfig.Eviction.LRU);
            assertThat(c.cache().nearCacheMaxEntries()).isEqualTo(10_000);
            assertThat(ConfigParser.parse(yaml(LISTENER, POOL, ROUTE, "cache: { max-size: 256MB, max-entry-size: 8MB,"
                    + " eviction: lru, near-cache-max-entries: 10000 }\n")).cache()).isEqualTo(CacheConfig.DEFAULT);
            assertThat(c.routes().get(0).cache()).isEqualTo(RouteCacheConfig.DISABLED);
        }

        @Test
        void adminTokenWithoutSha() {
            onlyProblem(tail("admin: { tokens: [ { name: ops, role: write } ] }\n"), "admin.tokens[0].token-sha256",
                    "required (hex SHA-256 of the secret");
        }

        @Test
        void adminTokenProblems() {
            List<ConfigProblem> problems = problems(tail("admin:\n  tokens:\n"
                    + "    - { name: ops, token-sha256: " + SHA256 + " }\n"
                    + "    - { name: ops, token-sha256: abc }\n"
                    + "    - { token-sha256: " + SHA256 + ", role: admin }\n"));

            assertThat(problems).extracting(ConfigProblem::toString).containsExactly(
                    "admin.tokens[2].role: \"admin\" is not one of [read, write]",
                    "admin.tokens[1].name: duplicate token name \"ops\"",
                    "admin.tokens[1].token-sha256: expected 64 hex digits (SHA-256 of the secret)",
                    "admin.tokens[2].name: required");
        }

        @Test
        void adminAllowedHostsAreBareNames() {
            assertThat(ConfigParser.parse(tail("admin: { allowed-hosts: [ admin.example.com, 10.0.0.5, \"[::1]\" ] }\n"))
                    .admin().allowedHosts()).containsExactly("admin.example.com", "10.0.0.5", "[::1]");
            onlyProblem(tail("admin: { allowed-hosts: [ \"admin.example.com:9090\" ] }\n"), "admin.allowed-hosts[0]",
                    "without port or scheme");
            onlyProblem(tail("admin: { allowed-hosts: [ ok.example.com, \"*\" ] }\n"), "admin.allowed-hosts[1]",
                    "\"*\" (expected: a host name or IP address");
            onlyProblem(tail("admin: { allowed-hosts: [ \"*.example.com\" ] }\n"), "admin.allowed-hosts[0]",
                    "expected: a host name");
            onlyProblem(tail("admin: { allowed-hosts: [ \"http://admin.example.com\" ] }\n"), "admin.allowed-hosts[0]",
                    "expected: a host name");
        }

        @Test
        void adminTokenRoleDefaultsToRead() {
            assertThat(ConfigParser.parse(tail("admin: { tokens: [ { name: ops, token-sha256: " + SHA256 + " } ] }\n"))
                    .admin().tokens().get(0).role()).isEqualTo(AdminConfig.Role.READ);
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "127.0.0.1       | \"127.0.0.1\" (expected: host:port, e.g. 10.0.0.5:5701)",
                "gatehouse-2     | (expected: host:port",
                "10.0.0.2:       | (expected: host:port",
                "10.0.0.2:http   | (expected: host:port",
                "10.0.0.2:70000  | port 70000 (expected: 1-65535)",
                "::1:5701        | write an IPv6 address in brackets, [::1]:5701",
                "bad_host:5701   | \"bad_host\" is not a host name or IP address",
        })
        void badClusterMembers(String member, String fragment) {
            onlyProblem(tail("cluster: { port: 5702, members: [\"" + member + "\"] }\n"), "cluster.members[0]",
                    fragment);
        }

        @Test
        void clusterClientWithoutAddresses() {
            onlyProblem(tail("cluster: { client: { cluster-name: prod } }\n"), "cluster.client.addresses",
                    "at least one address is required");
        }

        @Test
        void clusterMembersAndClientTogether() {
            onlyProblem(tail("cluster: { members: [10.0.0.1:5701], client: { addresses: [10.0.0.5:5701] } }\n"),
                    "cluster", "give members (run an embedded member) or client (join an existing cluster), not both");
        }

        @Test
        void clusterSecretFileAndAcceptClients() {
            GatehouseConfig c = ConfigParser.parse(tail(
                    "cluster: { members: [10.0.0.1:5701], secret-file: /etc/gatehouse/secret, accept-clients: true }\n"));
            assertThat(c.cluster().secretFile()).isEqualTo("/etc/gatehouse/secret");
            assertThat(c.cluster().acceptClients()).isTrue();
            assertThat(ConfigParser.parse(tail("cluster: { port: 5702 }\n")).cluster().acceptClients()).isFalse();
        }

        @Test
        void clusterSecretFileBlank() {
            onlyProblem(tail("cluster: { secret-file: \"\" }\n"), "cluster.secret-file",
                    "must name a file (or leave it out and set GATEHOUSE_CLUSTER_SECRET)");
        }

        @Test
        void clusterClientCannotAcceptClients() {
            onlyProblem(tail("cluster: { client: { addresses: [10.0.0.5:5701] }, accept-clients: true }\n"),
                    "cluster.accept-clients", "only an embedded member accepts clients; this node is a client");
        }

        @Test
        void clusterKubernetesDiscovery() {
            ClusterConfig c = ConfigParser.parse(tail("cluster: { port: 5701, kubernetes: { service-dns: "
                    + "gatehouse-hazelcast.gatehouse.svc.cluster.local } }\n")).cluster();
            assertThat(c.kubernetes().serviceDns()).isEqualTo("gatehouse-hazelcast.gatehouse.svc.cluster.local");
            assertThat(c.kubernetes().servicePort()).isNull();
            assertThat(c.host()).as("the pod's own address").isEqualTo("0.0.0.0");
            assertThat(c.members()).isEmpty();
        }

        @Test
        void clusterKubernetesNeedsServiceDns() {
            onlyProblem(tail("cluster: { kubernetes: { service-port: 5701 } }\n"), "cluster.kubernetes.service-dns",
                    "required (the headless Service's name, e.g. gatehouse-hazelcast.gatehouse.svc.cluster.local)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"gatehouse", "*.gatehouse.svc", "bad_name.svc", "http://gatehouse.svc"})
        void clusterKubernetesBadServiceDns(String name) {
            onlyProblem(tail("cluster: { kubernetes: { service-dns: \"" + name + "\" } }\n"),
                    "cluster.kubernetes.service-dns", "\"" + name + "\" is not a Service's DNS name (expected:"
                            + " NAME.NAMESPACE.svc.cluster.local)");
        }

        @Test
        void clusterKubernetesServicePortOutOfRange() {
            onlyProblem(tail("cluster: { kubernetes: { service-dns: hz.ns.svc.cluster.local, service-port: 0 } }\n"),
                    "cluster.kubernetes.service-port", "0 (expected: 1-65535)");
        }

        @Test
        void clusterKubernetesOrMembersNotBoth() {
            onlyProblem(tail("cluster: { members: [10.0.0.1:5701], kubernetes: { service-dns: hz.ns.svc.cluster.local }"
                    + " }\n"), "cluster.members", "give members (a fixed list) or kubernetes (members found through the"
                    + " headless Service), not both");
        }

        @Test
        void clusterKubernetesOrClientNotBoth() {
            onlyProblem(tail("cluster: { client: { addresses: [10.0.0.5:5701] }, kubernetes: { service-dns:"
                    + " hz.ns.svc.cluster.local } }\n"), "cluster.kubernetes", "a client joins the addresses in"
                    + " client.addresses; give client or kubernetes, not both");
        }

        @ParameterizedTest
        @ValueSource(strings = {"127.0.0.1", "::1"})
        void clusterKubernetesHostNotLoopback(String host) {
            onlyProblem(tail("cluster: { host: \"" + host + "\", kubernetes: { service-dns: hz.ns.svc.cluster.local }"
                    + " }\n"), "cluster.host", "\"" + host + "\" is a loopback address, which the other pods cannot"
                    + " reach (leave host out: the pod's own address)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0.0.0.0", "::"})
        void clusterMemberHostNotAWildcard(String host) {
            onlyProblem(tail("cluster: { host: \"" + host + "\", members: [10.0.0.11:5701] }\n"), "cluster.host",
                    "\"" + host + "\": a member listens on one address (expected: this host's IP address on the"
                            + " members' network, e.g. 10.0.0.11)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"localhost", "gatehouse-a.internal"})
        void clusterMemberHostNotAName(String host) {
            onlyProblem(tail("cluster: { host: " + host + ", members: [10.0.0.11:5701] }\n"), "cluster.host",
                    "\"" + host + "\" is a name; a member listens on one IP address of this host (expected: e.g."
                            + " 10.0.0.11)");
            onlyProblem(tail("cluster: { host: " + host + ", kubernetes: { service-dns: hz.ns.svc.cluster.local } }\n"),
                    "cluster.host", "is a name");
        }

        @Test
        void clusterMemberHostAnAddress() {
            assertThat(ConfigParser.parse(tail("cluster: { host: \"::1\", port: 5702 }\n")).cluster().host())
                    .isEqualTo("::1");
            assertThat(ConfigParser.parse(tail("cluster: { host: 10.0.0.11, members: [10.0.0.11:5701] }\n"))
                    .cluster().host()).isEqualTo("10.0.0.11");
            // A client opens no Hazelcast port: its host is not used.
            assertThat(ConfigParser.parse(tail("cluster: { host: 0.0.0.0, client: { addresses: [10.0.0.5:5701] } }\n"))
                    .cluster().client()).isNotNull();
        }

        @Test
        void clusterQuorum() {
            GatehouseConfig c = ConfigParser.parse(tail(
                    "cluster: { members: [10.0.0.1:5701, 10.0.0.2:5701, 10.0.0.3:5701], quorum: 2 }\n"));
            assertThat(c.cluster().quorum()).isEqualTo(2);
            assertThat(ConfigParser.parse(tail("cluster: { port: 5702 }\n")).cluster().quorum()).isEqualTo(1);
            onlyProblem(tail("cluster: { members: [10.0.0.1:5701], quorum: 0 }\n"), "cluster.quorum",
                    "0 (expected: at least 1 member)");
            onlyProblem(tail("cluster: { members: [10.0.0.1:5701, 10.0.0.2:5701], quorum: 3 }\n"), "cluster.quorum",
                    "3 exceeds the 2 members listed in cluster.members (a majority of them, e.g. 2 of 3, is the usual"
                            + " quorum)");
            onlyProblem(tail("cluster: { client: { addresses: [10.0.0.5:5701] }, quorum: 2 }\n"), "cluster.quorum",
                    "only embedded members keep a quorum; this node is a client");
        }

        @Test
        void clusterQuorumWithKubernetesDiscovery() {
            // No members list to compare with: the operator sizes the quorum to the Deployment's replicas.
            GatehouseConfig c = ConfigParser.parse(tail(
                    "cluster: { kubernetes: { service-dns: hz.ns.svc.cluster.local }, quorum: 2 }\n"));
            assertThat(c.cluster().quorum()).isEqualTo(2);
            assertThat(ConfigValidator.validate(c)).isEmpty();
        }

        @Test
        void clusterPortOutOfRange() {
            onlyProblem(tail("cluster: { port: 65536 }\n"), "cluster.port", "65536 (expected: 0-65535)");
        }
    }

    @Test
    void validateSharedChecksOnlyTheSharedPart() {
        GatehouseConfig c = ConfigParser.parse(resource("valid/everything.yaml"));
        SharedConfig broken = new SharedConfig(c.pools(),
                List.of(new RouteConfig("x", null, "nope", null, null, null, null, null, null, null, null, null)), c.cache());

        assertThat(ConfigValidator.validateShared(broken)).extracting(ConfigProblem::path)
                .containsExactly("routes[0].pool");
    }

    @Test
    void validateWorksOnRecordsBuiltInCode() {
        GatehouseConfig c = new GatehouseConfig(null, null,
                List.of(new ListenerConfig("public", null, 8080, null, null, null, null, null, null, null, null, null, null, null,
                        null, null, null)),
                List.of(new PoolConfig("api", null, null, List.of(new BackendConfig("http://a:1", null, null)),
                        null, null, null, null, null, null, null, null, null, null)),
                List.of(new RouteConfig("api", null, "api", null, null, null, null, null, null, null, null, null)),
                null, null, null, null, null);

        assertThat(ConfigValidator.validate(c)).isEmpty();
    }
}
