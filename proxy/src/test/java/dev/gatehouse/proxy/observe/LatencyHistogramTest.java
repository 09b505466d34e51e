package dev.gatehouse.proxy.observe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The log-linear buckets and the nearest-rank percentile over one interval's counts. */
class LatencyHistogramTest {

    private static final long MS = 1_000_000;

    @Test
    void bucketsAreContiguousAndAtMostOneSixteenthWide() {
        for (int i = 0; i < LatencyHistogram.BUCKETS - 1; i++) {
            assertThat(LatencyHistogram.upperBound(i)).as("bucket %d", i).isEqualTo(LatencyHistogram.lowerBound(i + 1));
            long lo = LatencyHistogram.lowerBound(i);
            long width = LatencyHistogram.upperBound(i) - lo;
            assertThat(width).as("bucket %d", i).isLessThanOrEqualTo(Math.max(1, lo / 16));
        }
        for (long v : new long[] {0, 1, 15, 16, 17, 31, 32, 33, 999, 1000, 4_999, 123_456, 10_000_000}) {
            int i = LatencyHistogram.index(v);
            assertThat(v).as("value %d in bucket %d", v, i).isGreaterThanOrEqualTo(LatencyHistogram.lowerBound(i))
                    .isLessThan(LatencyHistogram.upperBound(i));
        }
    }

    @Test
    void outOfRangeValuesAreClamped() {
        assertThat(LatencyHistogram.index(-5)).isZero();
        assertThat(LatencyHistogram.index(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        LatencyHistogram h = new LatencyHistogram();
        h.record(Long.MAX_VALUE);
        h.record(-1);
        long[] counts = new long[LatencyHistogram.BUCKETS];
        h.snapshot(counts);
        assertThat(counts[0]).isEqualTo(1);
        assertThat(counts[LatencyHistogram.BUCKETS - 1]).isEqualTo(1);
    }

    @Test
    void p99IsTheNearestRankWithinTheBucketPrecision() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 99; i++) {
            h.record(MS);
        }
        h.record(100 * MS);
        long[] counts = new long[LatencyHistogram.BUCKETS];
        h.snapshot(counts);
        // 100 requests: rank 99 is one of the 1 ms ones; the median too.
        assertThat(LatencyHistogram.percentile(counts, 0.99)).isCloseTo(0.001, within(0.001 * 0.04));
        assertThat(LatencyHistogram.percentile(counts, 0.5)).isCloseTo(0.001, within(0.001 * 0.04));
        assertThat(LatencyHistogram.percentile(counts, 1.0)).isCloseTo(0.1, within(0.1 * 0.04));

        h.record(100 * MS); // 101 requests: rank ceil(99.99) = 100 is a 100 ms one
        h.snapshot(counts);
        assertThat(LatencyHistogram.percentile(counts, 0.99)).isCloseTo(0.1, within(0.1 * 0.04));
    }

    @Test
    void precisionHoldsAcrossTheRange() {
        for (long micros : new long[] {3, 250, 4_321, 87_000, 1_500_000, 42_000_000}) {
            LatencyHistogram h = new LatencyHistogram();
            h.record(micros * 1000);
            long[] counts = new long[LatencyHistogram.BUCKETS];
            h.snapshot(counts);
            double seconds = micros / 1e6;
            assertThat(LatencyHistogram.percentile(counts, 0.99)).as("%d µs", micros)
                    .isCloseTo(seconds, within(Math.max(seconds * 0.032, 0.5e-6)));
        }
    }

    @Test
    void theDifferenceOfTwoSnapshotsIsOneIntervalsPercentile() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 1000; i++) {
            h.record(500 * MS); // a slow first interval
        }
        long[] before = new long[LatencyHistogram.BUCKETS];
        h.snapshot(before);
        for (int i = 0; i < 100; i++) {
            h.record(2 * MS); // a fast second one
        }
        long[] after = new long[LatencyHistogram.BUCKETS];
        h.snapshot(after);
        long[] interval = new long[LatencyHistogram.BUCKETS];
        for (int i = 0; i < interval.length; i++) {
            interval[i] = after[i] - before[i];
        }
        assertThat(LatencyHistogram.percentile(after, 0.99)).as("cumulative: dominated by the slow past")
                .isCloseTo(0.5, within(0.5 * 0.04));
        assertThat(LatencyHistogram.percentile(interval, 0.99)).as("the interval alone")
                .isCloseTo(0.002, within(0.002 * 0.04));
    }

    @Test
    void noRequestsHaveNoPercentile() {
        assertThat(LatencyHistogram.percentile(new long[LatencyHistogram.BUCKETS], 0.99)).isNaN();
    }
}
