package dev.gatehouse.loadtest;

import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadOptionsTest {

    @Test
    void parsesEveryOption() {
        LoadOptions o = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:8080/a?b=1", "--rate", "600/m",
                "--duration=2s", "--warmup", "0s", "--method", "put", "--header", "X-A: 1", "--header", "X-B:2",
                "--body-size", "1KB", "--http2", "--timeout", "250ms", "--max-in-flight", "10", "--json",
                "--insecure"});
        assertThat(o.url().toString()).isEqualTo("http://127.0.0.1:8080/a?b=1");
        assertThat(o.rate()).isEqualTo(10.0);
        assertThat(o.openLoop()).isTrue();
        assertThat(o.connections()).isZero();
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.warmup()).isZero();
        assertThat(o.method()).isEqualTo(HttpMethod.PUT);
        assertThat(o.headers()).containsExactly(Map.entry("X-A", "1"), Map.entry("X-B", "2"));
        assertThat(o.bodySize()).isEqualTo(1024);
        assertThat(o.http2()).isTrue();
        assertThat(o.json()).isTrue();
        assertThat(o.insecure()).isTrue();
        assertThat(o.timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(o.maxInFlight()).isEqualTo(10);
    }

    @Test
    void defaults() {
        LoadOptions o = LoadOptions.parse(new String[] {"--url", "http://localhost/"});
        assertThat(o.openLoop()).isFalse();
        assertThat(o.connections()).isEqualTo(LoadOptions.DEFAULT_CONNECTIONS);
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.warmup()).isEqualTo(Duration.ofSeconds(1));
        assertThat(o.method()).isEqualTo(HttpMethod.GET);
        assertThat(LoadOptions.parse(new String[] {"--url", "http://h/", "--body-size", "10"}).method())
                .as("a body means POST unless told").isEqualTo(HttpMethod.POST);
        assertThat(LoadOptions.parse(new String[] {"--url", "http://h/", "--rate", "250"}).rate()).isEqualTo(250);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--rate 10/s                                    | --url is required",
            "--url ftp://h/                                 | --url: \"ftp://h/\" (expected: http://",
            "--url http://h/ --rate 10 --connections 2      | --rate and --connections exclude each other",
            "--url http://h/ --rate fast                    | --rate: \"fast\" is not a rate",
            "--url http://h/ --rate 0                       | --rate: 0 (expected: ",
            "--url http://h/ --duration 10                  | --duration: \"10\" is not a duration",
            "--url http://h/ --duration 25h                 | --duration: 25h (expected: 100ms..24h)",
            "--url http://h/ --connections 0                | --connections: 0 (expected: 1..10000)",
            "--url http://h/ --connections x                | --connections: \"x\" is not a whole number",
            "--url http://h/ --connections 20 --max-in-flight 10 | --connections: 20 (expected: <= --max-in-flight 10)",
            "--url http://h/ --header NoColon               | --header: \"NoColon\" (expected: Name:value)",
            "--url http://h/ --body-size 1.5MB              | --body-size: \"1.5MB\" is not a size",
            "--url http://h/ --method G3T                   | --method: \"G3T\" is not an HTTP method",
            "--url http://h/ --bogus                        | unknown option --bogus",
            "--url http://h/ stray                          | unexpected argument \"stray\"",
            "--url                                          | --url needs a value",
    })
    void rejectsBadArgumentsWithAClearMessage(String args, String message) {
        assertThatThrownBy(() -> LoadOptions.parse(args.trim().split("\\s+")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void parsesTheKeyMixAndSeveralTargets() {
        LoadOptions o = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:8081/bytes/1024?max-age=60",
                "--url", "http://127.0.0.1:8082/c/{key}?max-age=60", "--url=https://node-c:8443/",
                "--keys", "10000", "--zipf", "1.1", "--seed", "-7", "--origin-counter", "http://127.0.0.1:9000/stats",
                "--origin-counter", "http://127.0.0.1:9001/stats"});
        assertThat(o.keyed()).isTrue();
        assertThat(o.keys()).isEqualTo(10_000);
        assertThat(o.zipf()).isEqualTo(1.1);
        assertThat(o.seed()).isEqualTo(-7);
        assertThat(o.targets()).hasSize(3);
        assertThat(o.originCounters()).extracting(Object::toString)
                .containsExactly("http://127.0.0.1:9000/stats", "http://127.0.0.1:9001/stats");
        Target appended = o.targets().get(0);
        assertThat(appended.requestTarget(17)).as("/k/<key> appended to the path, the query kept")
                .isEqualTo("/bytes/1024/k/17?max-age=60");
        assertThat(appended.host()).isEqualTo("127.0.0.1");
        assertThat(appended.port()).isEqualTo(8081);
        assertThat(appended.display()).isEqualTo("http://127.0.0.1:8081/bytes/1024/k/{key}?max-age=60");
        Target placeholder = o.targets().get(1);
        assertThat(placeholder.requestTarget(3)).isEqualTo("/c/3?max-age=60");
        assertThat(placeholder.display()).isEqualTo("http://127.0.0.1:8082/c/{key}?max-age=60");
        Target root = o.targets().get(2);
        assertThat(root.requestTarget(9)).isEqualTo("/k/9");
        assertThat(root.tls()).isTrue();
        assertThat(root.port()).isEqualTo(8443);
        assertThat(o.url().toString()).isEqualTo("http://127.0.0.1:8081/bytes/1024?max-age=60");

        assertThat(Target.parse("http://h/x?k={key}&max-age=60", true).requestTarget(5))
                .isEqualTo("/x?k=5&max-age=60");
    }

    @Test
    void progressIsForcedOnOrOffElseShownOnATerminalWithoutJson() {
        LoadOptions auto = LoadOptions.parse(new String[] {"--url", "http://h/"});
        assertThat(auto.progress()).isEqualTo(LoadOptions.Progress.AUTO);
        assertThat(auto.showProgress(true)).isTrue();
        assertThat(auto.showProgress(false)).isFalse();
        LoadOptions json = LoadOptions.parse(new String[] {"--url", "http://h/", "--json"});
        assertThat(json.showProgress(true)).as("--json output stays parseable").isFalse();
        LoadOptions on = LoadOptions.parse(new String[] {"--url", "http://h/", "--progress", "--json"});
        assertThat(on.progress()).isEqualTo(LoadOptions.Progress.ON);
        assertThat(on.showProgress(false)).isTrue();
        LoadOptions off = LoadOptions.parse(new String[] {"--no-progress", "--url", "http://h/", "--no-progress"});
        assertThat(off.progress()).isEqualTo(LoadOptions.Progress.OFF);
        assertThat(off.showProgress(true)).isFalse();
        assertThatThrownBy(() -> LoadOptions.parse(new String[] {"--url", "http://h/", "--progress", "--no-progress"}))
                .hasMessage("--progress and --no-progress exclude each other");
        assertThat(LoadOptions.USAGE).contains("--progress", "--no-progress");
    }

    @Test
    void keyMixDefaults() {
        LoadOptions plain = LoadOptions.parse(new String[] {"--url", "http://h/a?b=1"});
        assertThat(plain.keyed()).isFalse();
        assertThat(plain.keys()).isZero();
        assertThat(plain.targets().get(0).requestTarget(5)).as("no key without --keys").isEqualTo("/a?b=1");
        assertThat(plain.originCounters()).isEmpty();
        LoadOptions uniform = LoadOptions.parse(new String[] {"--url", "http://h/", "--keys", "5"});
        assertThat(uniform.zipf()).as("uniform unless --zipf").isZero();
        long other = LoadOptions.parse(new String[] {"--url", "http://h/", "--keys", "5"}).seed();
        assertThat(uniform.seed()).as("a random seed unless --seed").isNotEqualTo(other);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--url http://h/ --zipf 1.1                     | --zipf needs --keys",
            "--url http://h/ --seed 3                       | --seed needs --keys",
            "--url http://h/{key}                           | has a {key} placeholder but no --keys",
            "--url http://h/{key}/{key} --keys 3            | has more than one {key}",
            "--url http://{key}:80/ --keys 3                | {key} must be in the path or the query",
            "--url http://h/#frag                           | has a fragment",
            "--url http://h/ --keys 0                       | --keys: 0 (expected: 1..1000000000)",
            "--url http://h/ --keys many                    | --keys: \"many\" is not a whole number",
            "--url http://h/ --keys 5 --zipf 11             | --zipf: 11 (expected: 0..10)",
            "--url http://h/ --keys 5 --zipf -1             | --zipf: \"-1\" is not a number",
            "--url http://h/ --keys 5 --zipf steep          | --zipf: \"steep\" is not a number",
            "--url http://h/ --keys 5 --seed 1.5            | --seed: \"1.5\" is not a whole number",
            "--url http://h/ --origin-counter ftp://h/      | --origin-counter: \"ftp://h/\" (expected: http://",
            "--url http://h/ --url ftp://h/                 | --url: \"ftp://h/\" (expected: http://",
    })
    void rejectsBadKeyMixArguments(String args, String message) {
        assertThatThrownBy(() -> LoadOptions.parse(args.trim().split("\\s+")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void rejectsMoreThanSixtyFourTargets() {
        String[] args = new String[2 * (LoadOptions.MAX_URLS + 1)];
        for (int i = 0; i < args.length; i += 2) {
            args[i] = "--url";
            args[i + 1] = "http://127.0.0.1:" + (8000 + i) + "/";
        }
        assertThatThrownBy(() -> LoadOptions.parse(args)).hasMessageContaining("--url: 65 given (expected: at most 64)");
    }

    @Test
    void commandExitsNonZeroWithTheMessageAndUsage() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = LoadtestCommand.run(new String[] {"--url", "http://h/", "--rate", "lots"},
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).isEqualTo(LoadtestCommand.EXIT_USAGE);
        assertThat(out).startsWith("loadtest: --rate: \"lots\" is not a rate").contains("usage: gatehouse loadtest");

        buf.reset();
        assertThat(LoadtestCommand.run(new String[] {"--help"}, new PrintStream(buf, true, StandardCharsets.UTF_8)))
                .isZero();
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("--rate N/s", "--connections N");
    }

    @Test
    void units() {
        assertThat(Units.parseSize("64KB")).isEqualTo(65536);
        assertThat(Units.parseSize("1gb")).isEqualTo(1L << 30);
        assertThat(Units.parseSize("512")).isEqualTo(512);
        assertThat(Units.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Units.parseDuration("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Units.parseRate("2.5/s")).isEqualTo(2.5);
        assertThat(Units.parseRate("3600/h")).isEqualTo(1.0);
        assertThat(Units.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(DemoBackendsMain.parsePorts("9101, 9102")).containsExactly(9101, 9102);
        assertThatThrownBy(() -> DemoBackendsMain.parsePorts("9101,x")).hasMessageContaining("\"x\" is not a port");
    }
}
