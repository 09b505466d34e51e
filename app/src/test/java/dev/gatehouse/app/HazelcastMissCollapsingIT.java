package dev.gatehouse.app;

import com.hazelcast.core.HazelcastInstance;
import dev.gatehouse.proxy.cache.MissCollapsing.Turn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Miss collapsing over three real Hazelcast members in one JVM, one {@link HazelcastMissCollapsing} each. */
class HazelcastMissCollapsingIT {

    static Vertx vertx;
    static List<HazelcastInstance> members;
    static final List<HazelcastMissCollapsing> collapsing = new ArrayList<>();
    static final AtomicInteger keys = new AtomicInteger();
    final List<HazelcastInstance> extraMembers = new ArrayList<>();
    final List<HazelcastMissCollapsing> extraCollapsing = new ArrayList<>();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        members = HazelcastResponseStoreIT.startMembers(3, HazelcastResponseStoreIT.CACHE, Map.of());
        members.forEach(hz -> collapsing.add(new HazelcastMissCollapsing(vertx, hz)));
    }

    @AfterAll
    static void stop() {
        collapsing.forEach(HazelcastMissCollapsing::close);
        members.forEach(hz -> hz.getLifecycleService().terminate());
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
    }

    @AfterEach
    void stopExtra() {
        extraCollapsing.forEach(HazelcastMissCollapsing::close);
        extraMembers.forEach(hz -> hz.getLifecycleService().terminate());
    }

    static String key() {
        return "GET http://collapse/" + keys.incrementAndGet();
    }

    /** {@code n} joins spread over {@code nodes} (join i on node i % size), each remembering its node. */
    static List<Future<Turn>> joins(List<HazelcastMissCollapsing> nodes, String key, int n, long waitMillis,
                                    Map<Future<Turn>, Integer> nodeOf) {
        List<Future<Turn>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Future<Turn> f = nodes.get(i % nodes.size()).join(key, waitMillis);
            nodeOf.put(f, i % nodes.size());
            out.add(f);
        }
        return out;
    }

    static long count(List<Future<Turn>> joins, Turn t) {
        return joins.stream().filter(f -> f.isComplete() && f.succeeded() && f.result() == t).count();
    }

    @Test
    void fiftyMissesOverThreeMembersHaveOneLeaderAndAllFollowersAreFilledWhenItIsDone() {
        String key = key();
        Map<Future<Turn>, Integer> nodeOf = new ConcurrentHashMap<>();
        List<Future<Turn>> joins = joins(collapsing, key, 50, 20_000, nodeOf);

        await().atMost(Duration.ofSeconds(10)).until(() -> count(joins, Turn.LEAD) == 1);
        // Every node's leader has heard from the cluster: the others follow and nobody else leads.
        Future<Turn> lead = joins.stream().filter(f -> f.isComplete() && f.result() == Turn.LEAD).findFirst()
                .orElseThrow();
        assertThat(joins.stream().filter(Future::isComplete)).containsExactly(lead);

        collapsing.get(nodeOf.get(lead)).done(key);

        await().atMost(Duration.ofSeconds(10)).until(() -> joins.stream().allMatch(Future::isComplete));
        assertThat(count(joins, Turn.LEAD)).isEqualTo(1);
        assertThat(count(joins, Turn.FILLED)).isEqualTo(49);
        await().atMost(Duration.ofSeconds(5)).until(() -> collapsing.stream().allMatch(c -> c.pending() == 0));
        // The claim is gone: the next miss leads at once.
        assertThat(TestNodes.await(collapsing.get((nodeOf.get(lead) + 1) % 3).join(key, 20_000)))
                .isEqualTo(Turn.LEAD);
        collapsing.get((nodeOf.get(lead) + 1) % 3).done(key);
    }

    @Test
    void followersOfALeaderThatNeverFinishesTimeOutWithinTheWait() {
        String key = key();
        Map<Future<Turn>, Integer> nodeOf = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        List<Future<Turn>> joins = joins(collapsing, key, 21, 1500, nodeOf);

        await().atMost(Duration.ofSeconds(10)).until(() -> joins.stream().allMatch(Future::isComplete));
        long millis = (System.nanoTime() - t0) / 1_000_000;

        assertThat(count(joins, Turn.LEAD)).isEqualTo(1);
        assertThat(count(joins, Turn.TIMED_OUT)).isEqualTo(20);
        assertThat(millis).as("answered after the wait, not long after").isBetween(1400L, 8000L);
        // The claim lived no longer than the wait: a later miss leads.
        await().atMost(Duration.ofSeconds(10)).until(() -> TestNodes.await(collapsing.get(1).join(key, 1500))
                == Turn.LEAD);
        collapsing.get(1).done(key);
    }

    @Test
    void noWaitMeansNoCollapsing() {
        String key = key();
        assertThat(TestNodes.await(collapsing.get(0).join(key, 0))).isEqualTo(Turn.LEAD);
        assertThat(TestNodes.await(collapsing.get(1).join(key, 0))).isEqualTo(Turn.LEAD);
    }

    @Test
    void whenTheLeadersMemberLeavesItsFollowersGoOnLongBeforeTheWait() {
        List<HazelcastInstance> own = HazelcastResponseStoreIT.startMembers(3, HazelcastResponseStoreIT.CACHE,
                Map.of());
        extraMembers.addAll(own);
        own.forEach(hz -> extraCollapsing.add(new HazelcastMissCollapsing(vertx, hz)));
        String key = key();
        assertThat(TestNodes.await(extraCollapsing.get(2).join(key, 60_000))).isEqualTo(Turn.LEAD);
        Map<Future<Turn>, Integer> nodeOf = new ConcurrentHashMap<>();
        List<Future<Turn>> followers = joins(extraCollapsing.subList(0, 2), key, 10, 60_000, nodeOf);
        await().atMost(Duration.ofSeconds(10)).until(() -> extraCollapsing.get(0).pending() == 1
                && extraCollapsing.get(1).pending() == 1);
        assertThat(followers).noneMatch(Future::isComplete);

        long t0 = System.nanoTime();
        own.get(2).getLifecycleService().terminate();

        await().atMost(Duration.ofSeconds(30)).until(() -> followers.stream().allMatch(Future::isComplete));
        assertThat(count(followers, Turn.FILLED)).isEqualTo(10);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(30_000);
        // Its claim is removed by the survivors, asynchronously (and its partition may be moving to a backup): a miss
        // meanwhile is told FILLED (look again) and leaves nothing behind; well before the claim's 60 s expiry, the
        // next miss leads.
        await().atMost(Duration.ofSeconds(10)).until(() -> TestNodes.await(extraCollapsing.get(0).join(key, 60_000))
                == Turn.LEAD);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(30_000);
        extraCollapsing.get(0).done(key);
    }
}
