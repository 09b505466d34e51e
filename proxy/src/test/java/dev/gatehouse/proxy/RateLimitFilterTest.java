package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.Rate;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The token buckets directly, on a clock the test moves. */
class RateLimitFilterTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    RateLimitFilter filter(String rate, Integer burst, Integer maxKeys) {
        return new RateLimitFilter(new FilterConfig.RateLimit("header:X-User", Rate.parse(rate), burst, "node", maxKeys),
                () -> 1, now::get);
    }

    @Test
    void admitsTheBurstThenRefillsAtTheRate() {
        RateLimitFilter f = filter("1/s", 2, null);
        assertThat(f.admit("a")).isNull();
        assertThat(f.admit("a")).isNull();
        ProxyFilter.Rejection r = f.admit("a");
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.headers().get("Retry-After")).isEqualTo("1");
        now.addAndGet(1_000_000_000L);
        assertThat(f.admit("a")).isNull();
        assertThat(f.admit("a")).isNotNull();
    }

    @Test
    void twoHundredThousandRotatingKeysStayWithinTheBound() {
        RateLimitFilter f = filter("1/m", 1, null);
        int max = FilterConfig.RateLimit.DEFAULT_MAX_KEYS;
        for (int i = 0; i < 200_000; i++) {
            assertThat(f.admit("k" + i)).isNull(); // every new key has its burst
            if (i % 1000 == 0) {
                assertThat(f.size()).isLessThanOrEqualTo(max);
            }
        }
        assertThat(f.size()).isEqualTo(max);
        assertThat(f.evicted.sum()).isEqualTo(200_000 - max);
    }

    @Test
    void aKeyInUseSurvivesAFloodOfNewKeys() {
        RateLimitFilter f = filter("1/m", 1, 1000);
        assertThat(f.admit("alice")).isNull();
        for (int i = 0; i < 20_000; i++) {
            f.admit("flood" + i);
            if (i % 100 == 0) {
                // alice keeps asking and keeps being limited: her empty bucket is never the one evicted
                assertThat(f.admit("alice")).as("request %d", i).isNotNull();
            }
            assertThat(f.size()).isLessThanOrEqualTo(1000);
        }
    }

    @Test
    void theSweepRemovesRefilledBucketsOnlyAndABoundedNumberPerCall() {
        RateLimitFilter f = filter("1/s", 10, null);
        for (int i = 0; i < 100; i++) {
            f.admit("k" + i);
        }
        f.admit("busy");
        for (int i = 0; i < 9; i++) {
            f.admit("busy");
        }
        f.sweep(1000);
        assertThat(f.size()).as("nothing has refilled yet").isEqualTo(101);
        now.addAndGet(2_000_000_000L); // the 100 one-token buckets are full again; busy (10 taken) is not
        f.sweep(30);
        assertThat(f.size()).isEqualTo(101 - 30);
        f.sweep(1000);
        assertThat(f.size()).isEqualTo(1);
        assertThat(f.expired.sum()).isEqualTo(100);
        // busy kept its state: two tokens refilled in two seconds, not a fresh burst of ten
        assertThat(f.admit("busy")).isNull();
        assertThat(f.admit("busy")).isNull();
        assertThat(f.admit("busy")).isNotNull();
        now.addAndGet(10_000_000_000L);
        f.sweep(1000);
        f.sweep(1000);
        assertThat(f.size()).isZero();
        // Slots freed by the sweep are used again: a new round of keys needs no eviction.
        for (int i = 0; i < 100; i++) {
            f.admit("n" + i);
        }
        assertThat(f.evicted.sum()).isZero();
    }

    @Test
    void aSweptKeyStartsAgainWithAFullBucket() {
        RateLimitFilter f = filter("1/s", 1, null);
        assertThat(f.admit("a")).isNull();
        now.addAndGet(1_000_000_000L);
        f.sweep(10);
        assertThat(f.size()).isZero();
        assertThat(f.admit("a")).isNull();
        assertThat(f.admit("a")).isNotNull();
    }

    @Test
    void longKeysAreKeptAsADigest() {
        String huge = "x".repeat(8000);
        assertThat(RateLimitFilter.bounded(huge)).hasSizeLessThanOrEqualTo(RateLimitFilter.MAX_KEY_CHARS);
        assertThat(RateLimitFilter.bounded(huge)).isEqualTo(RateLimitFilter.bounded("x".repeat(8000)));
        assertThat(RateLimitFilter.bounded(huge)).isNotEqualTo(RateLimitFilter.bounded(huge + "y"));
        RateLimitFilter f = filter("1/m", 1, null);
        assertThat(f.admit(huge)).isNull();
        assertThat(f.admit("x".repeat(8000))).isNotNull();
    }

    @Test
    void clusterScopeSharesTheBurstAmongTheNodes() {
        RateLimitFilter f = new RateLimitFilter(new FilterConfig.RateLimit("client-ip", Rate.parse("1/m"), 4, "cluster"),
                () -> 2, now::get);
        assertThat(f.admit("ip:1")).isNull();
        assertThat(f.admit("ip:1")).isNull();
        assertThat(f.admit("ip:1")).isNotNull();
    }
}
