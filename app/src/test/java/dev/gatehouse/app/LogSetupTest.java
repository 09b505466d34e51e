package dev.gatehouse.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The programmatic log set-up: what logback.xml configured, without parsing XML at start. */
class LogSetupTest {

    @Test
    void setsTheStderrAppenderAndTheQuietLibraryLevels() {
        LoggerContext ctx = new LoggerContext();
        LogSetup.apply(ctx);

        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.toLevel(LogSetup.rootLevel()));
        assertThat(root.getAppender("STDERR")).isInstanceOf(ConsoleAppender.class);
        assertThat(((ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR")).getTarget()).isEqualTo("System.err");
        assertThat(ctx.getLogger("com.hazelcast").getLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("io.vertx").getLevel()).isEqualTo(Level.WARN);
        assertThat(ctx.getLogger("com.hazelcast.instance.impl.Node").getLevel()).isEqualTo(Level.ERROR);
    }

    @Test
    void aMessageWithLineBreaksStaysOneLine() {
        LoggerContext ctx = new LoggerContext();
        LogSetup.apply(ctx);
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> stderr =
                (ConsoleAppender<ILoggingEvent>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        ch.qos.logback.classic.Logger logger = ctx.getLogger("dev.gatehouse.app.Node");
        LoggingEvent event = new LoggingEvent("x", logger, Level.WARN, "first\r\nsecond\nthird", null, null);

        String line = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);

        assertThat(line).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  Node - first \\| second \\| third\\R");
    }

    @Test
    void theRootLevelDefaultsToInfo() {
        String saved = System.getProperty("GATEHOUSE_LOG_LEVEL");
        try {
            System.setProperty("GATEHOUSE_LOG_LEVEL", "DEBUG");
            assertThat(LogSetup.rootLevel()).isEqualTo("DEBUG");
            System.clearProperty("GATEHOUSE_LOG_LEVEL");
            if (System.getenv("GATEHOUSE_LOG_LEVEL") == null) {
                assertThat(LogSetup.rootLevel()).isEqualTo("INFO");
            }
        } finally {
            if (saved != null) {
                System.setProperty("GATEHOUSE_LOG_LEVEL", saved);
            }
        }
    }
}
