package dev.gatehouse.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one load test: deploys one {@link LoadWorker} per event loop (fewer for few connections), runs them for the
 * warm-up (dropping what they measured: it covers class loading, JIT and opening connections), then for the duration
 * on a common clock, and merges what they measured into a {@link LoadReport}. The test is bounded by its duration
 * (plus the request timeout to drain) and by the in-flight cap, split among the workers.
 */
final class LoadGenerator {

    /** Workers start this long after deployment so all share the first tick. */
    private static final long START_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private LoadGenerator() {
    }

    static Future<LoadReport> run(Vertx vertx, LoadOptions options) {
        return run(vertx, options, null);
    }

    /**
     * @param progress where to print the live line of the measured run ({@link LiveProgress}), or null for none
     */
    static Future<LoadReport> run(Vertx vertx, LoadOptions options, PrintStream progress) {
        int workers = options.openLoop()
                ? Math.max(1, Math.min(VertxDefaults.cores(), options.maxInFlight()))
                : Math.min(VertxDefaults.cores(), options.connections());
        int total = options.openLoop() ? options.maxInFlight() : options.connections();
        Buffer body = options.bodySize() > 0 ? Buffer.buffer(new byte[(int) options.bodySize()]) : null;

        List<LoadWorker> list = new ArrayList<>();
        List<Future<String>> deployed = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            int share = total / workers + (i < total % workers ? 1 : 0);
            LoadWorker worker = new LoadWorker(options, i, workers, share, body);
            list.add(worker);
            deployed.add(vertx.deployVerticle(worker));
        }
        long timeoutMs = options.timeout().toMillis();
        Origin origin = new Origin();
        LiveProgress live = progress == null ? null : new LiveProgress(vertx, progress, list);
        String[] stage = {"deploying the workers"};
        Future<LoadReport> report = Future.all(deployed)
                .compose(ok -> {
                    stage[0] = "the warm-up";
                    return options.warmup().isZero()
                            ? Future.succeededFuture()
                            : runAll(list, options.warmup(), null);
                })
                .compose(ok -> {
                    stage[0] = "reading the origin counter before the run";
                    return readOrigin(vertx, options, timeoutMs, origin, true);
                })
                .compose(ok -> {
                    stage[0] = "the measured run";
                    return runAll(list, options.duration(), live);
                })
                .compose(results -> live == null ? Future.succeededFuture(results) : live.finish().map(results))
                .compose(results -> {
                    stage[0] = "reading the origin counter after the run";
                    return readOrigin(vertx, options, timeoutMs, origin, false).map(results);
                })
                .map(results -> merge(options, results, origin))
                .eventually(() -> {
                    stage[0] = "undeploying the workers";
                    return Future.join(deployed.stream()
                            .filter(Future::succeeded)
                            .map(d -> vertx.undeploy(d.result()))
                            .toList());
                });
        long limitMs = options.warmup().toMillis() + options.duration().toMillis()
                + 6 * options.timeout().toMillis() + 10_000;
        return bounded(report, limitMs, stage);
    }

    /**
     * Every stage is bounded (request timeouts, the grace after the run), so a run ends by the warm-up, the duration
     * and a few timeouts; past that it fails, naming the stage it was in, rather than leaving the caller waiting.
     */
    static <T> Future<T> bounded(Future<T> report, long limitMs, String[] stage) {
        return report.timeout(limitMs, TimeUnit.MILLISECONDS).recover(e -> Future.failedFuture(report.isComplete()
                ? e // the run's own failure
                : new IllegalStateException("the load test did not finish within " + limitMs + " ms: still in "
                        + stage[0])));
    }

    /** The origin's count before and after the measured run, or why it could not be read. */
    private static final class Origin {
        OriginCounter.Count before;
        OriginCounter.Count after;
        String problem;
    }

    /** Reads the origin counters, if any; a failure is reported, not fatal: the load figures still stand. */
    private static Future<Void> readOrigin(Vertx vertx, LoadOptions options, long timeoutMs, Origin origin,
                                           boolean before) {
        if (options.originCounters().isEmpty() || origin.problem != null) {
            return Future.succeededFuture();
        }
        return OriginCounter.read(vertx, options.originCounters(), timeoutMs)
                .map(n -> {
                    if (before) {
                        origin.before = n;
                    } else {
                        origin.after = n;
                    }
                    return (Void) null;
                })
                .otherwise(e -> {
                    origin.problem = e.getMessage();
                    return null;
                });
    }

    /** One run of all workers on a common clock, with its live line if {@code live} is not null. */
    private static Future<List<Future<LoadWorker.Result>>> runAll(List<LoadWorker> workers, Duration duration,
                                                                  LiveProgress live) {
        long start = System.nanoTime() + START_DELAY_NS;
        long end = start + duration.toNanos();
        if (live != null) {
            live.start(start, end);
        }
        List<Future<LoadWorker.Result>> results = workers.stream().map(w -> w.run(start, end)).toList();
        return Future.all(results).map(results);
    }

    private static LoadReport merge(LoadOptions options, List<Future<LoadWorker.Result>> results, Origin origin) {
        long hits = 0;
        long cacheAnswers = 0;
        List<LoadWorker.PerTarget> perTarget = new ArrayList<>();
        for (int i = 0; i < options.targets().size(); i++) {
            perTarget.add(new LoadWorker.PerTarget());
        }
        long requests = 0;
        long responses = 0;
        long bytes = 0;
        long[] errors = new long[ErrorKind.values().length];
        Map<Integer, Long> statuses = new HashMap<>();
        Histogram latency = new Histogram(LoadWorker.HIGHEST_US, 3);
        Histogram lag = new Histogram(LoadWorker.HIGHEST_US, 3);
        for (Future<LoadWorker.Result> f : results) {
            LoadWorker.Result r = f.result();
            requests += r.sent();
            responses += r.responses();
            bytes += r.bytes();
            for (int i = 0; i < errors.length; i++) {
                errors[i] += r.errors()[i];
            }
            r.statuses().forEach((code, n) -> statuses.merge(code, n, Long::sum));
            latency.add(r.latencyUs());
            lag.add(r.sendLagUs());
            hits += r.hits();
            cacheAnswers += r.cacheAnswers();
            for (int i = 0; i < perTarget.size(); i++) {
                perTarget.get(i).add(r.perTarget().get(i));
            }
        }
        EnumMap<ErrorKind, Long> byKind = new EnumMap<>(ErrorKind.class);
        for (ErrorKind kind : ErrorKind.values()) {
            byKind.put(kind, errors[kind.ordinal()]);
        }
        double seconds = options.duration().toNanos() / 1e9;
        long originRequests = origin.problem == null && origin.after != null ? origin.after.since(origin.before) : -1;
        return new LoadReport(options, requests, responses, byKind, Map.copyOf(statuses), seconds, bytes, latency,
                lag, hits, cacheAnswers, List.copyOf(perTarget), originRequests, origin.problem);
    }
}
