package dev.gatehouse.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gatehouse.loadtest.DemoBackendsTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The live progress line: its format, and runs of the command against a real server on 127.0.0.1 (each < 3 s). */
class LiveProgressTest {

    private static final Pattern LINE = Pattern.compile(
            "\\relapsed (\\d+)s  rate (\\d+\\.\\d)/s  errors (\\d+)  p50 (\\d+\\.\\d{3}) ms  p99 (\\d+\\.\\d{3}) ms *");

    private static Vertx vertx;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        HttpServer server = await(vertx.createHttpServer()
                .requestHandler(req -> req.response().end("ok"))
                .listen(0, "127.0.0.1"));
        url = "http://127.0.0.1:" + server.actualPort() + "/";
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close());
        }
    }

    @Test
    void formatsElapsedRateErrorsAndPercentiles() {
        Histogram h = new Histogram(LoadWorker.HIGHEST_US, 3);
        h.recordValueWithCount(1000, 50);
        h.recordValueWithCount(2000, 49);
        h.recordValue(1500_000);
        assertThat(LiveProgress.line(3, 1234.56, 7, h))
                .isEqualTo("elapsed 3s  rate 1234.6/s  errors 7  p50 1.000 ms  p99 2.000 ms");
        assertThat(LiveProgress.line(1, 0, 0, new Histogram(LoadWorker.HIGHEST_US, 3)))
                .as("no response yet: no percentile")
                .isEqualTo("elapsed 1s  rate 0.0/s  errors 0  p50 - ms  p99 - ms");
    }

    @Test
    void forcedOnPrintsOneLinePerSecondThenTheReport() {
        String out = runCommand("--url", url, "--rate", "50/s", "--duration", "2500ms", "--warmup", "0s",
                "--progress");
        assertThat(out.chars().filter(c -> c == '\r').count()).as(out).isEqualTo(2);
        Matcher all = LINE.matcher(out);
        List<String> elapsed = new ArrayList<>();
        while (all.find()) {
            elapsed.add(all.group(1));
            double rate = Double.parseDouble(all.group(2));
            assertThat(rate).as("about 50/s over the last second (loose: a loaded machine delays ticks)")
                    .isBetween(10.0, 200.0);
            assertThat(all.group(3)).isEqualTo("0");
        }
        assertThat(elapsed).as(out).containsExactly("1", "2");
        // the report starts on its own line after the last live line, as without progress
        // (a live line shorter than the one before is padded with spaces to cover it)
        assertThat(out).containsPattern(" ms *" + java.util.regex.Pattern.quote(System.lineSeparator()) + "GET ");
        assertThat(out).contains("  latency ms  p50 ");
    }

    @Test
    void offOrNotATerminalPrintsOnlyTheReport() {
        String off = runCommand("--url", url, "--rate", "50/s", "--duration", "1500ms", "--warmup", "0s",
                "--no-progress");
        assertThat(off).doesNotContain("\r").doesNotContain("elapsed ").startsWith("GET ");
        // under surefire System.console() is null: no live line by default
        String auto = runCommand("--url", url, "--rate", "50/s", "--duration", "1500ms", "--warmup", "0s");
        assertThat(auto).doesNotContain("\r").doesNotContain("elapsed ").startsWith("GET ");
    }

    private static String runCommand(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = LoadtestCommand.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isEqualTo(LoadtestCommand.EXIT_OK);
        return out;
    }
}
