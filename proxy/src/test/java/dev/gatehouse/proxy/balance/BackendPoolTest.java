package dev.gatehouse.proxy.balance;


import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendState.Health;
import dev.gatehouse.proxy.balance.Selection;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The eligible set a pool derives from backend health, its panic mode, slow start and retry budget; no sockets. */
public class BackendPoolTest {

    /** A pool as production builds it: from a parsed config and the node's shared backend states. */
    public static BackendPool pool(String extra, String... backendEntries) {
        StringBuilder yaml = new StringBuilder("pools:\n  - name: p\n");
        for (String line : extra.split("\n")) {
            if (!line.isBlank()) {
                yaml.append("    ").append(line).append('\n');
            }
        }
        yaml.append("    backends:\n");
        for (String b : backendEntries) {
            yaml.append("      - ").append(b).append('\n');
        }
        yaml.append("routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        PoolConfig config = ConfigParser.parseShared(yaml.toString()).pools().get(0);
        return new BackendPool(config, new BackendStates());
    }

    private static BackendPool threeBackends(String extra) {
        return pool(extra, "{ url: \"http://127.0.0.1:1\" }", "{ url: \"http://127.0.0.1:2\" }",
                "{ url: \"http://127.0.0.1:3\" }");
    }

    /** A selection that excludes the given backends (and nothing else). */
    private static Selection excluding(Backend... excluded) {
        Set<Backend> set = Set.of(excluded);
        return new Selection() {
            @Override
            public long hashKey() {
                return 0;
            }

            @Override
            public boolean excluded(Backend backend) {
                return set.contains(backend);
            }
        };
    }

    /** Every backend the pool hands out over enough picks to go round the eligible set several times. */
    private static Set<Backend> picked(BackendPool pool) {
        Set<Backend> seen = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            Backend b = pool.select(excluding());
            if (b != null) {
                seen.add(b);
            }
        }
        return seen;
    }

    @Test
    void allHealthyBackendsAreEligible() {
        BackendPool pool = threeBackends("");
        assertThat(pool.eligibleCount()).isEqualTo(3);
        assertThat(pool.panicking()).isFalse();
        assertThat(picked(pool)).containsExactlyInAnyOrderElementsOf(pool.backends);
    }

    @Test
    void anUnhealthyBackendLeavesTheEligibleSetAndComesBack() {
        BackendPool pool = threeBackends("");
        Backend sick = pool.backends.get(1);
        sick.state().setHealth(Health.UNHEALTHY, "test");
        assertThat(pool.eligibleCount()).isEqualTo(2);
        assertThat(picked(pool)).doesNotContain(sick).hasSize(2);

        sick.state().setHealth(Health.HEALTHY, "test");
        assertThat(pool.eligibleCount()).isEqualTo(3);
    }

    @Test
    void anEjectedBackendIsSkippedUntilUnejected() {
        BackendPool pool = threeBackends("slow-start: 0s");
        Backend ejected = pool.backends.get(0);
        ejected.state().eject(System.currentTimeMillis() + 3_600_000, "test");
        assertThat(pool.eligibleCount()).isEqualTo(2);
        assertThat(picked(pool)).doesNotContain(ejected);

        ejected.state().uneject("test");
        assertThat(pool.eligibleCount()).isEqualTo(3);
        assertThat(picked(pool)).contains(ejected);
    }

    @Test
    void anEjectionThatRunsOutIsNoticedByTheNextSelect() {
        BackendPool pool = threeBackends("slow-start: 0s");
        Backend ejected = pool.backends.get(0);
        long until = System.currentTimeMillis() + 3;
        ejected.state().eject(until, "test");
        assertThat(pool.eligibleCount()).isEqualTo(2);
        // No state change marks the end of an ejection: the pool recomputes lazily once its time has passed.
        while (System.currentTimeMillis() <= until) {
            Thread.onSpinWait();
        }
        assertThat(pool.eligibleCount()).isEqualTo(2);
        pool.select(excluding());
        assertThat(pool.eligibleCount()).isEqualTo(3);
        assertThat(picked(pool)).contains(ejected);
    }

    @Test
    void aDrainingBackendIsNeverEligibleNotEvenInPanic() {
        BackendPool pool = pool("", "{ url: \"http://127.0.0.1:1\", draining: true }",
                "{ url: \"http://127.0.0.1:2\" }", "{ url: \"http://127.0.0.1:3\" }");
        Backend draining = pool.backends.get(0);
        assertThat(draining.state().draining()).isTrue();
        assertThat(pool.eligibleCount()).isEqualTo(2);
        assertThat(picked(pool)).doesNotContain(draining);

        // 0 of the 2 non-draining backends available: panic balances across those two, still not the draining one.
        pool.backends.get(1).state().setHealth(Health.UNHEALTHY, "test");
        pool.backends.get(2).state().setHealth(Health.UNHEALTHY, "test");
        assertThat(pool.panicking()).isTrue();
        assertThat(pool.eligibleCount()).isEqualTo(2);
        assertThat(picked(pool)).doesNotContain(draining).hasSize(2);
    }

    @Test
    void panicModeBalancesAcrossAllBelowTheThresholdAndEndsAboveIt() {
        BackendPool pool = threeBackends("panic-threshold: 50");
        pool.backends.get(0).state().setHealth(Health.UNHEALTHY, "test");
        // 2 of 3 available (67%): not panic.
        assertThat(pool.panicking()).isFalse();
        assertThat(pool.eligibleCount()).isEqualTo(2);

        pool.backends.get(1).state().setHealth(Health.UNHEALTHY, "test");
        // 1 of 3 (33%) < 50%: all three take traffic again.
        assertThat(pool.panicking()).isTrue();
        assertThat(pool.eligibleCount()).isEqualTo(3);
        assertThat(picked(pool)).containsExactlyInAnyOrderElementsOf(pool.backends);

        pool.backends.get(1).state().setHealth(Health.HEALTHY, "test");
        assertThat(pool.panicking()).isFalse();
        assertThat(pool.eligibleCount()).isEqualTo(2);
        assertThat(picked(pool)).doesNotContain(pool.backends.get(0));
    }

    @Test
    void aZeroPanicThresholdNeverPanics() {
        BackendPool pool = threeBackends("panic-threshold: 0");
        for (Backend b : pool.backends) {
            b.state().setHealth(Health.UNHEALTHY, "test");
        }
        assertThat(pool.panicking()).isFalse();
        assertThat(pool.eligibleCount()).isZero();
        assertThat(pool.select(excluding())).isNull();
    }

    @Test
    void selectSkipsExcludedBackendsAndReturnsNullWhenAllAreExcluded() {
        BackendPool pool = threeBackends("");
        Backend a = pool.backends.get(0);
        Backend b = pool.backends.get(1);
        Backend c = pool.backends.get(2);
        for (int i = 0; i < 6; i++) {
            assertThat(pool.select(excluding(a, b))).isSameAs(c);
            assertThat(pool.select(excluding(a))).isIn(b, c);
        }
        assertThat(pool.select(excluding(a, b, c))).isNull();
    }

    @Test
    void slowStartRampsFromTheFloorToFullShare() {
        BackendPool pool = threeBackends("slow-start: 10s");
        Backend b = pool.backends.get(0);
        // Never unavailable: full share at once.
        assertThat(pool.rampShare(b, System.currentTimeMillis())).isEqualTo(1.0);

        b.state().setHealth(Health.UNHEALTHY, "test");
        b.state().setHealth(Health.HEALTHY, "test");
        long back = b.state().recoveredAtMillis();
        assertThat(back).isPositive();
        assertThat(pool.rampShare(b, back)).isEqualTo(0.1);
        assertThat(pool.rampShare(b, back + 500)).isEqualTo(0.1);
        assertThat(pool.rampShare(b, back + 2_500)).isEqualTo(0.25);
        assertThat(pool.rampShare(b, back + 5_000)).isEqualTo(0.5);
        assertThat(pool.rampShare(b, back + 9_999)).isCloseTo(0.9999, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(pool.rampShare(b, back + 10_000)).isEqualTo(1.0);
        // A clock step backwards is not a negative share.
        assertThat(pool.rampShare(b, back - 1_000)).isEqualTo(0.1);
    }

    @Test
    void theRampAfterAnEjectionStartsWhenTheEjectionEnds() {
        BackendPool pool = threeBackends("slow-start: 10s");
        Backend b = pool.backends.get(0);
        long until = System.currentTimeMillis() + 60_000;
        b.state().eject(until, "test");
        assertThat(b.state().recoveredAtMillis()).isEqualTo(until);
        assertThat(pool.rampShare(b, until)).isEqualTo(0.1);
        assertThat(pool.rampShare(b, until + 5_000)).isEqualTo(0.5);
        assertThat(pool.rampShare(b, until + 10_000)).isEqualTo(1.0);
    }

    @Test
    void withoutSlowStartARecoveredBackendTakesItsFullShare() {
        BackendPool pool = threeBackends("slow-start: 0s");
        Backend b = pool.backends.get(0);
        b.state().setHealth(Health.UNHEALTHY, "test");
        b.state().setHealth(Health.HEALTHY, "test");
        assertThat(pool.rampShare(b, b.state().recoveredAtMillis())).isEqualTo(1.0);
    }

    @Test
    void aRampingBackendIsStillPickedWhenItIsTheOnlyOneLeft() {
        BackendPool pool = threeBackends("slow-start: 1h");
        Backend b = pool.backends.get(0);
        b.state().setHealth(Health.UNHEALTHY, "test");
        b.state().setHealth(Health.HEALTHY, "test");
        // Its share is the 10% floor, but when every other backend is excluded the pick falls back to it.
        for (int i = 0; i < 20; i++) {
            assertThat(pool.select(excluding(pool.backends.get(1), pool.backends.get(2)))).isSameAs(b);
        }
    }

    @Test
    void retryBudgetHasAFloorAndGrowsWithActiveRequests() {
        BackendPool pool = threeBackends("retry-budget: { percent: 20, min-concurrency: 2 }");
        assertThat(pool.retryWithinBudget()).isTrue();
        pool.retriesInFlight.set(1);
        assertThat(pool.retryWithinBudget()).isTrue();
        pool.retriesInFlight.set(2);
        assertThat(pool.retryWithinBudget()).isFalse();

        // 20 active requests across the pool: 20% allows 4 retries in flight.
        for (int i = 0; i < 20; i++) {
            pool.backends.get(i % 3).requestStarted();
        }
        assertThat(pool.retryWithinBudget()).isTrue();
        pool.retriesInFlight.set(3);
        assertThat(pool.retryWithinBudget()).isTrue();
        pool.retriesInFlight.set(4);
        assertThat(pool.retryWithinBudget()).isFalse();
    }

    @Test
    void maxRequestsComesFromTheCircuitBreaker() {
        assertThat(threeBackends("circuit-breaker: { max-requests: 7 }").maxRequestsPerBackend).isEqualTo(7);
        assertThat(threeBackends("").maxRequestsPerBackend).isEqualTo(1024);
    }

    @Test
    void aRetiredPoolNoLongerFollowsBackendState() {
        BackendPool pool = threeBackends("");
        pool.retire();
        pool.backends.get(0).state().setHealth(Health.UNHEALTHY, "test");
        assertThat(pool.eligibleCount()).isEqualTo(3);
    }

    @Test
    void weightsComeFromTheConfig() {
        BackendPool pool = pool("balancer: weighted-round-robin", "{ url: \"http://127.0.0.1:1\", weight: 3 }",
                "{ url: \"http://127.0.0.1:2\" }");
        assertThat(pool.backends).extracting(Backend::weight).containsExactly(3, 1);
        assertThat(pool.backends).extracting(Backend::id).containsExactly("127.0.0.1:1", "127.0.0.1:2");
        int first = 0;
        for (int i = 0; i < 40; i++) {
            if (pool.select(excluding()) == pool.backends.get(0)) {
                first++;
            }
        }
        assertThat(first).isEqualTo(30);
        assertThat(List.copyOf(pool.backends)).hasSize(2);
    }
}
