package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.route.CompiledRoute;

import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BalancingStrategy;
import dev.gatehouse.proxy.balance.Selection;
import io.vertx.core.Vertx;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the full path ({@link Exchange}) and the fast path ({@link FastExchange}) share about one routed request: the
 * backends tried so far (the balancer skips them and those at their circuit-breaker limit), the hash key for
 * consistent hashing, the retry backoff, and each try's hold on its backend. Lives on one event loop.
 */
public abstract class RoutedRequest extends InFlight implements Selection {

    static final int MAX_ATTEMPTS = 10;

    public CompiledRoute route;
    final Backend[] tried = new Backend[MAX_ATTEMPTS];
    int attempts;
    /** A pick skipped a backend at its circuit-breaker limit: "nothing left" then means overload, not health. */
    boolean skippedFull;
    boolean done;
    private boolean hashComputed;
    private long hash;

    /** The client's address: the PROXY protocol source when enabled, else the TCP peer. */
    public abstract String clientAddress();

    public abstract String path();

    public abstract String header(CharSequence name);

    abstract String cookie(String name);

    /** A backend found for the next try ahead of it (see {@link #retryTargetLeft}), or null. */
    private Backend reserved;

    /** The next backend to try, or {@code null} when none is left; a request tries at most {@link #MAX_ATTEMPTS}. */
    Backend pick() {
        Backend r = reserved;
        if (r != null) {
            reserved = null;
            return r;
        }
        skippedFull = false;
        return attempts < MAX_ATTEMPTS ? route.pool.select(this) : null;
    }

    /**
     * Whether a retry would have a backend to go to. Asked before a retryable answer is thrown away: with nothing left
     * to try, the client gets that real answer rather than a made-up 502. The backend found is the one the retry takes.
     */
    boolean retryTargetLeft() {
        if (reserved == null && attempts < MAX_ATTEMPTS) {
            skippedFull = false;
            reserved = route.pool.select(this);
        }
        return reserved != null;
    }

    /** Records a try on {@code b}; the second and later ones are retries. */
    boolean tryOn(Backend b) {
        boolean retry = attempts > 0;
        tried[attempts++] = b;
        return retry;
    }

    @Override
    public long hashKey() {
        if (!hashComputed) {
            hashComputed = true;
            hash = BalancingStrategy.hash(hashSource());
        }
        return hash;
    }

    private String hashSource() {
        String key = route.pool.config.hashKey();
        if (key == null || key.equals("client-ip")) {
            return clientAddress();
        }
        if (key.equals("path")) {
            return path();
        }
        if (key.startsWith("header:")) {
            String v = header(key.substring(7));
            return v == null ? clientAddress() : v;
        }
        if (key.startsWith("cookie:")) {
            String v = cookie(key.substring(7));
            return v == null ? clientAddress() : v;
        }
        return clientAddress();
    }

    @Override
    public boolean excluded(Backend b) {
        for (int i = 0; i < attempts; i++) {
            if (tried[i] == b) {
                return true;
            }
        }
        if (b.activeRequests() >= route.pool.maxRequestsPerBackend) {
            skippedFull = true;
            return true;
        }
        return false;
    }

    /**
     * Whether the route retries a failed try with this error: connect failures when it retries them; a reset before
     * any response byte when it retries resets or connect failures (safe for a bodiless idempotent request).
     */
    boolean retriesOn(ProxyError error) {
        return error == ProxyError.UPSTREAM_CONNECT_FAILED ? route.retryConnectFailure
                : route.retryReset || route.retryConnectFailure;
    }

    /** Runs {@code next} after an exponential backoff with full jitter (base × 2^(n-1), capped at 10 × base). */
    void afterBackoff(Vertx vertx, Runnable next) {
        long base = route.retryBackoffMillis;
        long delay = 0;
        if (base > 0) {
            long cap = Math.min(base << Math.min(attempts - 1, 10), base * 10);
            delay = ThreadLocalRandom.current().nextLong(cap + 1);
        }
        if (delay == 0) {
            next.run();
        } else {
            vertx.setTimer(delay, id -> {
                if (!done) {
                    next.run();
                }
            });
        }
    }

    /** Lower case, without a trailing dot, allocating nothing when it is already so. */
    static String normalizeHost(String host) {
        String h = host;
        for (int i = 0; i < h.length(); i++) {
            if (Character.isUpperCase(h.charAt(i))) {
                h = h.toLowerCase(Locale.ROOT);
                break;
            }
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** One try's hold on its backend's in-flight count (and on the pool's retry budget for a retry). */
    public class Claim {
        final Backend backend;
        final boolean retry;
        boolean held = true;
        boolean abandoned;

        Claim(Backend backend, boolean retry) {
            this.backend = backend;
            this.retry = retry;
            backend.requestStarted();
            if (retry) {
                route.pool.retriesInFlight.incrementAndGet();
            }
        }

        /** Gives the backend's in-flight slot back; exactly once. */
        void release() {
            if (held) {
                held = false;
                backend.requestEnded();
                if (retry) {
                    route.pool.retriesInFlight.decrementAndGet();
                }
            }
        }
    }
}
