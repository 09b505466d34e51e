package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.onlyProblem;
import static dev.gatehouse.config.Configs.withListener;
import static dev.gatehouse.config.Configs.withPool;
import static dev.gatehouse.config.Configs.withRoute;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Shape problems: keys, types and scalar formats, each reported at its path. */
class ConfigReaderTest {

    // ---- unknown keys ---------------------------------------------------------------------------------

    @Test
    void unknownKeySuggestsTheClosestKnownKey() {
        ConfigProblem p = onlyProblem(withPool("balancr: random"), "pools[0].balancr",
                "unknown key (did you mean \"balancer\"?)");

        assertThat(p.message()).contains("(expected one of [name, balancer, hash-key, backends,");
    }

    @ParameterizedTest
    @CsvSource({
            "'timout: 5s',            routes[0].timout,       timeout",
            "'retrys: { attempts: 2 }', routes[0].retrys,     retries",
            "'match: { path_prefix: /a }', routes[0].match.path_prefix, path-prefix",
            "'Pool: x',               routes[0].Pool,         pool",
    })
    void unknownRouteKeys(String yaml, String path, String suggested) {
        onlyProblem(withRoute(yaml), path, "did you mean \"" + suggested + "\"?");
    }

    @Test
    void unknownTopLevelKey() {
        onlyProblem(Configs.tail("listners: []\n"), "listners", "unknown key (did you mean \"listeners\"?)");
    }

    @Test
    void unknownKeyWithNothingCloseHasNoSuggestion() {
        ConfigProblem p = onlyProblem(withListener("colour: blue"), "listeners[0].colour", "unknown key (expected");

        assertThat(p.message()).doesNotContain("did you mean");
    }

    @Test
    void camelCaseKeySuggestsKebabCase() {
        onlyProblem(withRoute("match: { pathPrefix: /a }"), "routes[0].match.pathPrefix",
                "did you mean \"path-prefix\"?");
    }

    @Test
    void unknownKeyInsideAFilter() {
        onlyProblem(Configs.withFilters("{ type: rate-limit, rate: 10/s, brust: 20 }"),
                "routes[0].filters[0].brust", "did you mean \"burst\"?");
    }

    // ---- types ----------------------------------------------------------------------------------------

    @Test
    void stringForAWholeNumber() {
        onlyProblem(Configs.yaml("name: public, port: eighty", Configs.POOL, Configs.ROUTE),
                "listeners[0].port", "expected a whole number, found \"eighty\"");
    }

    @Test
    void quotedDigitsAreAWholeNumber() {
        GatehouseConfig c = ConfigParser.parse(Configs.yaml("name: public, port: \"8080\"", Configs.POOL,
                Configs.ROUTE));

        assertThat(c.listeners().get(0).port()).isEqualTo(8080);
    }

    @Test
    void fractionForAWholeNumber() {
        onlyProblem(withPool("max-connections: 1.5"), "pools[0].max-connections",
                "expected a whole number, found 1.5");
    }

    @Test
    void hugeNumberIsOutOfRange() {
        onlyProblem(withPool("max-connections: 99999999999"), "pools[0].max-connections",
                "99999999999 is out of range");
    }

    @Test
    void listWhereAMappingIsExpected() {
        onlyProblem(withRoute("match: [ /api ]"), "routes[0].match", "expected a mapping, found a list");
    }

    @Test
    void mappingWhereAListIsExpected() {
        onlyProblem(withPool("health-check: { path: /h }, backends: { url: \"http://a:1\" }").replace(
                "backends: [ { url: \"http://127.0.0.1:9001\" } ], ", ""),
                "pools[0].backends", "expected a list, found a mapping");
    }

    @Test
    void scalarWhereAMappingIsExpected() {
        onlyProblem(withPool("health-check: /health"), "pools[0].health-check",
                "expected a mapping, found \"/health\"");
    }

    @Test
    void mappingWhereAStringIsExpected() {
        onlyProblem(withRoute("prefix-rewrite: { a: b }"), "routes[0].prefix-rewrite",
                "expected a string, found a mapping");
    }

    @Test
    void aSingleValueIsAListOfOne() {
        GatehouseConfig c = ConfigParser.parse(withRoute("match: { host: api.example.com, methods: GET }"));

        assertThat(c.routes().get(0).match().host()).containsExactly("api.example.com");
        assertThat(c.routes().get(0).match().methods()).containsExactly("GET");
    }

    @Test
    void emptyListEntryIsAProblem() {
        onlyProblem(withListener("trusted-proxies: [10.0.0.0/8, null]"), "listeners[0].trusted-proxies[1]",
                "empty entry");
    }

    @Test
    void emptyMapValueIsAProblem() {
        onlyProblem(withRoute("match: { headers: { X-Tenant: null } }"), "routes[0].match.headers.X-Tenant",
                "empty value");
    }

    @Test
    void notABoolean() {
        onlyProblem(withListener("http2: 1"), "listeners[0].http2", "expected true or false, found 1");
    }

    @Test
    void enumValueWithSuggestion() {
        onlyProblem(withPool("balancer: round_robin"), "pools[0].balancer",
                "\"round_robin\" is not one of [round-robin, weighted-round-robin, least-request, consistent-hash, "
                        + "random] (did you mean \"round-robin\"?)");
    }

    @Test
    void enumValuesIgnoreCase() {
        assertThat(ConfigParser.parse(withPool("balancer: Least-Request")).pools().get(0).balancer())
                .isEqualTo(PoolConfig.Balancer.LEAST_REQUEST);
    }

    @Test
    void enumOfWrongType() {
        onlyProblem(withPool("balancer: [random]"), "pools[0].balancer", "expected one of [round-robin,");
    }

    @Test
    void filterWithoutType() {
        onlyProblem(Configs.withFilters("{ rate: 10/s }"), "routes[0].filters[0].type",
                "required (one of [ip-filter, headers, cors, api-key, basic, jwt, rate-limit])");
    }

    @Test
    void badFilterTypeWithSuggestion() {
        onlyProblem(Configs.withFilters("{ type: rate-limt, rate: 10/s }"), "routes[0].filters[0].type",
                "\"rate-limt\" is not a filter type (did you mean \"rate-limit\"?) (expected one of [ip-filter,");
    }

    @Test
    void filterThatIsNotAMapping() {
        onlyProblem(Configs.withFilters("jwt"), "routes[0].filters[0]", "expected a mapping with a \"type\"");
    }

    // ---- durations ------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "2s, PT2S", "1m, PT1M", "1h, PT1H"})
    void durationsWithAUnitAreAccepted(String text, Duration expected) {
        assertThat(ConfigParser.parse(withRoute("timeout: " + text)).routes().get(0).timeout()).isEqualTo(expected);
    }

    @Test
    void bareNumberDurationAsksForTheUnit() {
        onlyProblem(withRoute("timeout: 5"), "routes[0].timeout",
                "expected a string like the examples, found 5 (write the unit, e.g. \"5s\" or \"5ms\")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"5\"", "1.5s", "10 parsecs", "5 sec", "-1s", "2S", "1m30s", "PT5S", "\"\""})
    void badDurationsAreRejected(String text) {
        onlyProblem(withRoute("timeout: " + text), "routes[0].timeout", "is not a duration (expected e.g. 250ms, 2s");
    }

    // ---- sizes ----------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"64KB, 65536", "8MB, 8388608", "1GB, 1073741824", "1048576, 1048576", "512B, 512", "0, 0"})
    void sizesAreAccepted(String text, long bytes) {
        assertThat(ConfigParser.parse(withRoute("max-body-size: " + text)).routes().get(0).maxBodySize())
                .isEqualTo(new DataSize(bytes));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5MB", "12 parsecs", "8 megabytes", "-1KB", "MB"})
    void badSizesAreRejected(String text) {
        onlyProblem(withRoute("max-body-size: " + text), "routes[0].max-body-size", "is not a size (expected e.g.");
    }

    @Test
    void fractionalNumberForASizeHintsAtSizes() {
        onlyProblem(withRoute("max-body-size: 1.5"), "routes[0].max-body-size",
                "found 1.5 (expected a whole number of bytes or a size like \"64KB\" or \"8MB\")");
    }

    @Test
    void negativeNumberForASizeIsRejected() {
        onlyProblem(withRoute("max-body-size: -1"), "routes[0].max-body-size", "found -1");
    }

    // ---- rates ----------------------------------------------------------------------------------------

    @Test
    void badRate() {
        onlyProblem(Configs.withFilters("{ type: rate-limit, rate: 100/fortnight }"), "routes[0].filters[0].rate",
                "\"100/fortnight\" is not a rate (expected e.g. 100/s, 600/m, 10000/h)");
    }

    @Test
    void zeroRate() {
        onlyProblem(Configs.withFilters("{ type: rate-limit, rate: 0/s }"), "routes[0].filters[0].rate",
                "rate: 0 (expected: > 0)");
    }

    @Test
    void bareNumberRateAsksForThePeriod() {
        onlyProblem(Configs.withFilters("{ type: rate-limit, rate: 100 }"), "routes[0].filters[0].rate",
                "write the period, e.g. \"100/s\"");
    }

    // ---- suggestion / distance ------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"'', '', 0", "a, '', 1", "'', abc, 3", "kitten, sitting, 3", "api, apii, 1", "abc, abc, 0",
            "flaw, lawn, 2", "hash-kye, hash-key, 2"})
    void distanceIsLevenshtein(String a, String b, int expected) {
        assertThat(ConfigReader.distance(a, b)).isEqualTo(expected);
        assertThat(ConfigReader.distance(b, a)).isEqualTo(expected);
    }

    @Test
    void suggestionPicksTheClosest() {
        List<String> known = List.of("api", "web", "users");

        assertThat(ConfigReader.suggestion("apii", known)).isEqualTo(" (did you mean \"api\"?)");
        assertThat(ConfigReader.suggestion("user", known)).isEqualTo(" (did you mean \"users\"?)");
        assertThat(ConfigReader.suggestion("API", known)).isEqualTo(" (did you mean \"api\"?)");
    }

    @Test
    void suggestionIgnoresCaseOfKnownNames() {
        assertThat(ConfigReader.suggestion("payments", List.of("Payments"))).isEqualTo(" (did you mean \"Payments\"?)");
    }

    @Test
    void noSuggestionWhenNothingIsClose() {
        assertThat(ConfigReader.suggestion("database", List.of("api", "web"))).isEmpty();
        assertThat(ConfigReader.suggestion("x", List.of("ip"))).isEmpty();
        assertThat(ConfigReader.suggestion("anything", List.of())).isEmpty();
    }

    @Test
    void longNamesAllowMoreEdits() {
        assertThat(ConfigReader.suggestion("outlier-detect", List.of("outlier-detection", "health-check")))
                .isEqualTo(" (did you mean \"outlier-detection\"?)");
    }

    @Test
    void kebabCaseOfComponentNames() {
        assertThat(ConfigReader.kebab("hashKey")).isEqualTo("hash-key");
        assertThat(ConfigReader.kebab("maxEntrySize")).isEqualTo("max-entry-size");
        assertThat(ConfigReader.kebab("ROUND_ROBIN")).isEqualTo("round-robin");
        assertThat(ConfigReader.kebab("tokenSha256")).isEqualTo("token-sha256");
    }
}
