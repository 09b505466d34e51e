package dev.gatehouse.proxy.observe;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Cumulative request latencies in log-linear buckets (HdrHistogram's layout with 16 sub-buckets per power of two:
 * every bucket is at most 1/16 of its lower bound wide), from 1 µs to about 19 hours. The status page's history takes
 * a {@link #snapshot} every interval and subtracts the previous one, so the percentile of an interval is computed from
 * that interval's requests only ({@link #percentile}), not from everything since the node started.
 *
 * <p>Recording is one index computation and one atomic increment: no allocation, safe from every event loop. The
 * Prometheus histogram's buckets are too coarse for this (everything under 5 ms is one bucket by default).
 */
public final class LatencyHistogram {

    /** Sub-buckets per power of two: 2^4, so a bucket's width is at most 6.25 % of its values. */
    private static final int SUB_BITS = 4;
    private static final int SUB = 1 << SUB_BITS;
    /** Values are clamped to 2^36 µs (about 19 hours). */
    private static final int MAX_EXPONENT = 36;
    /** Number of buckets: values 0..15 one each, then 16 per exponent from 4 to {@link #MAX_EXPONENT}. */
    public static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    /** Records one request that took {@code nanos}. */
    public void record(long nanos) {
        counts.incrementAndGet(index(nanos / 1000));
    }

    /** Copies the cumulative counts into {@code into} (of length {@link #BUCKETS}); not atomic across buckets. */
    public void snapshot(long[] into) {
        for (int i = 0; i < BUCKETS; i++) {
            into[i] = counts.get(i);
        }
    }

    /** The bucket of a value in microseconds. */
    static int index(long micros) {
        long v = Math.max(0, Math.min(micros, (1L << (MAX_EXPONENT + 1)) - 1));
        if (v < SUB) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        int sub = (int) (v >>> (exponent - SUB_BITS)) & (SUB - 1);
        return (exponent - SUB_BITS + 1) * SUB + sub;
    }

    /** The smallest value in microseconds of bucket {@code index}. */
    static long lowerBound(int index) {
        if (index < SUB) {
            return index;
        }
        int exponent = index / SUB + SUB_BITS - 1;
        return (long) (SUB + index % SUB) << (exponent - SUB_BITS);
    }

    /** One past the largest value in microseconds of bucket {@code index}. */
    static long upperBound(int index) {
        return index < SUB ? index + 1 : lowerBound(index) + (1L << (index / SUB - 1));
    }

    /**
     * The {@code q}-quantile (e.g. 0.99) in seconds of the requests counted in {@code counts} (one interval: the
     * difference of two snapshots), or NaN when there are none. The answer is the midpoint of the bucket holding the
     * request of rank ⌈q·n⌉ (nearest rank), within 3.2 % of the true value.
     */
    public static double percentile(long[] counts, double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return (lowerBound(i) + upperBound(i)) / 2.0 / 1e6;
            }
        }
        return Double.NaN; // not reached: rank <= total
    }
}
