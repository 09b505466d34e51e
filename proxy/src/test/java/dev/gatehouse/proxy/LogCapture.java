package dev.gatehouse.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/** Captures what a logger writes at WARN, for asserting on operator-facing log lines. */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture(Class<?> type) {
        logger = (Logger) LoggerFactory.getLogger(type);
        appender.start();
        logger.addAppender(appender);
    }

    public List<String> warnings() {
        synchronized (appender) { // appends happen under this lock, from other threads too
            List<String> out = new ArrayList<>();
            for (ILoggingEvent e : appender.list) {
                if (e.getLevel() == Level.WARN) {
                    out.add(e.getFormattedMessage());
                }
            }
            return out;
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
