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

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One share of a load test, running on one event loop with its own HTTP client, so the load spreads over cores.
 * Worker {@code k} of {@code n} sends the open-loop requests {@code k, k+n, k+2n, ...} of the global schedule
 * (intended times {@code start + i/rate}), or runs its share of the closed-loop connections. All state is
 * confined to the worker's event loop.
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
    /** Counts runs; a completion from an earlier run (a warm-up, or one given up on) is ignored. */
    private int generation;
    private long sent;
    private long responses;
    private long bytes;
    private int inFlight;

    private HttpClientAgent client;
    private RequestOptions request;
    private Promise<Result> done;
    private boolean sending;
    private boolean finished;
    private long startNs;
    private long endNs;
    private double nanosPerRequest;
    private long seq;
    private Timer tick;

    /** What one worker measured; merged by {@link LoadGenerator}. */
    record Result(long sent, long responses, long[] errors, Map<Integer, Long> statuses, long bytes,
                  Histogram latencyUs, Histogram sendLagUs) {
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
    }

    @Override
    public Future<?> start() {
        URI url = options.url();
        boolean tls = url.getScheme().equalsIgnoreCase("https");
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

        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        String uri = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            uri += "?" + url.getRawQuery();
        }
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        options.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
        if (body != null && !headers.contains("Content-Type")) {
            headers.add("Content-Type", "application/octet-stream");
        }
        request = new RequestOptions()
                .setMethod(options.method())
                .setHost(url.getHost())
                .setPort(port)
                .setSsl(tls)
                .setURI(uri)
                .setHeaders(headers)
                .setConnectTimeout(options.timeout().toMillis())
                .setIdleTimeout(options.timeout().toMillis());
        return Future.succeededFuture();
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

    private void reset() {
        generation++;
        latencyUs.reset();
        sendLagUs.reset();
        java.util.Arrays.fill(errors, 0);
        statuses.clear();
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
        if (options.openLoop()) {
            sendLagUs.recordValue(Math.min(HIGHEST_US, (nowNs - intendedNs) / 1000));
        }
        int gen = generation;
        // consume() is chained on send() itself so the body handler is set in the tick the response arrives
        client.request(request)
                .compose(req -> (body == null ? req.send() : req.send(body)).compose(this::consume))
                .onComplete(ar -> {
                    if (gen == generation) {
                        completed(intendedNs, ar);
                    }
                });
    }

    private Future<Integer> consume(HttpClientResponse resp) {
        int status = resp.statusCode();
        int gen = generation;
        resp.handler(chunk -> {
            if (gen == generation) {
                bytes += chunk.length();
            }
        });
        return resp.end().map(status);
    }

    private void completed(long intendedNs, AsyncResult<Integer> ar) {
        if (finished) {
            return;
        }
        inFlight--;
        if (ar.succeeded()) {
            int status = ar.result();
            responses++;
            latencyUs.recordValue(Math.min(HIGHEST_US, (System.nanoTime() - intendedNs) / 1000));
            statuses.merge(status, 1L, Long::sum);
            ErrorKind kind = ErrorKind.ofStatus(status);
            if (kind != null) {
                errors[kind.ordinal()]++;
            }
        } else {
            errors[ErrorKind.ofFailure(ar.cause()).ordinal()]++;
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
        done.complete(new Result(sent + unsent, responses, errors.clone(), Map.copyOf(statuses), bytes,
                latencyUs.copy(), sendLagUs.copy()));
    }
}
