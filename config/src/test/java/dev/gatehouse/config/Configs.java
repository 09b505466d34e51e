package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Building blocks for config tests: a valid skeleton to vary, and problem assertions. */
final class Configs {

    /** A listener, a pool and a route, each as the inside of a YAML flow mapping. */
    static final String LISTENER = "name: public, port: 8080";
    static final String POOL = "name: api, backends: [ { url: \"http://127.0.0.1:9001\" } ]";
    static final String ROUTE = "name: api, pool: api";

    /** SHA-256 of "secret", in hex. */
    static final String SHA256 = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

    private Configs() {
    }

    /** A file with one listener, one pool and one route, each written as a flow mapping with the given contents. */
    static String yaml(String listener, String pool, String route) {
        return yaml(listener, pool, route, "");
    }

    /** As {@link #yaml(String, String, String)}, with more top-level YAML appended. */
    static String yaml(String listener, String pool, String route, String tail) {
        return "listeners:\n  - { " + listener + " }\n"
                + "pools:\n  - { " + pool + " }\n"
                + "routes:\n  - { " + route + " }\n"
                + tail;
    }

    static String withListener(String extra) {
        return yaml(LISTENER + ", " + extra, POOL, ROUTE);
    }

    static String withPool(String extra) {
        return yaml(LISTENER, POOL + ", " + extra, ROUTE);
    }

    static String withRoute(String extra) {
        return yaml(LISTENER, POOL, ROUTE + ", " + extra);
    }

    /** A route with exactly these filters (a YAML flow list body). */
    static String withFilters(String filters) {
        return withRoute("filters: [ " + filters + " ]");
    }

    static String tail(String tail) {
        return yaml(LISTENER, POOL, ROUTE, tail);
    }

    /** The problems of a configuration that must be rejected. */
    static List<ConfigProblem> problems(String text) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parse(text));
        assertThat(e).as("expected the configuration to be rejected:%n%s", text).isNotNull();
        return e.problems();
    }

    /** Asserts the configuration has exactly one problem, at {@code path}, whose message contains {@code fragment}. */
    static ConfigProblem onlyProblem(String text, String path, String fragment) {
        List<ConfigProblem> problems = problems(text);
        assertThat(problems).as("problems of%n%s", text).hasSize(1);
        ConfigProblem p = problems.get(0);
        assertThat(p.path()).isEqualTo(path);
        assertThat(p.message()).contains(fragment);
        return p;
    }

    /** Asserts one of the problems is at {@code path} with a message containing {@code fragment}. */
    static void hasProblem(List<ConfigProblem> problems, String path, String fragment) {
        assertThat(problems).as("problems").anySatisfy(p -> {
            assertThat(p.path()).isEqualTo(path);
            assertThat(p.message()).contains(fragment);
        });
    }

    /** A test resource under {@code configs/}. */
    static String resource(String name) {
        try (InputStream in = Configs.class.getResourceAsStream("/configs/" + name)) {
            assertThat(in).as("resource configs/%s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
