package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.resource;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ConfigWriterTest {

    @Test
    void yamlIsReadable() {
        String yaml = ConfigWriter.toYaml(ConfigParser.parse(resource("valid/minimal.yaml")));

        assertThat(yaml).doesNotStartWith("---")
                .contains("- name: public\n")
                .contains("  balancer: round-robin\n")
                .contains("- url: http://127.0.0.1:9001\n")
                .contains("  timeout: 30s\n")
                .contains("  max-header-size: 16KB\n")
                .contains("  \"on\":\n    - connect-failure\n")
                .contains("data-dir: ./data\n");
    }

    @Test
    void treeUsesKebabCaseAndLeavesOutNulls() {
        JsonNode tree = ConfigWriter.toTree(ConfigParser.parse(resource("valid/minimal.yaml")));

        assertThat(tree.path("data-dir").asText()).isEqualTo("./data");
        assertThat(tree.has("admin")).isFalse();
        assertThat(tree.has("cluster")).isFalse();
        assertThat(tree.at("/listeners/0/max-header-size").asText()).isEqualTo("16KB");
        assertThat(tree.at("/routes/0").has("prefix-rewrite")).isFalse();
        assertThat(tree.at("/routes/0/retries/attempts").isInt()).isTrue();
        assertThat(tree.at("/pools/0/balancer").asText()).isEqualTo("round-robin");
    }

    @Test
    void filtersAreWrittenWithTheirType() {
        JsonNode tree = ConfigWriter.toTree(new FilterConfig.RateLimit(null, Rate.parse("5/m"), 10, null));

        assertThat(tree.toString()).isEqualTo("{\"type\":\"rate-limit\",\"key\":\"client-ip\",\"rate\":\"5/m\","
                + "\"burst\":10,\"scope\":\"node\"}");
    }

    @Test
    void mapsAreWrittenSortedSoTheSameConfigGivesTheSameText() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("X-B", "2");
        a.put("X-A", "1");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("X-A", "1");
        b.put("X-B", "2");
        MatchConfig m1 = new MatchConfig(null, null, null, null, null, a);
        MatchConfig m2 = new MatchConfig(null, null, null, null, null, b);

        assertThat(ConfigWriter.toYaml(m1)).isEqualTo(ConfigWriter.toYaml(m2));
        assertThat(ConfigWriter.toJson(m1)).isEqualTo(ConfigWriter.toJson(m2))
                .containsSubsequence("\"X-A\"", "\"X-B\"");
    }

    /** Text that a YAML reader would otherwise take for a number, boolean, null or syntax comes back unchanged. */
    @ParameterizedTest
    @ValueSource(strings = {"0123", "1.50", "1e3", "0x1F", "1_000", ".5", "+1", "-1", "08", ".inf", "-.inf", ".nan",
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "", " ", " x", "x ",
            "*.example.com", "#x", "@x", "&x", "!x", "%x", "[x", "{x", "|", ">", "'x", "\"x", "- x", "? x",
            "a: b", "a:", "x #y", "12:30", "1:2", "2001:db8::1", "a\nb", "tab\there", "é", "200-399", "./data", "../x", ".hidden", "...",
            "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"})
    void trickyStringsRoundTrip(String value) {
        FilterConfig.Headers h = new FilterConfig.Headers(
                new FilterConfig.HeaderRules(Map.of("X-Value", value), List.of()), null);

        JsonNode back = ConfigParser.tree(ConfigWriter.toYaml(h));

        assertThat(back.at("/request/set/X-Value").isTextual()).isTrue();
        assertThat(back.at("/request/set/X-Value").asText()).isEqualTo(value);
        assertThat(ConfigParser.parseElement(back, FilterConfig.class)).isEqualTo(h);
        assertThat(ConfigParser.parseElement(ConfigParser.tree(ConfigWriter.toJson(h)), FilterConfig.class))
                .isEqualTo(h);
    }

    @Test
    void cacheSectionsAreWrittenInKebabCaseAndReadBack() {
        GatehouseConfig c = ConfigParser.parse(resource("valid/everything.yaml"));

        JsonNode tree = ConfigWriter.toTree(c);

        assertThat(tree.get("cache").toString()).isEqualTo("{\"max-size\":\"1GB\",\"max-entry-size\":\"16MB\","
                + "\"eviction\":\"lfu\",\"near-cache-max-entries\":50000,\"collapse-wait\":\"2s\",\"keep\":\"6h\"}");
        assertThat(tree.at("/routes/0/cache").toString()).isEqualTo("{\"enabled\":true,\"default-ttl\":\"10m\","
                + "\"store-set-cookie\":true,\"strip-cdn-cache-control\":true}");
        assertThat(ConfigParser.parseShared(ConfigWriter.toYaml(c.shared())).cache()).isEqualTo(c.cache());
        assertThat(ConfigParser.parseShared(ConfigWriter.toJson(c.shared())).routes().get(0).cache())
                .isEqualTo(c.routes().get(0).cache());
    }

    @Test
    void recordsWrittenOnTheirOwnReadBackAsElements() {
        GatehouseConfig c = ConfigParser.parse(resource("valid/everything.yaml"));

        for (PoolConfig p : c.pools()) {
            assertThat(ConfigParser.parseElement(ConfigParser.tree(ConfigWriter.toJson(p)), PoolConfig.class))
                    .isEqualTo(p);
        }
        for (RouteConfig r : c.routes()) {
            assertThat(ConfigParser.parseElement(ConfigParser.tree(ConfigWriter.toYaml(r)), RouteConfig.class))
                    .isEqualTo(r);
        }
    }
}
