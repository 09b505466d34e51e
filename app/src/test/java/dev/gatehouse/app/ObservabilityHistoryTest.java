package dev.gatehouse.app;

import dev.gatehouse.admin.NodeHistory;
import dev.gatehouse.proxy.observe.StatsHistory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The history's ticks turned into the admin API's columns. */
class ObservabilityHistoryTest {

    @Test
    void ticksBecomeAlignedColumnsWithNaNWhereARouteWasNotSeen() {
        StatsHistory.Point a1 = new StatsHistory.Point("web", 10, 1, 0.05, 0.012, 0, 0);
        StatsHistory.Point a2 = new StatsHistory.Point("web", 20, 0, 0.04, 0.003, 4, 3);
        StatsHistory.Point b2 = new StatsHistory.Point("api", 5, 0, 0.01, 0.002, 0, 0);
        List<StatsHistory.Tick> ticks = List.of(
                new StatsHistory.Tick(5_000, 5, new StatsHistory.Point(null, 10, 1, 0.05, 0.012, 0, 0),
                        Map.of("a", a1)),
                new StatsHistory.Tick(10_000, 5, new StatsHistory.Point(null, 25, 0, 0.05, 0.003, 4, 3),
                        Map.of("a", a2, "b", b2)));

        NodeHistory h = Observability.toHistory(ticks, 5, 180);

        assertThat(h.intervalSeconds()).isEqualTo(5);
        assertThat(h.capacity()).isEqualTo(180);
        assertThat(h.times()).containsExactly(5_000, 10_000);
        assertThat(h.node().requestsPerSecond()).containsExactly(2.0, 5.0);
        assertThat(h.node().errorRate()).containsExactly(0.1, 0.0);
        assertThat(h.node().p99Seconds()).containsExactly(0.012, 0.003);
        assertThat(h.node().cacheHitRatio()[0]).isNaN();
        assertThat(h.node().cacheHitRatio()[1]).isEqualTo(0.75);
        assertThat(h.routes()).extracting(NodeHistory.RouteSeries::route).containsExactly("a", "b");
        NodeHistory.Series a = h.routes().get(0).series();
        assertThat(a.averageSeconds()).containsExactly(0.005, 0.002);
        NodeHistory.Series b = h.routes().get(1).series();
        assertThat(h.routes().get(1).pool()).isEqualTo("api");
        assertThat(b.requestsPerSecond()[0]).isNaN();
        assertThat(b.requestsPerSecond()[1]).isEqualTo(1.0);
    }
}
