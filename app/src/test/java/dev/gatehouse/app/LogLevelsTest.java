package dev.gatehouse.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GATEHOUSE_LOG_LEVELS}: per-logger levels, bad entries reported and skipped. */
class LogLevelsTest {

    @AfterEach
    void reset() {
        ((Logger) LoggerFactory.getLogger("dev.gatehouse.test.a")).setLevel(null);
        ((Logger) LoggerFactory.getLogger("dev.gatehouse.test.b")).setLevel(null);
    }

    @Test
    void setsEachLoggersLevelAndReportsWhatItCannotRead() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        var applied = LogLevels.apply(" dev.gatehouse.test.a=DEBUG, dev.gatehouse.test.b=warn ,nonsense, x=LOUD,,",
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(applied).containsExactly("dev.gatehouse.test.a=DEBUG", "dev.gatehouse.test.b=WARN");
        assertThat(((Logger) LoggerFactory.getLogger("dev.gatehouse.test.a")).getLevel()).isEqualTo(Level.DEBUG);
        assertThat(((Logger) LoggerFactory.getLogger("dev.gatehouse.test.b")).getLevel()).isEqualTo(Level.WARN);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("\"nonsense\" ignored", "\"x=LOUD\" ignored")
                .hasLineCount(2);
    }

    @Test
    void nothingToDoWithoutTheVariable() {
        assertThat(LogLevels.apply(null, System.err)).isEmpty();
        assertThat(LogLevels.apply("  ", System.err)).isEmpty();
    }
}
