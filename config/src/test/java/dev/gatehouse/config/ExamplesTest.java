package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped example and every valid fixture parses, validates and survives writing and reading again. */
class ExamplesTest {

    /** {@code config/examples/} (the tests run in the module directory) and {@code configs/valid/} fixtures. */
    static Stream<Path> files() throws IOException, URISyntaxException {
        Path examples = Path.of("examples");
        Path valid = Path.of(ExamplesTest.class.getResource("/configs/valid").toURI());
        List<Path> shipped = list(examples);
        assertThat(shipped).as("examples in %s", examples.toAbsolutePath())
                .extracting(p -> p.getFileName().toString()).contains("demo.yaml", "full.yaml");
        return Stream.concat(shipped.stream(), list(valid).stream());
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            // The Grafana dashboard and the Prometheus scrape config sit beside the examples but are not configs.
            return s.filter(p -> p.toString().matches(".*\\.(ya?ml|json)"))
                    .filter(p -> !p.getFileName().toString().matches("grafana-.*|prometheus\\.ya?ml"))
                    .sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void parsesAndValidates(Path file) {
        GatehouseConfig c = ConfigParser.readFile(file);

        assertThat(c.listeners()).isNotEmpty();
        assertThat(c.pools()).isNotEmpty();
        assertThat(c.routes()).isNotEmpty();
        assertThat(ConfigValidator.validate(c)).isEmpty();
        assertThat(ConfigValidator.validateShared(c.shared())).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("files")
    void roundTripsThroughJson(Path file) {
        GatehouseConfig c = ConfigParser.readFile(file);

        String json = ConfigWriter.toJson(c);

        assertThat(json).startsWith("{");
        assertThat(ConfigParser.parse(json)).isEqualTo(c);
    }

    @ParameterizedTest
    @MethodSource("files")
    void roundTripsThroughYaml(Path file) {
        GatehouseConfig c = ConfigParser.readFile(file);

        String yaml = ConfigWriter.toYaml(c);

        assertThat(ConfigParser.parse(yaml)).isEqualTo(c);
        // Written again, the text is stable: a second round trip changes nothing.
        assertThat(ConfigWriter.toYaml(ConfigParser.parse(yaml))).isEqualTo(yaml);
    }

    @ParameterizedTest
    @MethodSource("files")
    void sharedPartRoundTripsThroughParseShared(Path file) {
        SharedConfig shared = ConfigParser.readFile(file).shared();

        assertThat(ConfigParser.parseShared(ConfigWriter.toJson(shared))).isEqualTo(shared);
        assertThat(ConfigParser.parseShared(ConfigWriter.toYaml(shared))).isEqualTo(shared);
    }
}
