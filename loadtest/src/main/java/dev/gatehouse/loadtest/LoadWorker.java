package dev.gatehouse.loadtest;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One share of a load test, running on one event loop with its own HTTP client, so the load spreads over cores.
 * Worker {@code k} of {@code n} sends the open-loop requests {@code k, k+n, k+2n, ...} of the global schedule
 * (intended times {@code start + i/rate}), or runs its share of the closed-loop connections. All state is
 * confined to the worker's event loop. With several targets the worker sends its requests to them round-robin; with
 * {@code --keys} each request's key is drawn from the worker's own seeded {@link ZipfSampler}.
 */
final class LoadWorker extends VerticleBase {

    /** Latencies above one hour are clamped (recorded as one hour). */
    static final long HIGHEST_US = TimeUnit.HOURS.toMicros(1);

    private final LoadOptions options;
    private final int index;
    private final int workers;
    private final int concurrency;
    private final Buffer body;

    private final Histogram latencyUs = new Histogram(HIGHEST_US, 3);
    private final Histogram sendLagUs = new Histogram(HIGHEST_US, 3);
    private final long[] errors = new long[ErrorKind.values().length];
    private final Map<Integer, Long> statuses = new HashMap<>();
    private final PerTarget[] perTarget;
    private final ZipfSampler keys;
    private long hits;
    private long cacheAnswers;
    private int nextTarget;
    /** Counts runs; a completion from an earlier run (a warm-up, or one given up on) is ignored. */
    private int generation;
    private long sent;
    private long responses;
    private long bytes;
    private int inFlight;

    private HttpClientAgent client;
    private RequestOptions[] requests;
    private MultiMap headers;
    private Promise<Result> done;
    private boolean sending;
    private boolean finished;
    private long startNs;
    private long endNs;
    private double nanosPerRequest;
    private long seq;
    private Timer tick;

    /**
     * What one worker measured; merged by {@link LoadGenerator}.
     *
     * @param hits         responses a cache answered (see {@link CacheAnswer})
     * @param cacheAnswers responses that said whether a cache answered (hits included)
     * @param perTarget    the same figures for each target, in {@code --url} order
     */
    record Result(long sent, long responses, long[] errors, Map<Integer, Long> statuses, long bytes,
                  Histogram latencyUs, Histogram sendLagUs, long hits, long cacheAnswers, List<PerTarget> perTarget) {
    }

    /** One target's share of a worker's (or, merged, the whole run's) figures. Confined to one thread. */
    static final class PerTarget {
        long sent;
        long responses;
        long errors;
        long hits;
        long cacheAnswers;
        final Histogram latencyUs = new Histogram(HIGHEST_US, 3);

        void reset() {
            sent = responses = errors = hits = cacheAnswers = 0;
            latencyUs.reset();
        }

        PerTarget copy() {
            PerTarget c = new PerTarget();
            c.add(this);
            return c;
        }

        void add(PerTarget o) {
            sent += o.sent;
            responses += o.responses;
            errors += o.errors;
            hits += o.hits;
            cacheAnswers += o.cacheAnswers;
            latencyUs.add(o.latencyUs);
        }
    }

    /**
     * @param concurrency this worker's share: closed-loop connections, or the open-loop in-flight cap
     */
    LoadWorker(LoadOptions options, int index, int workers, int concurrency, Buffer body) {
        this.options = options;
        this.index = index;
        this.workers = workers;
        this.concurrency = concurrency;
        this.body = body;
        this.perTarget = new PerTarget[options.targets().size()];
        for (int i = 0; i < perTarget.length; i++) {
            perTarget[i] = new PerTarget();
        }
        // each worker its own stream; the golden-ratio stride keeps the workers' seeds far apart
        this.keys = options.keyed()
                ? new ZipfSampler(options.keys(), options.zipf(), options.seed() + index * 0x9E3779B97F4A7C15L)
                : null;
        this.nextTarget = index % perTarget.length; // workers start on different targets
    }

    @Override
    public Future<?> start() {
        boolean tls = options.targets().stream().anyMatch(Target::tls);
        HttpClientOptions clientOptions = new HttpClientOptions()
                .setKeepAlive(true)
                .setPipelining(false)
                .setTcpNoDelay(true)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeout().toMillis()));
        if (tls) {
            clientOptions.setSsl(true).setUseAlpn(options.http2());
            if (options.insecure()) {
                clientOptions.setTrustAll(true).setVerifyHost(false);
            }
        }
        if (options.http2()) {
            clientOptions.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
            if (!options.openLoop()) {
                clientOptions.setHttp2MultiplexingLimit(1); // one request per connection, like HTTP/1.1
            }
        }
        int h2Connections = options.openLoop() ? Math.max(1, (concurrency + 99) / 100) : concurrency;
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(concurrency).setHttp2MaxSize(h2Connections);
        client = vertx.createHttpClient(clientOptions, pool);

        headers = MultiMap.caseInsensitiveMultiMap();
        options.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
        if (body != null && !headers.contains("Content-Type")) {
            headers.add("Content-Type", "application/octet-stream");
        }
        requests = new RequestOptions[perTarget.length];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = requestOptions(options.targets().get(i), options.targets().get(i).requestTarget(1));
        }
        return Future.succeededFuture();
    }

    /** The options of one request; the headers are shared (never changed once started). */
    private RequestOptions requestOptions(Target target, String uri) {
        return new RequestOptions()
                .setMethod(options.method())
                .setHost(target.host())
                .setPort(target.port())
                .setSsl(target.tls())
                .setURI(uri)
                .setHeaders(headers)
                .setConnectTimeout(options.timeout().toMillis())
                .setIdleTimeout(options.timeout().toMillis());
    }

    /** The next request: the next target round-robin, and with keys a freshly drawn key. */
    private RequestOptions nextRequest(int target) {
        if (keys == null) {
            return requests[target];
        }
        Target t = options.targets().get(target);
        return requestOptions(t, t.requestTarget(keys.next()));
    }

    @Override
    public Future<?> stop() {
        return client.close();
    }

    /**
     * Sends from {@code startNs} (a {@link System#nanoTime()} instant) until {@code endNs}, then waits for the
     * outstanding requests, at most the timeout plus one second. May be called from any thread; runs must not
     * overlap. A warm-up is a run whose result is dropped: the connections it opened stay in the pool.
     */
    Future<Result> run(long startNs, long endNs) {
        Promise<Result> promise = Promise.promise();
        context.runOnContext(v -> {
            reset();
            this.done = promise;
            this.startNs = startNs;
            this.endNs = endNs;
            this.sending = true;
            long delayNs = Math.max(1, startNs - System.nanoTime());
            int gen = generation;
            vertx.timer(delayNs, TimeUnit.NANOSECONDS).onSuccess(t -> begin());
            vertx.timer(Math.max(1, endNs - System.nanoTime()), TimeUnit.NANOSECONDS).onSuccess(t -> {
                if (gen == generation) {
                    stopSending();
                }
            });
        });
        return promise.future();
    }

    /** What the current run measured so far, for the live progress line. */
    record Snapshot(long responses, long errors, Histogram latencyUs) {
    }

    /**
     * Copies what the current run measured so far on this worker's event loop (a histogram copy: microseconds), so
     * it never waits for a lock or another thread. May be called from any thread.
     */
    Future<Snapshot> snapshot() {
        Promise<Snapshot> promise = Promise.promise();
        context.runOnContext(v -> {
            long errorCount = 0;
            for (long n : errors) {
                errorCount += n;
            }
            promise.complete(new Snapshot(responses, errorCount, latencyUs.copy()));
        });
        return promise.future();
    }

    private void reset() {
        generation++;
        latencyUs.reset();
        sendLagUs.reset();
        java.util.Arrays.fill(errors, 0);
        statuses.clear();
        for (PerTarget t : perTarget) {
            t.reset();
        }
        hits = 0;
        cacheAnswers = 0;
        sent = 0;
        responses = 0;
        bytes = 0;
        inFlight = 0;
        seq = 0;
        finished = false;
        tick = null;
    }

    private void begin() {
        if (options.openLoop()) {
            nanosPerRequest = 1e9 / options.rate();
            pumpOpen();
        } else {
            for (int i = 0; i < concurrency; i++) {
                sendClosed();
            }
        }
    }

    /** Intended send time of this worker's {@code i}-th request in the global constant-rate schedule. */
    private long intendedAt(long i) {
        return startNs + (long) ((index + (double) i * workers) * nanosPerRequest);
    }

    /** Sends every request that is due, up to the in-flight cap, and arms a timer for the next one. */
    private void pumpOpen() {
        if (!sending) {
            return;
        }
        long now = System.nanoTime();
        while (true) {
            long intended = intendedAt(seq);
            if (intended >= endNs) {
                return;
            }
            if (intended > now) {
                if (tick == null) {
                    tick = vertx.timer(intended - now, TimeUnit.NANOSECONDS);
                    int gen = generation;
                    tick.onSuccess(t -> {
                        if (gen == generation) {
                            tick = null;
                            pumpOpen();
                        }
                    });
                }
                return;
            }
            if (inFlight >= concurrency) {
                return; // late: sent when a request completes, its latency still counted from `intended`
            }
            seq++;
            send(intended, now);
        }
    }

    private void sendClosed() {
        if (sending) {
            long now = System.nanoTime();
            send(now, now);
        }
    }

    private void send(long intendedNs, long nowNs) {
        inFlight++;
        sent++;
        int target = nextTarget;
        nextTarget = nextTarget + 1 == perTarget.length ? 0 : nextTarget + 1;
        perTarget[target].sent++;
        if (options.openLoop()) {
            sendLagUs.recordValue(Math.min(HIGHEST_US, (nowNs - intendedNs) / 1000));
        }
        int gen = generation;
        // consume() is chained on send() itself so the body handler is set in the tick the response arrives
        client.request(nextRequest(target))
                .compose(req -> (body == null ? req.send() : req.send(body)).compose(this::consume))
                .onComplete(ar -> {
                    if (gen == generation) {
                        completed(target, intendedNs, ar);
                    }
                });
    }

    /** Completes with the status and the {@link CacheAnswer} packed: {@code status * 4 + answer}. */
    private Future<Integer> consume(HttpClientResponse resp) {
        int status = resp.statusCode() * 4 + CacheAnswer.of(resp.headers());
        int gen = generation;
        resp.handler(chunk -> {
            if (gen == generation) {
                bytes += chunk.length();
            }
        });
        return resp.end().map(status);
    }

    private void completed(int target, long intendedNs, AsyncResult<Integer> ar) {
        if (finished) {
            return;
        }
        inFlight--;
        PerTarget t = perTarget[target];
        if (ar.succeeded()) {
            int status = ar.result() / 4;
            int answer = ar.result() % 4;
            responses++;
            t.responses++;
            long us = Math.min(HIGHEST_US, (System.nanoTime() - intendedNs) / 1000);
            latencyUs.recordValue(us);
            t.latencyUs.recordValue(us);
            statuses.merge(status, 1L, Long::sum);
            ErrorKind kind = ErrorKind.ofStatus(status);
            if (kind != null) {
                errors[kind.ordinal()]++;
                t.errors++;
            }
            if (answer != CacheAnswer.NONE) {
                cacheAnswers++;
                t.cacheAnswers++;
                if (answer == CacheAnswer.HIT) {
                    hits++;
                    t.hits++;
                }
            }
        } else {
            errors[ErrorKind.ofFailure(ar.cause()).ordinal()]++;
            t.errors++;
        }
        if (!sending) {
            maybeFinish();
        } else if (ar.succeeded()) {
            next();
        } else {
            // a failure may complete synchronously: go through the event loop so a dead target cannot recurse
            int gen = generation;
            context.runOnContext(v -> {
                if (gen == generation) {
                    next();
                }
            });
        }
    }

    private void next() {
        if (options.openLoop()) {
            pumpOpen();
        } else {
            sendClosed();
        }
    }

    private void stopSending() {
        sending = false;
        if (tick != null) {
            tick.cancel();
            tick = null;
        }
        if (options.openLoop()) {
            // requests due before the end that the in-flight cap held back
            while (intendedAt(seq) < endNs) {
                seq++;
                errors[ErrorKind.UNSENT.ordinal()]++;
            }
        }
        maybeFinish();
        if (!finished) {
            long graceMs = options.timeout().toMillis() + 1000;
            int gen = generation;
            vertx.timer(graceMs).onSuccess(t -> {
                if (gen != generation || finished) {
                    return;
                }
                errors[ErrorKind.TIMEOUT.ordinal()] += inFlight; // still outstanding: never answered
                inFlight = 0;
                maybeFinish();
            });
        }
    }

    private void maybeFinish() {
        if (finished || sending || inFlight > 0) {
            return;
        }
        finished = true;
        long unsent = errors[ErrorKind.UNSENT.ordinal()];
        List<PerTarget> targets = new ArrayList<>();
        for (PerTarget t : perTarget) {
            targets.add(t.copy());
        }
        done.complete(new Result(sent + unsent, responses, errors.clone(), Map.copyOf(statuses), bytes,
                latencyUs.copy(), sendLagUs.copy(), hits, cacheAnswers, List.copyOf(targets)));
    }
}
