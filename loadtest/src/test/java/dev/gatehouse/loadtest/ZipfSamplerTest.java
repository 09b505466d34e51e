package dev.gatehouse.loadtest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipfSamplerTest {

    /**
     * The observed frequencies against the exact Zipf probabilities: a chi-square test over all ranks. Seeded, so
     * the statistic is the same every run; the bound is the 0.1% critical value, which a wrong sampler (say one
     * off by a rank, or with exponent s - 0.1) exceeds by far.
     */
    @ParameterizedTest
    @CsvSource({
            "50, 1.1, 85.4",    // 49 degrees of freedom: the critical value at p = 0.001
            "20, 0.8, 43.8",    // 19
            "20, 1.0, 43.8",    // s = 1: the integral's log branch
            "10, 2.0, 27.9",    // 9
            "30, 0.0, 58.3",    // uniform; 29
    })
    void frequenciesFollowTheZipfLaw(int n, double s, double bound) {
        int draws = 400_000;
        long[] counts = new long[n + 1];
        ZipfSampler sampler = new ZipfSampler(n, s, 42);
        for (int i = 0; i < draws; i++) {
            counts[(int) sampler.next()]++;
        }
        assertThat(counts[0]).isZero();
        double chi2 = 0;
        for (int k = 1; k <= n; k++) {
            double expected = draws * ZipfSampler.probability(n, s, k);
            chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
        }
        assertThat(chi2).as("chi-square over %d ranks", n).isLessThan(bound);
        if (s > 0) {
            assertThat(counts[1]).as("rank 1 is the most popular").isGreaterThan(counts[2]);
            assertThat(counts[2]).isGreaterThan(counts[n]);
        }
    }

    @Test
    void aWrongExponentFailsTheSameTest() {
        // the test above has teeth: samples of s = 1.0 are far from the law of s = 1.1
        int n = 50;
        int draws = 400_000;
        long[] counts = new long[n + 1];
        ZipfSampler sampler = new ZipfSampler(n, 1.0, 42);
        for (int i = 0; i < draws; i++) {
            counts[(int) sampler.next()]++;
        }
        double chi2 = 0;
        for (int k = 1; k <= n; k++) {
            double expected = draws * ZipfSampler.probability(n, 1.1, k);
            chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
        }
        assertThat(chi2).isGreaterThan(1000);
    }

    @Test
    void topRanksOfALargeKeySpaceMatchTheirProbability() {
        // 10,000 keys at s = 1.1, as in the cluster benchmark: the head of the distribution, checked per rank
        long n = 10_000;
        int draws = 1_000_000;
        long[] top = new long[11];
        ZipfSampler sampler = new ZipfSampler(n, 1.1, 7);
        for (int i = 0; i < draws; i++) {
            long k = sampler.next();
            if (k <= 10) {
                top[(int) k]++;
            }
        }
        for (int k = 1; k <= 10; k++) {
            double p = ZipfSampler.probability(n, 1.1, k);
            double sigma = Math.sqrt(draws * p * (1 - p));
            assertThat((double) top[k]).as("rank %d", k).isCloseTo(draws * p, org.assertj.core.data.Offset.offset(5 * sigma));
        }
    }

    @Test
    void staysWithinBounds() {
        ZipfSampler one = new ZipfSampler(1, 1.1, 1);
        assertThat(LongStream.range(0, 1000).map(i -> one.next())).containsOnly(1L);

        for (double s : new double[] {0, 0.5, 1, 1.1, 3, ZipfSampler.MAX_EXPONENT}) {
            ZipfSampler five = new ZipfSampler(5, s, 3);
            long[] drawn = LongStream.range(0, 50_000).map(i -> five.next()).toArray();
            assertThat(LongStream.of(drawn).min().getAsLong()).as("s = %s", s).isEqualTo(1);
            assertThat(LongStream.of(drawn).max().getAsLong()).as("s = %s", s).isLessThanOrEqualTo(5);
        }
        ZipfSampler huge = new ZipfSampler(LoadOptions.MAX_KEYS, 0.5, 9);
        long[] drawn = LongStream.range(0, 100_000).map(i -> huge.next()).toArray();
        assertThat(LongStream.of(drawn).min().getAsLong()).isEqualTo(1);
        assertThat(LongStream.of(drawn).max().getAsLong()).isLessThanOrEqualTo(LoadOptions.MAX_KEYS);
        assertThat(LongStream.of(drawn).max().getAsLong()).as("the tail is reached").isGreaterThan(LoadOptions.MAX_KEYS / 100);
    }

    @Test
    void theSameSeedDrawsTheSameKeys() {
        ZipfSampler a = new ZipfSampler(10_000, 1.1, 123);
        ZipfSampler b = new ZipfSampler(10_000, 1.1, 123);
        ZipfSampler c = new ZipfSampler(10_000, 1.1, 124);
        long[] first = LongStream.range(0, 1000).map(i -> a.next()).toArray();
        assertThat(LongStream.range(0, 1000).map(i -> b.next()).toArray()).isEqualTo(first);
        assertThat(LongStream.range(0, 1000).map(i -> c.next()).toArray()).isNotEqualTo(first);
    }

    @Test
    void rejectsBadParameters() {
        assertThatThrownBy(() -> new ZipfSampler(0, 1, 1)).hasMessageContaining("n: 0");
        assertThatThrownBy(() -> new ZipfSampler(10, -0.1, 1)).hasMessageContaining("exponent");
        assertThatThrownBy(() -> new ZipfSampler(10, Double.NaN, 1)).hasMessageContaining("exponent");
        assertThatThrownBy(() -> new ZipfSampler(10, 10.5, 1)).hasMessageContaining("exponent");
    }
}
