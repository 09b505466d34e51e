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
