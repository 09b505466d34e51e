package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.Rate;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The token buckets directly and through requests, on a clock the test moves. */
class RateLimitFilterTest {

    static final long SECOND = 1_000_000_000L;
    final AtomicLong now = new AtomicLong(SECOND);

    RateLimitFilter filter(String rate, Integer burst, Integer maxKeys) {
        return filter("header:X-User", rate, burst, maxKeys);
    }

    RateLimitFilter filter(String key, String rate, Integer burst, Integer maxKeys) {
        return new RateLimitFilter(new FilterConfig.RateLimit(key, Rate.parse(rate), burst, "node", maxKeys),
                () -> 1, now::get);
    }

    /** 0 when {@code f} lets {@code request} through, else the status it answers. */
    static int status(RateLimitFilter f, TestRequest request) {
        ProxyFilter.Rejection r = f.onRequest(request);
        return r == null ? 0 : r.status();
    }

    static TestRequest from(String client) {
        return TestRequest.get().client(client);
    }

    static TestRequest withClaims(String client, String claims) {
        TestRequest r = from(client);
        r.claims(claims == null ? null : new JsonObject(claims));
        return r;
    }

    @Test
    void aRequestPastTheBurstIsAnswered429WithRetryAfter() {
        RateLimitFilter f = filter("client-ip", "1/m", 3, null);
        for (int i = 0; i < 3; i++) {
            assertThat(f.onRequest(from("192.0.2.1"))).as("request %d of the burst", i).isNull();
        }
        ProxyFilter.Rejection r = f.onRequest(from("192.0.2.1"));
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.body()).isEqualTo("too many requests\n");
        assertThat(r.headers().get("Retry-After")).as("a whole token at 1/m").isEqualTo("60");
        now.addAndGet(45 * SECOND + SECOND / 2);
        assertThat(f.onRequest(from("192.0.2.1")).headers().get("Retry-After")).as("14.5 s to go, rounded up")
                .isEqualTo("15");
        now.addAndGet(14 * SECOND);
        assertThat(f.onRequest(from("192.0.2.1")).headers().get("Retry-After")).isEqualTo("1");
        now.addAndGet(SECOND / 2);
        assertThat(f.onRequest(from("192.0.2.1"))).isNull();
        // A fast rate still says at least one second: Retry-After counts whole seconds.
        RateLimitFilter fast = filter("client-ip", "100/s", 1, null);
        assertThat(fast.onRequest(from("192.0.2.1"))).isNull();
        assertThat(fast.onRequest(from("192.0.2.1")).headers().get("Retry-After")).isEqualTo("1");
    }

    @Test
    void refusedRequestsTakeNoTokenAndAnIdleBucketRefillsOnlyToTheBurst() {
        RateLimitFilter f = filter("client-ip", "2/s", 4, null);
        for (int i = 0; i < 4; i++) {
            assertThat(status(f, from("192.0.2.1"))).isZero();
        }
        for (int i = 0; i < 10; i++) {
            assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
        }
        now.addAndGet(SECOND / 2); // one token at 2/s, however many were refused meanwhile
        assertThat(status(f, from("192.0.2.1"))).isZero();
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
        now.addAndGet(3600 * SECOND); // an hour idle: the burst again, not 7200 tokens
        for (int i = 0; i < 4; i++) {
            assertThat(status(f, from("192.0.2.1"))).isZero();
        }
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
    }

    @Test
    void aClockThatStepsBackGivesNoTokens() {
        RateLimitFilter f = filter("client-ip", "1/s", 1, null);
        assertThat(status(f, from("192.0.2.1"))).isZero();
        now.addAndGet(-10 * SECOND);
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
    }

    @Test
    void theDefaultBurstIsOneSecondOfTheRateAndAtLeastOne() {
        RateLimitFilter perSecond = filter("client-ip", "5/s", null, null);
        for (int i = 0; i < 5; i++) {
            assertThat(status(perSecond, from("192.0.2.1"))).isZero();
        }
        assertThat(status(perSecond, from("192.0.2.1"))).isEqualTo(429);
        RateLimitFilter perHour = filter("client-ip", "10/h", null, null);
        assertThat(status(perHour, from("192.0.2.1"))).isZero();
        assertThat(status(perHour, from("192.0.2.1"))).isEqualTo(429);
    }

    @Test
    void clientIpKeysGiveEachClientItsOwnBucket() {
        RateLimitFilter f = filter("client-ip", "1/m", 1, null);
        assertThat(status(f, from("192.0.2.1"))).isZero();
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
        assertThat(status(f, from("192.0.2.2"))).isZero();
        assertThat(status(f, from("2001:db8::1"))).isZero();
        // Headers a client chooses do not give it a new bucket.
        assertThat(status(f, from("192.0.2.1").header("X-User", "someone-else").header("X-Forwarded-For", "10.0.0.9")))
                .isEqualTo(429);
        assertThat(f.size()).isEqualTo(3);
    }

    @Test
    void headerKeysCountPerValueAndFallBackToTheClientAddress() {
        RateLimitFilter f = filter("header:X-User", "1/m", 1, null);
        assertThat(status(f, from("192.0.2.1").header("x-user", "alice"))).isZero();
        // Same value from another address: the same bucket.
        assertThat(status(f, from("192.0.2.2").header("X-User", "alice"))).isEqualTo(429);
        assertThat(status(f, from("192.0.2.1").header("X-User", "bob"))).isZero();
        // Values are compared exactly.
        assertThat(status(f, from("192.0.2.1").header("X-User", "Alice"))).isZero();
        // Without the header the client address is the key, apart from any header value.
        assertThat(status(f, from("192.0.2.1"))).isZero();
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
        assertThat(status(f, from("192.0.2.3"))).isZero();
        // A header whose value looks like an address key does not share that address's bucket.
        assertThat(status(f, from("192.0.2.9").header("X-User", "ip:192.0.2.1"))).isZero();
    }

    @Test
    void jwtClaimKeysCountPerClaimValueAndFallBackToTheClientAddress() {
        RateLimitFilter f = filter("jwt:sub", "1/m", 1, null);
        assertThat(status(f, withClaims("192.0.2.1", "{\"sub\":\"alice\"}"))).isZero();
        assertThat(status(f, withClaims("192.0.2.2", "{\"sub\":\"alice\",\"x\":1}"))).isEqualTo(429);
        assertThat(status(f, withClaims("192.0.2.1", "{\"sub\":\"bob\"}"))).isZero();
        // A numeric claim is a key too.
        assertThat(status(f, withClaims("192.0.2.1", "{\"sub\":42}"))).isZero();
        assertThat(status(f, withClaims("192.0.2.1", "{\"sub\":42}"))).isEqualTo(429);
        // No claims (no jwt filter before this one) or no such claim: the client address.
        assertThat(status(f, withClaims("192.0.2.5", null))).isZero();
        assertThat(status(f, withClaims("192.0.2.5", "{\"iss\":\"x\"}"))).isEqualTo(429);
        // A header of the claim's name is not read.
        assertThat(status(f, withClaims("192.0.2.6", null).header("sub", "alice"))).isZero();
    }

    @Test
    void aSmallKeyBoundEvictsToMakeRoomAndNeverGrows() {
        RateLimitFilter f = filter("client-ip", "1/m", 1, 3);
        for (int i = 1; i <= 3; i++) {
            assertThat(status(f, from("192.0.2." + i))).isZero();
        }
        assertThat(f.size()).isEqualTo(3);
        assertThat(f.evicted.sum()).isZero();
        for (int i = 4; i <= 10; i++) {
            assertThat(status(f, from("192.0.2." + i))).as("a new key past the bound still gets its burst").isZero();
            assertThat(f.size()).isEqualTo(3);
        }
        assertThat(f.evicted.sum()).isEqualTo(7);
        // The first keys were evicted: they start again with a full bucket (the price of the bound).
        assertThat(status(f, from("192.0.2.1"))).isZero();
    }

    @Test
    void upkeepExpiresRefilledBuckets() {
        RateLimitFilter f = filter("client-ip", "1/s", 2, null);
        assertThat(status(f, from("192.0.2.1"))).isZero();
        assertThat(status(f, from("192.0.2.2"))).isZero();
        assertThat(status(f, from("192.0.2.2"))).isZero();
        f.upkeep(null); // the sweep reads no Vert.x state
        assertThat(f.size()).isEqualTo(2);
        now.addAndGet(SECOND); // .1 is full again (1 + 1 of 2); .2 has 1 of 2
        f.upkeep(null);
        assertThat(f.size()).isEqualTo(1);
        assertThat(f.expired.sum()).isEqualTo(1);
        now.addAndGet(SECOND);
        f.upkeep(null);
        assertThat(f.size()).isZero();
        assertThat(f.expired.sum()).isEqualTo(2);
    }

    @Test
    void clusterScopeFollowsTheLiveNodeCount() {
        AtomicInteger nodes = new AtomicInteger(1);
        RateLimitFilter f = new RateLimitFilter(new FilterConfig.RateLimit("client-ip", Rate.parse("1/m"), 4, "cluster"),
                nodes::get, now::get);
        for (int i = 0; i < 4; i++) {
            assertThat(status(f, from("192.0.2.1"))).isZero();
        }
        assertThat(status(f, from("192.0.2.1"))).isEqualTo(429);
        nodes.set(4); // three nodes joined: this node's share of the burst is now one
        assertThat(status(f, from("192.0.2.2"))).isZero();
        assertThat(status(f, from("192.0.2.2"))).isEqualTo(429);
        nodes.set(0); // never divides by zero or grows the burst
        assertThat(status(f, from("192.0.2.3"))).isZero();
        // Node scope ignores the cluster.
        RateLimitFilter node = new RateLimitFilter(new FilterConfig.RateLimit("client-ip", Rate.parse("1/m"), 2, "node"),
                () -> 10, now::get);
        assertThat(status(node, from("192.0.2.1"))).isZero();
        assertThat(status(node, from("192.0.2.1"))).isZero();
        assertThat(status(node, from("192.0.2.1"))).isEqualTo(429);
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
