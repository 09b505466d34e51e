package dev.gatehouse.proxy.balance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class BalancingStrategyTest {

    private static Backend backend(String id, int weight) {
        return new Backend("p", id, "127.0.0.1", 1000 + id.hashCode() % 1000, false, weight, new BackendState("p", id));
    }

    private static List<Backend> backends(int... weights) {
        List<Backend> out = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            out.add(backend(String.valueOf((char) ('a' + i)), weights[i]));
        }
        return out;
    }

    /** A request as a selector sees it: a hash key and the backends already tried. */
    private record Pick(long hashKey, Set<Backend> tried) implements Selection {
        static final Pick ANY = new Pick(0, Set.of());

        static Pick key(String key) {
            return new Pick(BalancingStrategy.hash(key), Set.of());
        }

        @Override
        public boolean excluded(Backend backend) {
            return tried.contains(backend);
        }
    }

    private static Map<String, Integer> count(BackendSelector s, int picks) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(s.select(Pick.ANY).id(), 1, Integer::sum);
        }
        return counts;
    }

    static Stream<BalancingStrategy> strategies() {
        return Stream.of(BalancingStrategy.roundRobin(), BalancingStrategy.weightedRoundRobin(),
                BalancingStrategy.leastRequest(), BalancingStrategy.random(), BalancingStrategy.consistentHash());
    }

    // ---- round robin ----

    @Test
    void roundRobinIsExactlyEven() {
        BackendSelector s = BalancingStrategy.roundRobin().newSelector(backends(1, 1, 1));
        assertThat(count(s, 300)).containsOnly(Map.entry("a", 100), Map.entry("b", 100), Map.entry("c", 100));
    }

    @Test
    void roundRobinCyclesInOrder() {
        List<Backend> list = backends(1, 1, 1);
        BackendSelector s = BalancingStrategy.roundRobin().newSelector(list);
        Backend first = s.select(Pick.ANY);
        int start = list.indexOf(first);
        for (int i = 1; i < 10; i++) {
            assertThat(s.select(Pick.ANY)).isSameAs(list.get((start + i) % 3));
        }
    }

    // ---- smooth weighted round robin ----

    @Test
    void weightedRoundRobinIsNginxSmoothSequence() {
        BackendSelector s = BalancingStrategy.weightedRoundRobin().newSelector(backends(5, 1, 1));
        StringBuilder seq = new StringBuilder();
        for (int i = 0; i < 14; i++) {
            seq.append(s.select(Pick.ANY).id());
        }
        // nginx's documented order for 5,1,1, twice over.
        assertThat(seq.toString()).isEqualTo("aabacaa" + "aabacaa");
    }

    @Test
    void weightedRoundRobinKeepsProportions() {
        BackendSelector s = BalancingStrategy.weightedRoundRobin().newSelector(backends(3, 2, 1));
        assertThat(count(s, 600)).containsOnly(Map.entry("a", 300), Map.entry("b", 200), Map.entry("c", 100));
    }

    // ---- least request ----

    @Test
    void leastRequestPrefersFewerActive() {
        List<Backend> list = backends(1, 1);
        Backend a = list.get(0);
        Backend b = list.get(1);
        for (int i = 0; i < 5; i++) {
            b.requestStarted();
        }
        BackendSelector s = BalancingStrategy.leastRequest().newSelector(list);
        assertThat(count(s, 1000)).containsOnly(Map.entry("a", 1000));
        // Once a is the busier one the preference flips.
        for (int i = 0; i < 10; i++) {
            a.requestStarted();
        }
        assertThat(count(s, 1000)).containsOnly(Map.entry("b", 1000));
    }

    @Test
    void leastRequestWithManyBackendsAvoidsTheBusyOnes() {
        List<Backend> list = backends(1, 1, 1, 1);
        for (int i = 1; i < 4; i++) {
            for (int k = 0; k < 3; k++) {
                list.get(i).requestStarted();
            }
        }
        BackendSelector s = BalancingStrategy.leastRequest().newSelector(list);
        // Two distinct candidates out of four: the idle one is among them half of the time, and then wins.
        int idle = count(s, 4000).getOrDefault("a", 0);
        assertThat(idle).isBetween(1700, 2300);
    }

    @Test
    void leastRequestDividesByWeight() {
        List<Backend> list = backends(3, 1);
        Backend heavy = list.get(0);
        Backend light = list.get(1);
        // heavy: 3 active / weight 3 = 1; light: 2 active / weight 1 = 2 → heavy has the smaller load.
        for (int i = 0; i < 3; i++) {
            heavy.requestStarted();
        }
        light.requestStarted();
        light.requestStarted();
        BackendSelector s = BalancingStrategy.leastRequest().newSelector(list);
        assertThat(count(s, 500)).containsOnly(Map.entry("a", 500));
        // light: 1 active / 1 = 1 < heavy 4 / 3.
        light.requestEnded();
        heavy.requestStarted();
        assertThat(count(s, 500)).containsOnly(Map.entry("b", 500));
    }

    // ---- random ----

    @Test
    void randomIsRoughlyUniform() {
        BackendSelector s = BalancingStrategy.random().newSelector(backends(1, 1, 1));
        Map<String, Integer> counts = count(s, 30_000);
        // The standard deviation of each count is about 82; ±1000 is over twelve of them.
        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(9_000, 11_000));
    }

    // ---- consistent hash ----

    @Test
    void consistentHashSendsTheSameKeyToTheSameBackend() {
        BackendSelector s = BalancingStrategy.consistentHash().newSelector(backends(1, 1, 1, 1, 1));
        for (int i = 0; i < 200; i++) {
            Backend first = s.select(Pick.key("user-" + i));
            for (int k = 0; k < 5; k++) {
                assertThat(s.select(Pick.key("user-" + i))).isSameAs(first);
            }
        }
        // A new selector over the same backends (a rebuild) agrees too.
        BackendSelector again = BalancingStrategy.consistentHash().newSelector(backends(1, 1, 1, 1, 1));
        for (int i = 0; i < 200; i++) {
            assertThat(again.select(Pick.key("user-" + i)).id()).isEqualTo(s.select(Pick.key("user-" + i)).id());
        }
    }

    @Test
    void consistentHashSpreadsKeys() {
        BackendSelector s = BalancingStrategy.consistentHash().newSelector(backends(1, 1, 1, 1, 1));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(s.select(Pick.key("k" + i)).id(), 1, Integer::sum);
        }
        assertThat(counts).hasSize(5);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(1_200, 2_800));
    }

    @Test
    void removingOneOfFiveMovesOnlyItsKeys() {
        List<Backend> five = backends(1, 1, 1, 1, 1);
        BackendSelector before = BalancingStrategy.consistentHash().newSelector(five);
        Backend removed = five.get(2);
        List<Backend> four = new ArrayList<>(five);
        four.remove(removed);
        BackendSelector after = BalancingStrategy.consistentHash().newSelector(four);
        int moved = 0;
        for (int i = 0; i < 10_000; i++) {
            Pick p = Pick.key("k" + i);
            Backend was = before.select(p);
            Backend now = after.select(p);
            if (was != removed) {
                assertThat(now).as("key k%d was not on the removed backend", i).isSameAs(was);
            } else {
                moved++;
                assertThat(now).isNotSameAs(removed);
            }
        }
        assertThat(moved).isBetween(1_000, 3_000);
    }

    @Test
    void addingOneMovesAboutOneNth() {
        List<Backend> five = backends(1, 1, 1, 1, 1);
        BackendSelector before = BalancingStrategy.consistentHash().newSelector(five);
        List<Backend> six = new ArrayList<>(five);
        Backend added = backend("f", 1);
        six.add(added);
        BackendSelector after = BalancingStrategy.consistentHash().newSelector(six);
        int moved = 0;
        for (int i = 0; i < 10_000; i++) {
            Pick p = Pick.key("k" + i);
            Backend was = before.select(p);
            Backend now = after.select(p);
            if (now != was) {
                moved++;
                assertThat(now).as("a key only ever moves to the new backend").isSameAs(added);
            }
        }
        // 1/6 of 10,000 is about 1,667.
        assertThat(moved).isBetween(800, 2_500);
    }

    @Test
    void consistentHashRespectsWeights() {
        BackendSelector s = BalancingStrategy.consistentHash().newSelector(backends(3, 1));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(s.select(Pick.key("k" + i)).id(), 1, Integer::sum);
        }
        assertThat(counts.get("a")).isBetween(6_500, 8_500);
    }

    // ---- every strategy ----

    @ParameterizedTest
    @MethodSource("strategies")
    void exclusionPicksAnotherBackend(BalancingStrategy strategy) {
        List<Backend> list = backends(1, 1, 1);
        BackendSelector s = strategy.newSelector(list);
        for (int i = 0; i < 300; i++) {
            Set<Backend> tried = Set.of(list.get(i % 3));
            Backend b = s.select(new Pick(BalancingStrategy.hash("k" + i), tried));
            assertThat(b).isNotNull().isNotIn(tried);
            Set<Backend> two = Set.of(list.get(i % 3), list.get((i + 1) % 3));
            assertThat(s.select(new Pick(BalancingStrategy.hash("k" + i), two))).isSameAs(list.get((i + 2) % 3));
        }
        assertThat(s.select(new Pick(1, Set.copyOf(list)))).isNull();
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void emptyListPicksNothing(BalancingStrategy strategy) {
        assertThat(strategy.newSelector(List.of()).select(Pick.key("x"))).isNull();
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void singleBackendIsAlwaysPicked(BalancingStrategy strategy) {
        List<Backend> one = backends(2);
        BackendSelector s = strategy.newSelector(one);
        for (int i = 0; i < 20; i++) {
            assertThat(s.select(Pick.key("k" + i))).isSameAs(one.get(0));
        }
    }
}
