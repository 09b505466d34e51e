package dev.gatehouse.app;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.LocalMapStats;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.DataSize;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two members with a 2MB cache: storing 8MB of distinct entries keeps the map near its budget (Hazelcast evicts by
 * sampling per partition, so the partition count is small here, as a big map's many entries per partition are in
 * production).
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class CacheEvictionIT {

    static final CacheConfig CACHE = new CacheConfig(DataSize.ofMegabytes(2), DataSize.ofKilobytes(128),
            CacheConfig.Eviction.LFU, 100);
    static Vertx vertx;
    static List<HazelcastInstance> members;
    static HazelcastResponseStore store;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        members = HazelcastResponseStoreIT.startMembers(2, CACHE, Map.of("hazelcast.partition.count", "7"));
        store = new HazelcastResponseStore(vertx, members.get(0), new SharedValues(
                new ClusterSeal(TestNodes.SECRET.getBytes(StandardCharsets.UTF_8)), true, new SimpleMeterRegistry()),
                CACHE);
    }

    @AfterAll
    static void stop() {
        if (members != null) {
            members.forEach(hz -> hz.getLifecycleService().terminate());
        }
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void theMapStaysNearMaxSize() {
        String body = "e".repeat(64 * 1024);
        int n = 128; // 8MB of distinct entries, 16MB with their backups
        for (int i = 0; i < n; i++) {
            TestNodes.await(store.put("GET http://e/" + i, HazelcastResponseStoreIT.response(body)));
        }

        long entries = 0;
        long bytes = 0;
        long evictions = 0;
        for (HazelcastInstance hz : members) {
            LocalMapStats s = hz.getMap(HazelcastResponseStore.MAP).getLocalMapStats();
            entries += s.getOwnedEntryCount();
            bytes += s.getOwnedEntryMemoryCost();
            evictions += s.getEvictionCount();
        }
        assertThat(HazelcastResponseStore.perMemberMegabytes(CACHE, 2)).isEqualTo(2);
        assertThat(evictions).as("evictions").isPositive();
        assertThat(entries).as("entries left of %d", n).isLessThan(n / 2).isPositive();
        // Within a margin of the budget: Hazelcast checks after each put and evicts one entry at a time.
        assertThat(bytes).as("bytes of primary copies").isLessThanOrEqualTo(CACHE.maxSize().bytes() * 3 / 2);
        HazelcastResponseStore.Stats stats = TestNodes.await(store.stats());
        assertThat(stats.entries()).isEqualTo(entries);
        assertThat(stats.bytes()).isEqualTo(bytes);
        // The newest entry is still there.
        assertThat(TestNodes.await(store.get("GET http://e/" + (n - 1)))).hasSize(1);
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void nothingIsLostBelowTheBudget() {
        for (int i = 0; i < 10; i++) {
            TestNodes.await(store.put("GET http://small/" + i, HazelcastResponseStoreIT.response("s" + i)));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            for (int i = 0; i < 10; i++) {
                assertThat(TestNodes.await(store.get("GET http://small/" + i))).hasSize(1);
            }
        });
    }
}
