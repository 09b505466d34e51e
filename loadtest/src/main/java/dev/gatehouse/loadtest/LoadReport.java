package dev.gatehouse.loadtest;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of one load test.
 *
 * @param requests  requests sent plus those due but unsent (open loop)
 * @param responses responses received, of any status
 * @param errors    by kind; status errors are also responses
 * @param statuses  response count by status code
 * @param seconds   the sending window; rates are per second of it
 * @param bytes     response body bytes received
 * @param latencyUs response latency in microseconds: from the intended send time in open loop, from the actual
 *                  send in closed loop; failed requests (no response) are not in it
 * @param sendLagUs open loop only: how late requests left relative to their intended time
 * @param hits      responses a cache answered ({@link CacheAnswer})
 * @param cacheAnswers responses that said whether a cache answered, hits included
 * @param perTarget each {@code --url}'s share, in order
 * @param originRequests requests the origin counted during the measured run; -1 without {@code --origin-counter}
 *                  or when it could not be read
 * @param originProblem why the origin counter could not be read, or null
 */
record LoadReport(LoadOptions options, long requests, long responses, EnumMap<ErrorKind, Long> errors,
                  Map<Integer, Long> statuses, double seconds, long bytes, Histogram latencyUs,
                  Histogram sendLagUs, long hits, long cacheAnswers, List<LoadWorker.PerTarget> perTarget,
                  long originRequests, String originProblem) {

    /** Hits over all responses; 0 without responses. */
    double hitRatio() {
        return responses > 0 ? (double) hits / responses : 0;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    long successes() {
        return responses - errors.getOrDefault(ErrorKind.STATUS_4XX, 0L)
                - errors.getOrDefault(ErrorKind.STATUS_5XX, 0L);
    }

    double achievedRate() {
        return seconds > 0 ? responses / seconds : 0;
    }

    double bytesPerSecond() {
        return seconds > 0 ? bytes / seconds : 0;
    }

    /** A latency percentile in milliseconds; 0 when there were no responses. */
    double latencyMs(double percentile) {
        return latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxLatencyMs() {
        return latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getMaxValue() / 1000.0;
    }

    String mode() {
        return options.openLoop() ? "open-loop" : "closed-loop";
    }

    JsonObject toJson() {
        JsonObject errs = new JsonObject().put("total", errorCount());
        for (ErrorKind kind : ErrorKind.values()) {
            errs.put(kind.label, errors.getOrDefault(kind, 0L));
        }
        JsonObject codes = new JsonObject();
        new TreeMap<>(statuses).forEach((code, n) -> codes.put(Integer.toString(code), n));
        JsonObject latency = new JsonObject()
                .put("measured_from", options.openLoop() ? "intended-send-time" : "send-time")
                .put("count", latencyUs.getTotalCount())
                .put("p50", round(latencyMs(50)))
                .put("p90", round(latencyMs(90)))
                .put("p99", round(latencyMs(99)))
                .put("p99_9", round(latencyMs(99.9)))
                .put("max", round(maxLatencyMs()))
                .put("mean", round(latencyUs.getTotalCount() == 0 ? 0 : latencyUs.getMean() / 1000.0));
        JsonObject json = new JsonObject()
                .put("url", options.targets().get(0).display())
                .put("urls", new io.vertx.core.json.JsonArray(options.targets().stream().map(Target::display).toList()))
                .put("method", options.method().name())
                .put("protocol", options.http2() ? "h2" : "http/1.1")
                .put("mode", mode())
                .put("target_rate", options.openLoop() ? options.rate() : null)
                .put("connections", options.openLoop() ? null : options.connections())
                .put("duration_s", round(seconds))
                .put("warmup_s", round(options.warmup().toMillis() / 1000.0))
                .put("requests", requests)
                .put("responses", responses)
                .put("successes", successes())
                .put("errors", errs)
                .put("statuses", codes)
                .put("achieved_rate", round(achievedRate()))
                .put("bytes_received", bytes)
                .put("throughput_bytes_per_s", round(bytesPerSecond()))
                .put("latency_ms", latency);
        if (options.keyed()) {
            json.put("keys", new JsonObject().put("count", options.keys()).put("zipf", options.zipf())
                    .put("seed", options.seed()));
        }
        json.put("cache", new JsonObject().put("hits", hits).put("answers", cacheAnswers)
                .put("hit_ratio", round(hitRatio())));
        if (!options.originCounters().isEmpty()) {
            JsonObject o = new JsonObject();
            if (originRequests >= 0) {
                o.put("requests", originRequests)
                        .put("rate", round(seconds > 0 ? originRequests / seconds : 0))
                        .put("share_of_responses", round(responses > 0 ? (double) originRequests / responses : 0));
            } else {
                o.put("error", originProblem);
            }
            json.put("origin", o);
        }
        if (perTarget.size() > 1) {
            io.vertx.core.json.JsonArray targets = new io.vertx.core.json.JsonArray();
            for (int i = 0; i < perTarget.size(); i++) {
                LoadWorker.PerTarget t = perTarget.get(i);
                targets.add(new JsonObject()
                        .put("url", options.targets().get(i).display())
                        .put("sent", t.sent)
                        .put("responses", t.responses)
                        .put("rate", round(seconds > 0 ? t.responses / seconds : 0))
                        .put("errors", t.errors)
                        .put("hits", t.hits)
                        .put("hit_ratio", round(t.responses > 0 ? (double) t.hits / t.responses : 0))
                        .put("p99_ms", round(t.latencyUs.getTotalCount() == 0 ? 0
                                : t.latencyUs.getValueAtPercentile(99) / 1000.0)));
            }
            json.put("targets", targets);
        }
        if (options.openLoop()) {
            json.put("send_lag_ms", new JsonObject()
                    .put("p99", round(sendLagUs.getTotalCount() == 0 ? 0 : sendLagUs.getValueAtPercentile(99) / 1000.0))
                    .put("max", round(sendLagUs.getTotalCount() == 0 ? 0 : sendLagUs.getMaxValue() / 1000.0)));
        }
        return json;
    }

    String toText() {
        StringBuilder sb = new StringBuilder();
        String how = options.openLoop()
                ? String.format(Locale.ROOT, "open loop at %s/s (latency from intended send time)", num(options.rate()))
                : "closed loop, " + options.connections() + " connections (latency from send time)";
        String warm = options.warmup().isZero() ? "" : " after " + options.warmup().toMillis() / 1000.0 + "s warm-up";
        String where = options.targets().size() == 1
                ? options.targets().get(0).display()
                : options.targets().size() + " targets round-robin";
        sb.append(String.format(Locale.ROOT, "%s %s for %.1fs%s, %s, %s%n", options.method(), where, seconds,
                warm, options.http2() ? "h2" : "http/1.1", how));
        if (options.keyed()) {
            sb.append(String.format(Locale.ROOT, "  keys        %d, %s, seed %d%n", options.keys(),
                    options.zipf() == 0 ? "uniform" : "zipf " + num(options.zipf()), options.seed()));
        }
        sb.append(String.format(Locale.ROOT, "  requests    %d sent, %d responses, %d ok, %d errors%n",
                requests, responses, successes(), errorCount()));
        StringBuilder errs = new StringBuilder();
        for (ErrorKind kind : ErrorKind.values()) {
            long n = errors.getOrDefault(kind, 0L);
            if (n > 0) {
                errs.append(errs.length() == 0 ? "" : ", ").append(kind.label).append(' ').append(n);
            }
        }
        sb.append("  errors      ").append(errs.length() == 0 ? "none" : errs).append(System.lineSeparator());
        StringBuilder codes = new StringBuilder();
        new TreeMap<>(statuses).forEach((code, n) ->
                codes.append(codes.length() == 0 ? "" : ", ").append(code).append(' ').append(n));
        sb.append("  statuses    ").append(codes.length() == 0 ? "none" : codes).append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "  rate        %s/s achieved%s%n", num(achievedRate()),
                options.openLoop() ? " (target " + num(options.rate()) + "/s)" : ""));
        sb.append(String.format(Locale.ROOT, "  throughput  %s received, %s/s%n", Units.bytes(bytes),
                Units.bytes(bytesPerSecond())));
        sb.append(String.format(Locale.ROOT, "  latency ms  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                latencyMs(50), latencyMs(90), latencyMs(99), latencyMs(99.9), maxLatencyMs()));
        if (cacheAnswers > 0 || options.keyed()) {
            sb.append(String.format(Locale.ROOT, "  cache       hit ratio %.1f%% (%d hits of %d responses; %d said whether a "
                    + "cache answered)%n", hitRatio() * 100, hits, responses, cacheAnswers));
        }
        if (!options.originCounters().isEmpty()) {
            sb.append(originRequests >= 0
                    ? String.format(Locale.ROOT, "  origin      %d requests, %s/s, %.2f%% of responses%n", originRequests,
                            num(seconds > 0 ? originRequests / seconds : 0),
                            responses > 0 ? 100.0 * originRequests / responses : 0)
                    : "  origin      unknown: " + originProblem + System.lineSeparator());
        }
        if (perTarget.size() > 1) {
            for (int i = 0; i < perTarget.size(); i++) {
                LoadWorker.PerTarget t = perTarget.get(i);
                sb.append(String.format(Locale.ROOT, "  target %-3d  %s: %d responses, %s/s, %d errors, hit ratio %.1f%%,"
                                + " p99 %.3f ms%n", i + 1, options.targets().get(i).display(), t.responses,
                        num(seconds > 0 ? t.responses / seconds : 0), t.errors,
                        t.responses > 0 ? 100.0 * t.hits / t.responses : 0,
                        t.latencyUs.getTotalCount() == 0 ? 0 : t.latencyUs.getValueAtPercentile(99) / 1000.0));
            }
        }
        if (options.openLoop() && sendLagUs.getTotalCount() > 0) {
            sb.append(String.format(Locale.ROOT, "  send lag ms p99 %.3f  max %.3f (generator delay, included above)%n",
                    sendLagUs.getValueAtPercentile(99) / 1000.0, sendLagUs.getMaxValue() / 1000.0));
        }
        return sb.toString();
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    private static String num(double d) {
        return d == Math.rint(d) && d < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
