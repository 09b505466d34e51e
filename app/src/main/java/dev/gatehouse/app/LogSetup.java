package dev.gatehouse.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The application log, set up in code rather than from a logback.xml: parsing the XML (Joran) was a quarter of the
 * time before a node's cluster member starts. One line per event on standard error; the level is
 * {@code GATEHOUSE_LOG_LEVEL} (default INFO), per-logger levels come later from {@code GATEHOUSE_LOG_LEVELS}
 * ({@link LogLevels}). Line breaks inside a message are folded so an event stays one line.
 *
 * <p>An operator's own file ({@code -Dlogback.configurationFile=...}) or a test's {@code logback-test.xml} still wins:
 * then this steps aside for logback's usual search.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {

    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %replace(%msg){'[\\r\\n]+', ' | '}%n";

    public LogSetup() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null
                || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(ctx);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Sets the appender and levels on {@code ctx}. */
    static void apply(LoggerContext ctx) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(rootLevel(), Level.INFO));
        root.addAppender(stderr);
        ctx.getLogger("io.netty").setLevel(Level.WARN);
        ctx.getLogger("io.vertx").setLevel(Level.WARN);
        ctx.getLogger("com.hazelcast").setLevel(Level.WARN);
        // "No join method is enabled! Starting standalone." is what a node without a cluster section should do.
        ctx.getLogger("com.hazelcast.instance.impl.Node").setLevel(Level.ERROR);
    }

    /** As logback.xml's {@code ${GATEHOUSE_LOG_LEVEL:-INFO}} did: a system property first, then the environment. */
    static String rootLevel() {
        String v = System.getProperty("GATEHOUSE_LOG_LEVEL");
        if (v == null || v.isBlank()) {
            v = System.getenv("GATEHOUSE_LOG_LEVEL");
        }
        return v == null || v.isBlank() ? "INFO" : v.trim();
    }
}
