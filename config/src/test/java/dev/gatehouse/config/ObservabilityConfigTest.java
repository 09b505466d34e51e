package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.LISTENER;
import static dev.gatehouse.config.Configs.POOL;
import static dev.gatehouse.config.Configs.ROUTE;
import static dev.gatehouse.config.Configs.problems;
import static dev.gatehouse.config.Configs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code access-log}, {@code metrics} and a route's {@code access-log} switch: defaults, errors with paths, writing. */
class ObservabilityConfigTest {

    @Test
    void withoutTheSectionsThereIsNoAccessLogAndDefaultMetrics() {
        GatehouseConfig c = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE));

        assertThat(c.accessLog().enabled()).isFalse();
        assertThat(c.metrics().latencyBuckets()).isEmpty();
        assertThat(c.metrics().percentiles()).isEmpty();
        assertThat(c.metrics().requests()).isTrue();
        assertThat(c.routes().get(0).accessLog()).isTrue();
    }

    @Test
    void anEmptySectionTurnsTheAccessLogOnWithDefaults() {
        AccessLogConfig a = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE, "access-log: {}\n")).accessLog();

        assertThat(a.enabled()).isTrue();
        assertThat(a.format()).isEqualTo(AccessLogConfig.Format.JSON);
        assertThat(a.sample()).isEqualTo(1.0);
        assertThat(a.toStdout()).isTrue();
    }

    @Test
    void everyKeyIsRead() {
        GatehouseConfig c = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE + ", access-log: false",
                "access-log: { enabled: true, path: logs/access.log, format: common, sample: 0.25 }\n"
                        + "metrics: { latency-buckets: [10ms, 1s], percentiles: [0.5, 0.99], requests: false }\n"));

        assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(true, "logs/access.log",
                AccessLogConfig.Format.COMMON, 0.25));
        assertThat(c.accessLog().toStdout()).isFalse();
        assertThat(c.metrics().latencyBuckets()).containsExactly(Duration.ofMillis(10), Duration.ofSeconds(1));
        assertThat(c.metrics().percentiles()).containsExactly(0.5, 0.99);
        assertThat(c.metrics().requests()).isFalse();
        assertThat(c.routes().get(0).accessLog()).isFalse();
    }

    @Test
    void badValuesAreReportedWithTheirPaths() {
        List<ConfigProblem> problems = problems(yaml(LISTENER, POOL, ROUTE + ", access-log: sometimes",
                "access-log: { format: xml, sample: 1.5, path: \" \" }\n"
                        + "metrics: { latency-buckets: [100ms, 50ms, 0ms], percentiles: [0, 0.99, 2] }\n"));

        assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
                "routes[0].access-log",
                "access-log.format",
                "access-log.sample",
                "access-log.path",
                "metrics.latency-buckets[1]",
                "metrics.latency-buckets[2]",
                "metrics.percentiles[0]",
                "metrics.percentiles[2]");
        assertThat(problems).extracting(ConfigProblem::toString).anySatisfy(p ->
                assertThat(p).contains("access-log.sample").contains("1.5 (expected: 0.0-1.0"));
        assertThat(problems).extracting(ConfigProblem::toString).anySatisfy(p ->
                assertThat(p).contains("access-log.format").contains("\"xml\" is not one of [json, common]"));
        assertThat(problems).extracting(ConfigProblem::toString).anySatisfy(p ->
                assertThat(p).contains("metrics.latency-buckets[1]").contains("50ms is not above the previous bucket 100ms"));
    }

    @Test
    void aSampleMustBeANumber() {
        List<ConfigProblem> problems = problems(yaml(LISTENER, POOL, ROUTE, "access-log: { sample: all }\n"));

        assertThat(problems).extracting(ConfigProblem::path).containsExactly("access-log.sample");
        assertThat(problems.get(0).message()).contains("expected a number");
    }

    @Test
    void theSharedPartRefusesTheNodeLocalSections() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigParser.parseShared(
                "{\"pools\": [], \"routes\": [], \"access-log\": {}, \"metrics\": {}}"));

        assertThat(e.problems()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("access-log", "metrics");
        assertThat(e.problems()).allSatisfy(p -> assertThat(p.message()).contains("node-local"));
    }

    @Test
    void bothSectionsAndTheRouteSwitchSurviveWritingAndReading() {
        GatehouseConfig c = ConfigParser.parse(yaml(LISTENER, POOL, ROUTE + ", access-log: false",
                "access-log: { path: -, format: common, sample: 0.1 }\n"
                        + "metrics: { latency-buckets: [5ms, 2500ms], percentiles: [0.999] }\n"));

        assertThat(ConfigParser.parse(ConfigWriter.toYaml(c))).isEqualTo(c);
        assertThat(ConfigParser.parse(ConfigWriter.toJson(c))).isEqualTo(c);
        assertThat(ConfigWriter.toYaml(c)).contains("access-log: false");
    }
}
