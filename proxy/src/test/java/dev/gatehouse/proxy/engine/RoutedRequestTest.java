package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.proxy.filter.TestRequest;
import dev.gatehouse.proxy.route.CompiledRoute;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BackendState.Health;
import dev.gatehouse.proxy.balance.BalancingStrategy;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry decisions both proxy paths share: which backend a try goes to, and whether a retry has one left. */
class RoutedRequestTest {

    /** A request with fixed client address, path, headers and cookies. */
    static final class TestRequest extends RoutedRequest {
        String client = "10.0.0.1";
        Map<String, String> headers = Map.of();
        Map<String, String> cookies = Map.of();

        TestRequest(CompiledRoute route) {
            this.route = route;
        }

        @Override
        public String clientAddress() {
            return client;
        }

        @Override
        public String path() {
            return "/p";
        }

        @Override
        public String header(CharSequence name) {
            return headers.get(name.toString());
        }

        @Override
        String cookie(String name) {
            return cookies.get(name);
        }

        @Override
        void checkDeadlines(long nowNanos) {
        }
    }

    /** The route {@code r} of a snapshot compiled from {@code pool} settings, {@code n} backends and a retry policy. */
    private static CompiledRoute route(int n, String poolExtra, String retries) {
        StringBuilder yaml = new StringBuilder("pools:\n  - name: p\n");
        if (!poolExtra.isEmpty()) {
            yaml.append("    ").append(poolExtra).append('\n');
        }
        yaml.append("    backends:\n");
        for (int i = 1; i <= n; i++) {
            yaml.append("      - { url: \"http://127.0.0.1:").append(i).append("\" }\n");
        }
        yaml.append("routes:\n  - { name: r, pool: p, match: { path-prefix: / }")
                .append(retries.isEmpty() ? "" : ", retries: " + retries).append(" }\n");
        return new ProxyRuntime(ConfigParser.parseShared(yaml.toString()), 1).current().routes().routes().get(0);
    }

    private static CompiledRoute route(int n) {
        return route(n, "", "");
    }

    @Test
    void eachPickGoesToAnUntriedBackendUntilNoneIsLeft() {
        CompiledRoute route = route(3);
        TestRequest r = new TestRequest(route);
        Set<Backend> tried = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Backend b = r.pick();
            assertThat(b).isNotNull();
            assertThat(tried.add(b)).as("backend %s picked twice", b).isTrue();
            assertThat(r.tryOn(b)).as("try %d is a retry", i).isEqualTo(i > 0);
        }
        assertThat(tried).containsExactlyInAnyOrderElementsOf(route.pool.backends);
        assertThat(r.attempts).isEqualTo(3);
        assertThat(r.pick()).isNull();
        assertThat(r.retryTargetLeft()).isFalse();
    }

    @Test
    void triedBackendsAreExcluded() {
        CompiledRoute route = route(2);
        TestRequest r = new TestRequest(route);
        Backend a = route.pool.backends.get(0);
        Backend b = route.pool.backends.get(1);
        assertThat(r.excluded(a)).isFalse();
        r.tryOn(a);
        assertThat(r.excluded(a)).isTrue();
        assertThat(r.excluded(b)).isFalse();
        assertThat(r.skippedFull).isFalse();
    }

    @Test
    void aBackendAtItsMaxRequestsIsExcludedAndMarksTheSkip() {
        CompiledRoute route = route(2, "circuit-breaker: { max-requests: 1 }", "");
        Backend full = route.pool.backends.get(0);
        Backend free = route.pool.backends.get(1);
        full.requestStarted();
        TestRequest r = new TestRequest(route);
        assertThat(r.excluded(full)).isTrue();
        assertThat(r.skippedFull).isTrue();

        // A pick clears the mark, then sets it again when it skips the full backend.
        for (int i = 0; i < 4; i++) {
            TestRequest fresh = new TestRequest(route);
            assertThat(fresh.pick()).isSameAs(free);
        }
        free.requestStarted();
        TestRequest none = new TestRequest(route);
        assertThat(none.pick()).isNull();
        assertThat(none.skippedFull).as("nothing left because of overload, not health").isTrue();

        full.requestEnded();
        free.requestEnded();
        TestRequest again = new TestRequest(route);
        assertThat(again.pick()).isNotNull();
        assertThat(again.skippedFull).isFalse();
    }

    @Test
    void noHealthyBackendIsNotAnOverloadSkip() {
        CompiledRoute route = route(1, "panic-threshold: 0", "");
        route.pool.backends.get(0).state().setHealth(Health.UNHEALTHY, "test");
        TestRequest r = new TestRequest(route);
        assertThat(r.pick()).isNull();
        assertThat(r.skippedFull).isFalse();
    }

    @Test
    void theBackendFoundAheadIsTheOneTheRetryTakes() {
        CompiledRoute route = route(2, "panic-threshold: 0", "");
        Backend a = route.pool.backends.get(0);
        Backend b = route.pool.backends.get(1);
        TestRequest r = new TestRequest(route);
        Backend first = r.pick();
        r.tryOn(first);
        Backend other = first == a ? b : a;

        assertThat(r.retryTargetLeft()).isTrue();
        // Asking again reserves nothing more.
        assertThat(r.retryTargetLeft()).isTrue();
        // The found backend goes unhealthy after it was found: the retry still takes it, with no second selection.
        other.state().setHealth(Health.UNHEALTHY, "test");
        assertThat(route.pool.eligibleCount()).isEqualTo(1);
        assertThat(r.pick()).isSameAs(other);
        assertThat(r.tryOn(other)).isTrue();

        // Reservation used up: the next pick selects afresh, and both are tried.
        assertThat(r.retryTargetLeft()).isFalse();
        assertThat(r.pick()).isNull();
    }

    @Test
    void aReservationIsUsedOnceThenPicksSelectAgain() {
        CompiledRoute route = route(3);
        TestRequest r = new TestRequest(route);
        r.tryOn(r.pick());
        assertThat(r.retryTargetLeft()).isTrue();
        Backend second = r.pick();
        r.tryOn(second);
        Backend third = r.pick();
        assertThat(third).isNotNull().isNotSameAs(second);
        r.tryOn(third);
        assertThat(r.retryTargetLeft()).isFalse();
        assertThat(r.pick()).isNull();
    }

    @Test
    void noRetryTargetWithASingleBackendAlreadyTried() {
        CompiledRoute route = route(1);
        TestRequest r = new TestRequest(route);
        Backend only = r.pick();
        assertThat(r.tryOn(only)).isFalse();
        assertThat(r.retryTargetLeft()).isFalse();
        assertThat(r.pick()).isNull();
    }

    @Test
    void atMostMaxAttemptsTries() {
        CompiledRoute route = route(2);
        TestRequest r = new TestRequest(route);
        r.attempts = RoutedRequest.MAX_ATTEMPTS;
        assertThat(r.pick()).isNull();
        assertThat(r.retryTargetLeft()).isFalse();
    }

    @Test
    void retriesOnFollowsTheRoutesRetryConditions() {
        TestRequest connectOnly = new TestRequest(route(1, "", "{ on: [connect-failure] }"));
        assertThat(connectOnly.retriesOn(ProxyError.UPSTREAM_CONNECT_FAILED)).isTrue();
        // A reset before any response byte is as safe to retry as a failed connect.
        assertThat(connectOnly.retriesOn(ProxyError.UPSTREAM_RESET)).isTrue();

        TestRequest resetOnly = new TestRequest(route(1, "", "{ on: [reset] }"));
        assertThat(resetOnly.retriesOn(ProxyError.UPSTREAM_CONNECT_FAILED)).isFalse();
        assertThat(resetOnly.retriesOn(ProxyError.UPSTREAM_RESET)).isTrue();

        TestRequest statusOnly = new TestRequest(route(1, "", "{ on: [\"503\"] }"));
        assertThat(statusOnly.retriesOn(ProxyError.UPSTREAM_CONNECT_FAILED)).isFalse();
        assertThat(statusOnly.retriesOn(ProxyError.UPSTREAM_RESET)).isFalse();
        assertThat(statusOnly.route.retryOnStatus(503)).isTrue();
        assertThat(statusOnly.route.retryOnStatus(502)).isFalse();

        // The default: connect failures only.
        TestRequest defaults = new TestRequest(route(1));
        assertThat(defaults.retriesOn(ProxyError.UPSTREAM_CONNECT_FAILED)).isTrue();
        assertThat(defaults.route.retryTimeout).isFalse();
    }

    @Test
    void aClaimHoldsTheBackendAndTheRetryBudgetOnce() {
        CompiledRoute route = route(1);
        Backend b = route.pool.backends.get(0);
        TestRequest r = new TestRequest(route);
        RoutedRequest.Claim first = r.new Claim(b, false);
        RoutedRequest.Claim retry = r.new Claim(b, true);
        assertThat(b.activeRequests()).isEqualTo(2);
        assertThat(route.pool.retriesInFlight.get()).isEqualTo(1);
        retry.release();
        retry.release();
        assertThat(route.pool.retriesInFlight.get()).isZero();
        assertThat(b.activeRequests()).isEqualTo(1);
        first.release();
        first.release();
        assertThat(b.activeRequests()).isZero();
    }

    @Test
    void theHashKeyComesFromTheConfiguredSourceWithTheClientAddressAsFallback() {
        CompiledRoute route = route(3, "balancer: consistent-hash\n    hash-key: \"header:X-User\"", "");
        TestRequest withHeader = new TestRequest(route);
        withHeader.headers = Map.of("X-User", "alice");
        assertThat(withHeader.hashKey()).isEqualTo(BalancingStrategy.hash("alice"));
        TestRequest without = new TestRequest(route);
        assertThat(without.hashKey()).isEqualTo(BalancingStrategy.hash("10.0.0.1"));

        // The same key lands on the same backend.
        TestRequest again = new TestRequest(route);
        again.headers = Map.of("X-User", "alice");
        again.client = "10.9.9.9";
        assertThat(again.pick()).isSameAs(withHeader.pick());
    }

    @Test
    void noBackoffRunsTheRetryAtOnce() {
        TestRequest r = new TestRequest(route(2, "", "{ backoff: 0s }"));
        r.tryOn(r.pick());
        boolean[] ran = new boolean[1];
        r.afterBackoff(null, () -> ran[0] = true);
        assertThat(ran[0]).isTrue();
    }

    @Test
    void hostsAreNormalizedWithoutCopyingNormalOnes() {
        String normal = "api.example.com";
        assertThat(RoutedRequest.normalizeHost(normal)).isSameAs(normal);
        assertThat(RoutedRequest.normalizeHost("API.Example.com.")).isEqualTo("api.example.com");
    }
}
