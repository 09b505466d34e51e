package dev.gatehouse.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-logger levels from {@code GATEHOUSE_LOG_LEVELS}, a comma-separated list of {@code logger=LEVEL}, for example
 * {@code dev.gatehouse.proxy=DEBUG,com.hazelcast=INFO}. The root level is {@code GATEHOUSE_LOG_LEVEL} ({@link LogSetup}).
 */
final class LogLevels {

    private LogLevels() {
    }

    /**
     * Applies {@code spec} to the logback context; entries that are not {@code logger=LEVEL} with a known level are
     * reported on {@code err} and skipped.
     *
     * @return the entries applied, as {@code logger=LEVEL}
     */
    static List<String> apply(String spec, PrintStream err) {
        List<String> applied = new ArrayList<>();
        if (spec == null || spec.isBlank() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return applied;
        }
        for (String entry : spec.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String name = eq > 0 ? e.substring(0, eq).trim() : "";
            String levelName = eq > 0 ? e.substring(eq + 1).trim() : "";
            Level level = Level.toLevel(levelName, null);
            if (name.isEmpty() || level == null) {
                err.println("gatehouse: GATEHOUSE_LOG_LEVELS: \"" + e + "\" ignored (expected logger=LEVEL with LEVEL"
                        + " one of TRACE, DEBUG, INFO, WARN, ERROR, OFF)");
                continue;
            }
            Logger logger = ctx.getLogger(name.equalsIgnoreCase("root") ? Logger.ROOT_LOGGER_NAME : name);
            logger.setLevel(level);
            applied.add(name + "=" + level);
        }
        return applied;
    }
}
