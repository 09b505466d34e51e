package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.LISTENER;
import static dev.gatehouse.config.Configs.POOL;
import static dev.gatehouse.config.Configs.onlyProblem;
import static dev.gatehouse.config.Configs.withListener;
import static dev.gatehouse.config.Configs.withRoute;
import static dev.gatehouse.config.Configs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.config.PathConfig.Backslashes;
import dev.gatehouse.config.PathConfig.EscapedSlashes;
import dev.gatehouse.config.PathConfig.PathParameters;
import org.junit.jupiter.api.Test;

/**
 * A listener's {@code path} options (issue 9, path normalisation): defaults, every value, the exact path of each
 * mistake; and route paths that normalised request paths could never match.
 */
class PathOptionsTest {

    private static PathConfig path(String text) {
        return ConfigParser.parse(text).listeners().get(0).path();
    }

    @Test
    void safeDefaults() {
        PathConfig p = path(withListener("http2: true"));

        assertThat(p).isEqualTo(PathConfig.DEFAULT);
        assertThat(p.mergeSlashes()).isFalse();
        assertThat(p.escapedSlashes()).isEqualTo(EscapedSlashes.REJECT);
        assertThat(p.backslashes()).isEqualTo(Backslashes.REJECT);
        assertThat(p.pathParameters()).isEqualTo(PathParameters.REJECT);
        assertThat(path(withListener("path: {}"))).isEqualTo(PathConfig.DEFAULT);
    }

    @Test
    void everyOptionIsRead() {
        PathConfig p = path(withListener("path: { merge-slashes: true, escaped-slashes: unescape, "
                + "backslashes: to-slash, path-parameters: strip }"));

        assertThat(p).isEqualTo(new PathConfig(true, EscapedSlashes.UNESCAPE, Backslashes.TO_SLASH,
                PathParameters.STRIP));
        assertThat(path(withListener("path: { escaped-slashes: keep, backslashes: keep, path-parameters: keep }")))
                .isEqualTo(new PathConfig(false, EscapedSlashes.KEEP, Backslashes.KEEP, PathParameters.KEEP));
    }

    @Test
    void anUnknownEscapedSlashActionIsRefused() {
        onlyProblem(withListener("path: { escaped-slashes: decode }"), "listeners[0].path.escaped-slashes",
                "\"decode\" is not one of [reject, keep, unescape]");
    }

    @Test
    void anUnknownBackslashActionIsRefused() {
        onlyProblem(withListener("path: { backslashes: to-slashes }"), "listeners[0].path.backslashes",
                "did you mean \"to-slash\"");
    }

    @Test
    void anUnknownPathParameterActionIsRefused() {
        onlyProblem(withListener("path: { path-parameters: allow }"), "listeners[0].path.path-parameters",
                "is not one of [reject, strip, keep]");
    }

    @Test
    void mergeSlashesIsABoolean() {
        onlyProblem(withListener("path: { merge-slashes: yes }"), "listeners[0].path.merge-slashes", "yes");
    }

    @Test
    void anUnknownKeyIsRefused() {
        onlyProblem(withListener("path: { merge-slash: true }"), "listeners[0].path.merge-slash", "merge-slashes");
    }

    @Test
    void pathIsAMapping() {
        onlyProblem(withListener("path: normalize"), "listeners[0].path", "expected a mapping");
    }

    @Test
    void optionsSurviveWritingAndReadingAgain() {
        GatehouseConfig c = ConfigParser.parse(withListener("path: { merge-slashes: true, escaped-slashes: keep }"));

        assertThat(ConfigParser.parse(ConfigWriter.toYaml(c))).isEqualTo(c);
        assertThat(ConfigWriter.toYaml(c)).contains("escaped-slashes: keep");
    }

    // ---- route paths that no normalised request path can match --------------------------------------------

    @Test
    void aPathPrefixWithADotSegmentIsRefused() {
        onlyProblem(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-prefix: /a/../admin/ }"),
                "routes[0].match.path-prefix", "has a dot-segment");
    }

    @Test
    void aPathExactWithAnEmptySegmentIsRefused() {
        onlyProblem(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-exact: //admin }"),
                "routes[0].match.path-exact", "has an empty segment");
    }

    @Test
    void aPathPrefixWithAnEncodedUnreservedCharacterIsRefused() {
        onlyProblem(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-prefix: /%61dmin/ }"),
                "routes[0].match.path-prefix", "write it as \"a\"");
        onlyProblem(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-prefix: /%c3%bc/ }"),
                "routes[0].match.path-prefix", "two upper-case hex digits");
    }

    @Test
    void normalRoutePathsAreAccepted() {
        ConfigParser.parse(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-prefix: /%C3%BC/.well-known/ }"));
        ConfigParser.parse(yaml(LISTENER, POOL, "name: api, pool: api, match: { path-exact: /a.../b }"));
    }

    @Test
    void aPrefixRewriteWithADotSegmentIsRefused() {
        onlyProblem(withRoute("match: { path-prefix: /api/ }, prefix-rewrite: /v1/../secret/"),
                "routes[0].prefix-rewrite", "has a dot-segment");
    }
}
