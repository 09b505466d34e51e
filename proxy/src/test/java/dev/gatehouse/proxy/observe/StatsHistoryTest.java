package dev.gatehouse.proxy.observe;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link StatsHistory} over a real {@link ProxyMetrics}: intervals, windowed p99, cache ratio, the ring's bound. */
class StatsHistoryTest {

    private static final String CONFIG = """
            listeners: [ { name: public, port: 8080 } ]
            pools:
              - { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] }
              - { name: api, backends: [ { url: "http://127.0.0.1:9003" } ] }
            routes:
              - { name: a, pool: web, match: { path-prefix: /a/ } }
              - { name: b, pool: api }
            """;

    private ProxyMetrics metrics;

    @BeforeEach
    void setUp() {
        GatehouseConfig config = ConfigParser.parse(CONFIG);
        metrics = new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                new ProxyRuntime(config.shared(), 1), ProxyMetrics.Settings.DEFAULT);
    }

    private void send(int n, String route, String pool, int status, long millis, String cache) {
        for (int i = 0; i < n; i++) {
            metrics.completed(new ExchangeRecord(0, millis * 1_000_000, null, "rid", "192.0.2.7", "GET", "/",
                    "HTTP/1.1", route, pool, "127.0.0.1:9001", status, 0, 10, 1, null, null, null, cache));
        }
    }

    @Test
    void eachTickHoldsItsIntervalOnly() {
        StatsHistory h = new StatsHistory(metrics::routeSamples, 10);
        send(3, "a", "web", 200, 1, null); // before the first sample: the baseline, not an interval
        h.sample(1_000);
        assertThat(h.ticks()).isEmpty();

        send(98, "a", "web", 200, 2, null);
        send(2, "a", "web", 503, 400, null);
        send(10, "b", "api", 200, 10, null);
        h.sample(6_000);
        send(50, "a", "web", 200, 3, null);
        h.sample(11_000);

        List<StatsHistory.Tick> ticks = h.ticks();
        assertThat(ticks).hasSize(2);
        StatsHistory.Tick first = ticks.get(0);
        assertThat(first.timeMillis()).isEqualTo(6_000);
        assertThat(first.seconds()).isEqualTo(5.0);
        StatsHistory.Point a = first.routes().get("a");
        assertThat(a.pool()).isEqualTo("web");
        assertThat(a.requests()).isEqualTo(100);
        assertThat(a.requestsPerSecond(first.seconds())).isEqualTo(20.0);
        assertThat(a.errors()).isEqualTo(2);
        assertThat(a.errorRate()).isEqualTo(0.02);
        assertThat(a.averageSeconds()).isCloseTo((98 * 0.002 + 2 * 0.4) / 100, within(1e-9));
        // 2 of 100 took 400 ms: rank 99 is one of them
        assertThat(a.p99Seconds()).isCloseTo(0.4, within(0.4 * 0.04));
        assertThat(a.cacheHitRatio()).as("not a caching route").isNaN();
        assertThat(first.routes().get("b").requests()).isEqualTo(10);
        assertThat(first.node().requests()).isEqualTo(110);
        assertThat(first.node().errors()).isEqualTo(2);
        assertThat(first.node().p99Seconds()).as("110 requests, the slowest two 400 ms: rank 109 is one of them")
                .isCloseTo(0.4, within(0.4 * 0.04));
        assertThat(first.node().averageSeconds()).isCloseTo((98 * 0.002 + 2 * 0.4 + 10 * 0.01) / 110, within(1e-9));

        StatsHistory.Tick second = ticks.get(1);
        StatsHistory.Point a2 = second.routes().get("a");
        assertThat(a2.requests()).isEqualTo(50);
        assertThat(a2.errors()).isZero();
        assertThat(a2.p99Seconds()).as("the slow requests were in the interval before, not this one")
                .isCloseTo(0.003, within(0.003 * 0.04));
        assertThat(second.routes().get("b").requests()).isZero();
        assertThat(second.routes().get("b").p99Seconds()).isNaN();
        assertThat(second.node().requests()).isEqualTo(50);
    }

    @Test
    void cacheHitRatioCountsAnswersFromTheCache() {
        StatsHistory h = new StatsHistory(metrics::routeSamples, 10);
        h.sample(0);
        send(6, "a", "web", 200, 1, "HIT");
        send(1, "a", "web", 200, 1, "STALE");
        send(3, "a", "web", 200, 1, "MISS");
        send(5, "a", "web", 200, 1, "BYPASS"); // not a lookup
        send(4, "b", "api", 200, 1, null);
        h.sample(5_000);

        StatsHistory.Tick t = h.ticks().get(0);
        assertThat(t.routes().get("a").cacheLookups()).isEqualTo(10);
        assertThat(t.routes().get("a").cacheHitRatio()).isEqualTo(0.7);
        assertThat(t.routes().get("b").cacheHitRatio()).isNaN();
        assertThat(t.node().cacheHitRatio()).isEqualTo(0.7);
    }

    @Test
    void theRingKeepsTheNewestCapacityTicks() {
        StatsHistory h = new StatsHistory(metrics::routeSamples, 3);
        h.sample(0);
        for (int i = 1; i <= 5; i++) {
            send(i, "a", "web", 200, 1, null);
            h.sample(i * 5_000L);
        }
        List<StatsHistory.Tick> ticks = h.ticks();
        assertThat(ticks).extracting(StatsHistory.Tick::timeMillis).containsExactly(15_000L, 20_000L, 25_000L);
        assertThat(ticks).extracting(t -> t.node().requests()).containsExactly(3L, 4L, 5L);
        assertThat(h.capacity()).isEqualTo(3);
    }

    @Test
    void aRouteFirstSeenLaterCountsFromZeroAndAClockThatDidNotMoveAddsNothing() {
        StatsHistory h = new StatsHistory(metrics::routeSamples, 10);
        h.sample(0);
        h.sample(5_000);
        send(7, "b", "api", 200, 1, null); // b's meters are created now
        h.sample(5_000); // same instant: no interval of zero length
        h.sample(10_000);
        List<StatsHistory.Tick> ticks = h.ticks();
        assertThat(ticks).hasSize(2);
        assertThat(ticks.get(0).routes()).doesNotContainKey("b");
        assertThat(ticks.get(1).routes().get("b").requests()).isEqualTo(7);
    }

    @Test
    void aRouteMovedToAnotherPoolStartsAgainWithoutNegativeCounts() {
        StatsHistory h = new StatsHistory(metrics::routeSamples, 10);
        send(20, "a", "web", 200, 1, null);
        h.sample(0);
        send(4, "a", "api", 200, 1, null); // new meters under the new pool
        h.sample(5_000);
        StatsHistory.Point a = h.ticks().get(0).routes().get("a");
        assertThat(a.pool()).isEqualTo("api");
        assertThat(a.requests()).isEqualTo(4);
    }
}
