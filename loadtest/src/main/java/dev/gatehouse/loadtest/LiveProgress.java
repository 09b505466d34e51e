package dev.gatehouse.loadtest;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The live line of a measured run, as k6 and vegeta show one: each whole second of the run, the elapsed time, the
 * rate over the last second, the errors so far and p50/p99 so far, rewritten in place with {@code '\r'}. The workers
 * copy their figures on their own event loops ({@link LoadWorker#snapshot()}); merging, formatting and writing to
 * the stream (which may block, e.g. a paused terminal) happen on a worker thread, in order.
 */
final class LiveProgress {

    private static final long TICK_NS = TimeUnit.SECONDS.toNanos(1);

    private final Vertx vertx;
    /** Created on the caller's thread: the ticks run on it, not on a load worker's event loop. */
    private final Context context;
    private final PrintStream out;
    private final List<LoadWorker> workers;
    private final Promise<Void> ticked = Promise.promise();

    // confined to the context's event loop
    private long startNs;
    private long endNs;
    private Future<Void> lastLine = Future.succeededFuture();

    // confined to the context's ordered blocking tasks
    private long lastResponses;
    private long lastNs;
    private int width;
    private boolean printed;

    /** Call from the thread that starts the run (not an event loop of the workers). */
    LiveProgress(Vertx vertx, PrintStream out, List<LoadWorker> workers) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.out = out;
        this.workers = List.copyOf(workers);
    }

    /**
     * One line: elapsed whole seconds, responses per second over the last second, errors so far, and the latency
     * percentiles so far in milliseconds ({@code -} before the first response).
     */
    static String line(long elapsedSeconds, double rate, long errors, Histogram latencyUs) {
        String p50 = "-";
        String p99 = "-";
        if (latencyUs.getTotalCount() > 0) {
            p50 = String.format(Locale.ROOT, "%.3f", latencyUs.getValueAtPercentile(50) / 1000.0);
            p99 = String.format(Locale.ROOT, "%.3f", latencyUs.getValueAtPercentile(99) / 1000.0);
        }
        return String.format(Locale.ROOT, "elapsed %ds  rate %.1f/s  errors %d  p50 %s ms  p99 %s ms",
                elapsedSeconds, rate, errors, p50, p99);
    }

    /**
     * Prints a line at each whole second after {@code startNs} strictly before {@code endNs} (both
     * {@link System#nanoTime()} instants of the measured run). May be called from any thread, once.
     */
    void start(long startNs, long endNs) {
        context.runOnContext(v -> {
            this.startNs = startNs;
            this.endNs = endNs;
            schedule(1);
        });
    }

    private void schedule(long second) {
        long at = startNs + second * TICK_NS;
        if (at >= endNs) {
            lastLine.onComplete(ar -> ticked.complete());
            return;
        }
        vertx.timer(Math.max(1, at - System.nanoTime()), TimeUnit.NANOSECONDS).onSuccess(t -> {
            long now = System.nanoTime();
            Future<Void> previous = lastLine;
            lastLine = Future.all(workers.stream().map(LoadWorker::snapshot).toList())
                    .compose(all -> previous.transform(ar -> context.executeBlocking(() -> {
                        print(second, now, all.list());
                        return null;
                    }, true)))
                    .<Void>mapEmpty()
                    .recover(e -> Future.succeededFuture()); // a missed line must not fail the run
            schedule(second + 1);
        });
    }

    private void print(long second, long now, List<LoadWorker.Snapshot> snapshots) {
        long responses = 0;
        long errors = 0;
        Histogram latency = new Histogram(LoadWorker.HIGHEST_US, 3);
        for (LoadWorker.Snapshot s : snapshots) {
            responses += s.responses();
            errors += s.errors();
            latency.add(s.latencyUs());
        }
        long since = printed ? lastNs : startNs;
        double rate = now > since ? (responses - lastResponses) * 1e9 / (now - since) : 0;
        lastResponses = responses;
        lastNs = now;
        String line = line(second, rate, errors, latency);
        // spaces over the rest of a longer previous line
        out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
        out.flush();
        width = line.length();
        printed = true;
    }

    /**
     * Completes once every line of the run is printed, the last one followed by a line break so the report starts on
     * its own line. Call after the run has completed.
     */
    Future<Void> finish() {
        return ticked.future().compose(v -> context.executeBlocking(() -> {
            if (printed) {
                out.println();
                out.flush();
            }
            return null;
        }, true)).mapEmpty();
    }
}
