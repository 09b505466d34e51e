package dev.gatehouse.proxy.balance;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What real traffic has shown about one backend on this node (passive health): responses that counted as successes
 * and failures, when the last of each happened, and the same counts over the last minute. It is what the status page
 * shows for a backend of a pool without an active {@code health-check}, whose health otherwise stays "unknown".
 *
 * <p>Hot path: a success is one striped increment and a clock read; the time of the last success is written at most
 * once a second, so event loops do not fight over one cache line. Failures are rarer and write freely. The recent
 * window moves only when {@link #roll} is called (the node's history sampler, every few seconds); without it the
 * recent counts stay empty.
 */
public final class PassiveRecord {

    /** Snapshots kept for the recent window: with a roll every 5 s, the last minute. */
    static final int WINDOW_SLOTS = 12;
    /** A backend whose last success is older than this, with no failure since, is idle. */
    static final long IDLE_AFTER_MILLIS = 60_000;

    /** What the record says, from what traffic showed. */
    public enum Verdict {
        /** No response from the backend yet on this node. */
        NO_TRAFFIC,
        /** Answering: the latest outcome is a success, less than a minute ago. */
        SERVING,
        /** The latest outcome is a success, over a minute ago: no traffic lately. */
        IDLE,
        /** The latest outcome is a failure, with no success after it. */
        FAILING
    }

    private final LongAdder successes = new LongAdder();
    private final AtomicLong failures = new AtomicLong();
    private volatile long lastSuccessMillis;
    private volatile long lastFailureMillis;
    private volatile String lastFailureCause;
    private final long[] slotSuccesses = new long[WINDOW_SLOTS];
    private final long[] slotFailures = new long[WINDOW_SLOTS];
    private int slot;
    private int filled;
    private volatile long recentSuccesses;
    private volatile long recentFailures;
    private volatile boolean rolled;

    /** A response that counted as a success. */
    public void success() {
        successes.increment();
        long now = System.currentTimeMillis();
        if (now - lastSuccessMillis >= 1000) {
            lastSuccessMillis = now;
        }
    }

    /** A failed attempt (connect failure, reset, timeout, 5xx) and why. */
    public void failure(String cause) {
        failures.incrementAndGet();
        lastFailureCause = cause;
        lastFailureMillis = System.currentTimeMillis();
    }

    /**
     * Moves the recent window: the recent counts become those since the reading {@link #WINDOW_SLOTS} rolls ago (or
     * since the start, before that many rolls). Called by one thread at a time.
     */
    public synchronized void roll() {
        long s = successes.sum();
        long f = failures.get();
        // Before the window is full (the sampler starts with the node), everything so far is recent.
        recentSuccesses = filled < WINDOW_SLOTS ? s : s - slotSuccesses[slot];
        recentFailures = filled < WINDOW_SLOTS ? f : f - slotFailures[slot];
        slotSuccesses[slot] = s;
        slotFailures[slot] = f;
        slot = (slot + 1) % WINDOW_SLOTS;
        filled = Math.min(filled + 1, WINDOW_SLOTS);
        rolled = true;
    }

    public long successes() {
        return successes.sum();
    }

    public long failures() {
        return failures.get();
    }

    /** Epoch millis of the last success (to the second), 0 if none. */
    public long lastSuccessMillis() {
        return lastSuccessMillis;
    }

    /** Epoch millis of the last failure, 0 if none. */
    public long lastFailureMillis() {
        return lastFailureMillis;
    }

    /** Why the last failure failed, {@code null} if none. */
    public String lastFailureCause() {
        return lastFailureCause;
    }

    /** Successes in the recent window, as of the last roll; 0 before the first. */
    public long recentSuccesses() {
        return recentSuccesses;
    }

    /** Failures in the recent window, as of the last roll; 0 before the first. */
    public long recentFailures() {
        return recentFailures;
    }

    /** Whether the recent window has been measured (something calls {@link #roll}). */
    public boolean windowed() {
        return rolled;
    }

    /**
     * The verdict at {@code nowMillis}, from the times of the last success and failure: failing when the latest
     * outcome is a failure with no success in the second after it, idle when the last success is over a minute old.
     */
    public Verdict verdict(long nowMillis) {
        long ok = lastSuccessMillis;
        long bad = lastFailureMillis;
        if (ok == 0 && bad == 0) {
            return Verdict.NO_TRAFFIC;
        }
        // The success time is coarse (written at most once a second): a failure must be clearly after it.
        if (ok == 0 || bad > ok + 1000) {
            return Verdict.FAILING;
        }
        return nowMillis - ok > IDLE_AFTER_MILLIS ? Verdict.IDLE : Verdict.SERVING;
    }
}
