package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.LISTENER;
import static dev.gatehouse.config.Configs.POOL;
import static dev.gatehouse.config.Configs.ROUTE;
import static dev.gatehouse.config.Configs.problems;
import static dev.gatehouse.config.Configs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code shutdown}: defaults, every key read, bad values reported at their paths, refused in the shared part. */
class ShutdownConfigTest {

    @Test
    void withoutTheSectionTheDefaultsApply() {
        ShutdownConfig s = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE)).shutdown();

        assertThat(s.readinessDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void everyKeyIsRead() {
        ShutdownConfig s = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE,
                "shutdown: { readiness-delay: 0s, drain-timeout: 2m }\n")).shutdown();

        assertThat(s).isEqualTo(new ShutdownConfig(Duration.ZERO, Duration.ofMinutes(2)));
    }

    @Test
    void badValuesAreReportedWithTheirPaths() {
        List<ConfigProblem> problems = problems(yaml(LISTENER, POOL, ROUTE,
                "shutdown: { readiness-delay: 11m, drain-timeout: 500ms }\n"));

        assertThat(problems).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
                "shutdown.readiness-delay: 11m (expected: 0s to 10m)",
                "shutdown.drain-timeout: 500ms (expected: 1s to 10m)");
    }

    @Test
    void unknownKeysAndWrongTypesAreReportedWithTheirPaths() {
        List<ConfigProblem> problems = problems(yaml(LISTENER, POOL, ROUTE,
                "shutdown: { readiness-delay: soon, drain: 5s }\n"));

        assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
                "shutdown.readiness-delay", "shutdown.drain");
    }

    @Test
    void theSharedPartRefusesIt() {
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigParser.parseShared("{\"shutdown\": {\"drain-timeout\": \"5s\"}}")).problems())
                .extracting(ConfigProblem::path).containsExactly("shutdown");
    }
}
