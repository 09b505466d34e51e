package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.hasProblem;
import static dev.gatehouse.config.Configs.onlyProblem;
import static dev.gatehouse.config.Configs.problems;
import static dev.gatehouse.config.Configs.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParserTest {

    @Test
    void jsonAndYamlGiveTheSameConfig() {
        GatehouseConfig fromYaml = ConfigParser.parse(resource("valid/minimal.yaml"));
        GatehouseConfig fromJson = ConfigParser.parse(resource("valid/minimal.json"));

        assertThat(fromJson).isEqualTo(fromYaml);
        assertThat(fromJson.routes().get(0).pool()).isEqualTo("api");
    }

    @Test
    void jsonWithLeadingWhitespaceIsJson() {
        assertThat(ConfigParser.parse("\n  " + resource("valid/minimal.json")))
                .isEqualTo(ConfigParser.parse(resource("valid/minimal.yaml")));
    }

    @Test
    void yamlFlowStyleStartingWithABraceIsYaml() {
        String flow = "{ listeners: [ { name: public, port: 8080 } ], pools: [ { name: api, backends: "
                + "[ { url: \"http://127.0.0.1:9001\" } ] } ], routes: [ { name: api, pool: api } ] }";

        assertThat(ConfigParser.parse(flow)).isEqualTo(ConfigParser.parse(resource("valid/minimal.yaml")));
    }

    @Test
    void emptyFileIsAProblem() {
        onlyProblem(resource("invalid/empty.yaml"), "", "the configuration is empty");
        onlyProblem("   \n", "", "the configuration is empty");
        onlyProblem("---\n", "", "the configuration is empty");
    }

    @Test
    void fileWithOnlyCommentsIsEmpty() {
        onlyProblem(resource("invalid/comments-only.yaml"), "", "the configuration is empty");
    }

    @Test
    void yamlSyntaxErrorHasLineAndColumn() {
        ConfigProblem p = onlyProblem(resource("invalid/syntax-error.yaml"), "", "line 3, column 4: ");

        // One readable line, without SnakeYAML's source excerpts.
        assertThat(p.message()).doesNotContain("\n").contains("expected <block end>").contains("line 2, column 3");
    }

    @Test
    void tabIndentationIsASyntaxError() {
        onlyProblem("listeners:\n\t- name: a\n", "", "line 2, column 1: ");
    }

    @Test
    void jsonSyntaxErrorHasLineAndColumn() {
        ConfigProblem p = onlyProblem("{\n  \"listeners\": [\n    { \"name\": \"a\" }\n  }\n", "", "line 4, column 3: ");

        assertThat(p.message()).contains("Unexpected close marker '}'");
    }

    @Test
    void duplicateKeyIsAProblemAtItsPath() {
        ConfigProblem p = onlyProblem(resource("invalid/duplicate-keys.yaml"), "pools[0].balancer",
                "duplicate key \"balancer\"");

        assertThat(p.message()).startsWith("line 8, column ");
    }

    @Test
    void duplicateTopLevelKeyIsAProblem() {
        onlyProblem("data-dir: a\ndata-dir: b\n", "data-dir", "duplicate key \"data-dir\"");
    }

    @Test
    void duplicateKeyInJsonIsAProblem() {
        onlyProblem("{\"admin\": {\"port\": 1, \"port\": 2}}", "admin.port", "duplicate key \"port\"");
    }

    @Test
    void moreThanOneDocumentIsAProblem() {
        onlyProblem(resource("valid/minimal.yaml") + "---\ndata-dir: x\n", "", "more than one document");
        onlyProblem("{\"data-dir\": \"a\"} {\"data-dir\": \"b\"}", "", "more than one document");
    }

    @Test
    void rootMustBeAMapping() {
        onlyProblem("- a\n- b\n", "", "expected a mapping, found a list");
        onlyProblem("hello\n", "", "expected a mapping, found \"hello\"");
    }

    @Test
    void yamlBooleansAreOnlyTrueAndFalse() {
        // `on`/`yes` stay text: a header value keeps its spelling, a boolean option says what it wants.
        GatehouseConfig c = ConfigParser.parse(Configs.withFilters(
                "{ type: headers, request: { set: { X-Flag: on, X-Answer: yes } } }"));
        FilterConfig.Headers h = (FilterConfig.Headers) c.routes().get(0).filters().get(0);
        assertThat(h.request().set()).containsEntry("X-Flag", "on").containsEntry("X-Answer", "yes");

        onlyProblem(Configs.withListener("http2: yes"), "listeners[0].http2", "expected true or false, found \"yes\"");
    }

    @Test
    void readFileReadsAndValidates(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("gatehouse.yaml");
        Files.writeString(file, resource("valid/minimal.yaml"));

        assertThat(ConfigParser.readFile(file)).isEqualTo(ConfigParser.parse(resource("valid/minimal.yaml")));

        Files.writeString(file, resource("invalid/ten-errors.yaml"));
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigParser.readFile(file)).problems())
                .hasSize(10);
    }

    @Test
    void missingFileIsAProblemNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> ConfigParser.readFile(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": no such file");
    }

    @Test
    void exceptionMessageListsEveryProblemOnItsOwnLine() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parse(resource("invalid/ten-errors.yaml")));

        assertThat(e.getMessage().split("\n")).hasSize(10)
                .contains("routes[1].pool: unknown pool \"apii\" (did you mean \"api\"?) (expected one of [api, web])");
        assertThat(e.problems()).hasSize(10);
    }

    @Test
    void treeParsesYamlAndJson() {
        JsonNode yaml = ConfigParser.tree("a: [1, 2]\nb: { c: x }\n");
        JsonNode json = ConfigParser.tree("{\"a\": [1, 2], \"b\": {\"c\": \"x\"}}");

        assertThat(yaml).isEqualTo(json);
    }

    // ---- parseShared / parseElement: what the admin API receives ------------------------------------------

    @Test
    void parseSharedReadsAnAdminStyleJsonBody() {
        String body = """
                {
                  "pools": [
                    { "name": "api", "balancer": "least-request",
                      "backends": [ { "url": "http://10.0.0.1:8080" }, { "url": "http://10.0.0.2:8080", "weight": 2 } ] }
                  ],
                  "routes": [ { "name": "api", "match": { "path-prefix": "/api/" }, "pool": "api", "timeout": "5s" } ]
                }
                """;

        SharedConfig shared = ConfigParser.parseShared(body);

        assertThat(shared.pools()).singleElement().satisfies(p -> {
            assertThat(p.balancer()).isEqualTo(PoolConfig.Balancer.LEAST_REQUEST);
            assertThat(p.backends()).extracting(BackendConfig::weight).containsExactly(1, 2);
        });
        assertThat(shared.route("api")).get().extracting(RouteConfig::timeout).isEqualTo(Duration.ofSeconds(5));
        assertThat(shared.cache()).as("absent").isNull();
    }

    @Test
    void parseSharedOfAnEmptyObjectIsEmpty() {
        assertThat(ConfigParser.parseShared("{}")).isEqualTo(SharedConfig.empty());
    }

    @Test
    void parseSharedRejectsNodeLocalKeys() {
        String body = """
                { "listeners": [ { "name": "public", "port": 8080 } ],
                  "admin": { "port": 9090 },
                  "pools": [], "routes": [] }
                """;

        List<ConfigProblem> problems = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseShared(body)).problems();

        assertThat(problems).extracting(ConfigProblem::path).containsExactly("listeners", "admin");
        hasProblem(problems, "listeners", "is node-local");
        hasProblem(problems, "admin", "only pools and routes");
    }

    @Test
    void parseSharedReportsUnknownKeysWithSuggestion() {
        List<ConfigProblem> problems = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseShared("{ \"pool\": [] }")).problems();

        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("pool");
            assertThat(p.message()).contains("unknown key (did you mean \"pools\"?)");
        });
    }

    @Test
    void parseSharedValidates() {
        String body = "{ \"pools\": [ { \"name\": \"api\", \"backends\": [ { \"url\": \"http://a:1\" } ] } ],"
                + " \"routes\": [ { \"name\": \"r\", \"pool\": \"apii\" } ] }";

        List<ConfigProblem> problems = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseShared(body)).problems();

        assertThat(problems).singleElement().hasToString(
                "routes[0].pool: unknown pool \"apii\" (did you mean \"api\"?) (expected one of [api])");
    }

    @Test
    void parseSharedNeedsAnObject() {
        assertThatThrownBy(() -> ConfigParser.parseShared("[1, 2]")).isInstanceOf(ConfigException.class)
                .hasMessage("expected a JSON object");
        assertThatThrownBy(() -> ConfigParser.parseShared("")).isInstanceOf(ConfigException.class)
                .hasMessage("expected a JSON object");
    }

    @Test
    void parseElementReadsOnePool() {
        JsonNode tree = ConfigParser.tree("""
                { "name": "api", "balancer": "consistent-hash", "hash-key": "client-ip",
                  "backends": [ { "url": "https://b.internal:8443", "weight": 5 } ], "connect-timeout": "500ms" }
                """);

        PoolConfig pool = ConfigParser.parseElement(tree, PoolConfig.class);

        assertThat(pool).isEqualTo(new PoolConfig("api", PoolConfig.Balancer.CONSISTENT_HASH, "client-ip",
                List.of(new BackendConfig("https://b.internal:8443", 5, false)), null, null,
                Duration.ofMillis(500), null, null, null, null, null, null, null));
        assertThat(pool.backends().get(0).isTls()).isTrue();
        assertThat(pool.backends().get(0).id()).isEqualTo("b.internal:8443");
    }

    @Test
    void parseElementReportsShapeProblemsRelativeToTheElement() {
        JsonNode tree = ConfigParser.tree("{ \"name\": \"api\", \"balancr\": \"random\", \"max-connections\": \"many\" }");

        List<ConfigProblem> problems = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseElement(tree, PoolConfig.class)).problems();

        assertThat(problems).hasSize(2);
        // The list of expected keys grows with the format; its start and the suggestion are what matter.
        assertThat(problems.get(0).toString()).startsWith("balancr: unknown key (did you mean \"balancer\"?) "
                + "(expected one of [name, balancer, hash-key, backends, health-check, outlier-detection,");
        assertThat(problems.get(1).toString()).isEqualTo("max-connections: expected a whole number, found \"many\"");
    }

    @Test
    void parseElementOfWrongShapeIsAProblem() {
        assertThatThrownBy(() -> ConfigParser.parseElement(ConfigParser.tree("[1]"), RouteConfig.class))
                .isInstanceOf(ConfigException.class).hasMessage("expected a mapping, found a list");
        assertThatThrownBy(() -> ConfigParser.parseElement(ConfigParser.tree("null"), RouteConfig.class))
                .isInstanceOf(ConfigException.class).hasMessage("expected a JSON object");
    }

    // ---- one mistake, one problem ---------------------------------------------------------------------

    @Test
    void unreadablePoolsDoNotAlsoMakeEveryRouteReferenceUnknown() {
        String text = """
                listeners: [ { name: public, port: 8080 } ]
                pools: { name: api, backends: [ { url: "http://127.0.0.1:9001" } ] }
                routes: [ { name: api, pool: api } ]
                """;

        onlyProblem(text, "pools", "expected a list, found a mapping");
    }

    @Test
    void unreadablePoolNameDoesNotAlsoMakeRouteReferenceUnknown() {
        onlyProblem(Configs.yaml(Configs.LISTENER, "name: [api], backends: [ { url: \"http://a:1\" } ]",
                Configs.ROUTE), "pools[0].name", "expected a string, found a list");
    }

    @Test
    void unreadableValueIsNotAlsoReportedAsMissing() {
        onlyProblem(Configs.yaml("name: public, port: [8080]", Configs.POOL, Configs.ROUTE),
                "listeners[0].port", "expected a whole number, found a list");
        onlyProblem(Configs.yaml(Configs.LISTENER, "name: api, backends: [ { url: { a: b } } ]", Configs.ROUTE),
                "pools[0].backends[0].url", "expected a string, found a mapping");
    }

    @Test
    void otherProblemsAreStillReportedNextToShapeProblems() {
        List<ConfigProblem> problems = problems(Configs.yaml("name: public, port: [8080]", Configs.POOL,
                "name: api, pool: apii"));

        assertThat(problems).extracting(ConfigProblem::path).containsExactly("listeners[0].port", "routes[0].pool");
    }

    @Test
    void tlsEngineIsAutoByDefaultAndReadsEachValue() {
        assertThat(ConfigParser.parse(Configs.yaml(Configs.LISTENER, Configs.POOL, Configs.ROUTE)).tlsEngine())
                .isEqualTo(TlsEngine.AUTO);
        for (TlsEngine engine : TlsEngine.values()) {
            String text = "tls-engine: " + engine.name().toLowerCase() + "\n"
                    + Configs.yaml(Configs.LISTENER, Configs.POOL, Configs.ROUTE);
            assertThat(ConfigParser.parse(text).tlsEngine()).isEqualTo(engine);
        }
    }

    @Test
    void anUnknownTlsEngineIsRejectedAtItsPath() {
        onlyProblem("tls-engine: boringssl\n" + Configs.yaml(Configs.LISTENER, Configs.POOL, Configs.ROUTE),
                "tls-engine", "\"boringssl\" is not one of [auto, openssl, jdk]");
    }

    @Test
    void parseSharedRejectsTheTlsEngineAsNodeLocal() {
        List<ConfigProblem> problems = catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseShared("{ \"tls-engine\": \"jdk\", \"pools\": [], \"routes\": [] }")).problems();
        hasProblem(problems, "tls-engine", "is node-local");
    }
}
