package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.AccessLogConfig;
import dev.gatehouse.config.RouteConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import static java.util.Objects.requireNonNull;

/**
 * The access log: one line per request, as JSON or in the common log format, written by a dedicated thread so the
 * event loops never touch a file. The request path only offers the finished {@link ExchangeRecord} to a bounded
 * queue; when the queue is full the line is dropped and counted ({@link #dropped()}), never waited for.
 *
 * <p>JSON lines carry {@code time, client, method, path, protocol, status, bytes_in, bytes_out, duration_ms, route,
 * pool, upstream, attempts, cache, request_id, trace_id, listener, user_agent, error}; {@code cache} is what the response
 * cache did, as an X-Cache word ({@code HIT}, {@code MISS}, {@code STALE}, {@code UPDATING}, {@code REVALIDATED},
 * {@code EXPIRED}, {@code BYPASS}; {@code null}, or {@code -} in the common format, on a route without caching). The
 * query string is never logged (it may hold secrets). The common format is Apache's "combined" line followed by {@code key=value} extras:
 * <pre>
 * 127.0.0.1 - - [02/Jan/2025:15:04:05 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8.5" rt=0.913 route=a upstream=127.0.0.1:9001 attempts=1 cache=MISS rid=4bf9… trace=0af7…
 * </pre>
 *
 * <p>{@code sample} keeps that fraction of requests (at random); responses with status 500 and above are always
 * logged. A route with {@code access-log: false} is never logged. Thread-safe.
 */
public final class AccessLog implements ExchangeObserver, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    static final int DEFAULT_QUEUE = 65_536;
    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final boolean json;
    private final double sample;
    private final String destination;
    private final ArrayBlockingQueue<ExchangeRecord> queue;
    private final Writer out;
    private final Thread writer;
    private final LongAdder dropped = new LongAdder();
    private volatile long written;
    private volatile boolean closed;
    private volatile Set<String> disabledRoutes = Set.of();

    /**
     * Opens the destination (creating the file and its folders; appending when it exists) and starts the writer
     * thread. Call at startup, not on an event loop.
     *
     * @param runtime followed for the routes that switch the access log off; {@code null} logs every route
     * @throws UncheckedIOException when the file cannot be opened
     */
    public static AccessLog open(AccessLogConfig config, ProxyRuntime runtime) {
        requireNonNull(config, "config");
        OutputStream stream;
        String path = config.path();
        if (config.toStdout()) {
            stream = new FileOutputStream(FileDescriptor.out);
            path = "stdout";
        } else {
            try {
                Path file = Path.of(path).toAbsolutePath();
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                stream = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                        StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException("access-log.path: cannot open " + path + ": " + e.getMessage(), e);
            }
        }
        AccessLog log = new AccessLog(stream, path, config.format() == AccessLogConfig.Format.JSON, config.sample(),
                DEFAULT_QUEUE);
        if (runtime != null) {
            runtime.onApplied(v -> log.follow(runtime));
            log.follow(runtime);
        }
        return log;
    }

    AccessLog(OutputStream stream, String destination, boolean json, double sample, int queueSize) {
        this.json = json;
        this.sample = sample;
        this.destination = destination;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 64 * 1024);
        this.writer = new Thread(this::run, "gatehouse-access-log");
        writer.setDaemon(true);
        writer.start();
        LOG.info("access log: {} lines to {}{}", json ? "JSON" : "common-format", destination,
                sample < 1 ? " (sampling " + sample + ", errors always)" : "");
    }

    private void follow(ProxyRuntime runtime) {
        Set<String> off = new HashSet<>();
        for (RouteConfig r : runtime.config().routes()) {
            if (!r.accessLog()) {
                off.add(r.name());
            }
        }
        disabledRoutes = Set.copyOf(off);
    }

    /** Lines written so far. */
    public long written() {
        return written;
    }

    /** Lines dropped because the writer could not keep up (the queue was full). */
    public long dropped() {
        return dropped.sum();
    }

    /** Where lines go: a file path or {@code stdout}. */
    public String destination() {
        return destination;
    }

    // ---- ExchangeObserver: on the event loop --------------------------------------------------------------

    @Override
    public void completed(ExchangeRecord record) {
        if (closed) {
            return;
        }
        Set<String> off = disabledRoutes;
        if (!off.isEmpty() && record.route() != null && off.contains(record.route())) {
            return;
        }
        if (sample < 1 && record.status() < 500 && ThreadLocalRandom.current().nextDouble() >= sample) {
            return;
        }
        if (!queue.offer(record)) {
            dropped.increment();
        }
    }

    // ---- the writer thread ----------------------------------------------------------------------------------

    private void run() {
        List<ExchangeRecord> batch = new ArrayList<>(1024);
        StringBuilder line = new StringBuilder(512);
        long idleNanos = 0;
        while (true) {
            boolean stopping = closed;
            batch.clear();
            queue.drainTo(batch, 1024);
            if (batch.isEmpty()) {
                if (stopping) {
                    break;
                }
                // Parked, not waiting on the queue: offers then never have a waiter to wake, which keeps them cheap.
                idleNanos = Math.min(Math.max(idleNanos * 2, TimeUnit.MILLISECONDS.toNanos(1)),
                        TimeUnit.MILLISECONDS.toNanos(20));
                LockSupport.parkNanos(idleNanos);
                continue;
            }
            idleNanos = 0;
            try {
                for (ExchangeRecord r : batch) {
                    line.setLength(0);
                    if (json) {
                        json(r, line);
                    } else {
                        common(r, line);
                    }
                    line.append('\n');
                    out.append(line);
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
                written += batch.size();
            } catch (IOException e) {
                dropped.add(batch.size());
                LOG.warn("access log: cannot write to {}: {}", destination, e.toString());
            }
        }
        try {
            out.flush();
            if (!destination.equals("stdout")) {
                out.close();
            }
        } catch (IOException e) {
            LOG.warn("access log: cannot close {}: {}", destination, e.toString());
        }
    }

    /** Stops taking lines, writes what is queued and closes the file. Blocks up to five seconds. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- formats --------------------------------------------------------------------------------------------

    static void json(ExchangeRecord r, StringBuilder b) {
        b.append("{\"time\":\"").append(Instant.ofEpochMilli(r.startMillis())).append('"');
        field(b, "client", r.client());
        field(b, "method", r.method());
        field(b, "path", r.path());
        field(b, "protocol", r.protocol());
        b.append(",\"status\":").append(r.status());
        b.append(",\"bytes_in\":").append(r.bytesIn());
        b.append(",\"bytes_out\":").append(r.bytesOut());
        b.append(",\"duration_ms\":");
        millis(b, r.durationNanos());
        field(b, "route", r.route());
        field(b, "pool", r.pool());
        field(b, "upstream", r.backend());
        b.append(",\"attempts\":").append(r.attempts());
        field(b, "cache", r.cache());
        field(b, "request_id", r.requestId());
        field(b, "trace_id", traceId(r.traceparent()));
        field(b, "listener", r.listener());
        field(b, "user_agent", r.userAgent());
        field(b, "error", r.error());
        b.append('}');
    }

    static void common(ExchangeRecord r, StringBuilder b) {
        b.append(dash(r.client())).append(" - - [");
        CLF_TIME.formatTo(Instant.ofEpochMilli(r.startMillis()), b);
        b.append("] \"");
        clf(b, r.method());
        b.append(' ');
        clf(b, r.path());
        b.append(' ');
        clf(b, r.protocol());
        b.append("\" ").append(r.status()).append(' ');
        if (r.bytesOut() > 0) {
            b.append(r.bytesOut());
        } else {
            b.append('-');
        }
        b.append(" \"-\" \"");
        clf(b, r.userAgent());
        b.append("\" rt=");
        millis(b, r.durationNanos());
        b.append(" route=").append(dash(r.route()));
        b.append(" upstream=").append(dash(r.backend()));
        b.append(" attempts=").append(r.attempts());
        b.append(" cache=");
        clf(b, r.cache());
        b.append(" rid=");
        clf(b, r.requestId());
        b.append(" trace=").append(dash(traceId(r.traceparent())));
    }

    /** The trace id of a version-00 traceparent the proxy built, else {@code null}. */
    static String traceId(String traceparent) {
        return traceparent != null && traceparent.length() >= 35 ? traceparent.substring(3, 35) : null;
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    private static void millis(StringBuilder b, long nanos) {
        long micros = nanos / 1000;
        b.append(micros / 1000).append('.');
        long frac = micros % 1000;
        if (frac < 100) {
            b.append('0');
        }
        if (frac < 10) {
            b.append('0');
        }
        b.append(frac);
    }

    private static void field(StringBuilder b, String name, String value) {
        b.append(",\"").append(name).append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** A common-format field: quotes, backslashes and control characters escaped (no log injection). */
    private static void clf(StringBuilder b, String value) {
        if (value == null || value.isEmpty()) {
            b.append('-');
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                b.append(c);
            }
        }
    }
}
