package dev.gatehouse.proxy;

import dev.gatehouse.proxy.health.OutlierDetector;
import dev.gatehouse.proxy.observe.ProxyMetrics;

import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Active and passive health, slow start, panic mode, circuit breaking, retry budget and hedging. */
class HealthIT {

    ProxyHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Serves requests normally; /health answers 503 while {@code sick} is set. */
    static io.vertx.core.Handler<HttpServerRequest> sickable(AtomicBoolean sick) {
        return req -> {
            if (req.path().equals("/health")) {
                req.response().setStatusCode(sick.get() ? 503 : 200).end(sick.get() ? "sick" : "ok");
            } else {
                count(req);
                TestBackend.echo(req);
            }
        };
    }

    /** Counts a client request by the backend that got it (probes of /health are not traffic). */
    static void count(HttpServerRequest req) {
        String key = req.response().headers().get("X-Backend") + req.localAddress().port();
        traffic.computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
    }

    /** Requests from clients (not health probes) that reached each backend. */
    static final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> traffic =
            new java.util.concurrent.ConcurrentHashMap<>();

    int hitsOf(int backend, int requests) {
        int before = trafficOf(backend);
        for (int i = 0; i < requests; i++) {
            assertThat(h.get("/x").statusCode()).isEqualTo(200);
        }
        return trafficOf(backend) - before;
    }

    int trafficOf(int backend) {
        return traffic.computeIfAbsent(h.backends[backend].name + h.backends[backend].port(),
                k -> new java.util.concurrent.atomic.AtomicInteger()).get();
    }

    @Test
    void aSickBackendGetsNoTrafficWithinIntervalTimesThreshold() {
        AtomicBoolean sick = new AtomicBoolean();
        h = ProxyHarness.start(3, ProxyHarness.simple(3,
                "health-check: { path: /health, interval: 200ms, timeout: 150ms, healthy-threshold: 2, unhealthy-threshold: 2 }\n"
                        + "slow-start: 0s", ""));
        h.backends[1].handler = sickable(sick);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                h.proxy.runtime().backendStates().stream().allMatch(s -> s.health().name().equals("HEALTHY")));
        long t0 = System.nanoTime();
        sick.set(true);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() ->
                h.proxy.runtime().backendStates().stream().anyMatch(s -> s.health().name().equals("UNHEALTHY")));
        System.out.printf("active check: sick backend marked unhealthy after %d ms (interval 200ms x threshold 2)%n",
                (System.nanoTime() - t0) / 1_000_000);
        assertThat(hitsOf(1, 60)).isZero();
        sick.set(false);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                h.proxy.runtime().backendStates().stream().allMatch(s -> s.health().name().equals("HEALTHY")));
        assertThat(hitsOf(1, 60)).isBetween(15, 25);
    }

    @Test
    void aRecoveredBackendRampsUpOverSlowStart() {
        AtomicBoolean sick = new AtomicBoolean(true);
        h = ProxyHarness.start(2, ProxyHarness.simple(2,
                "health-check: { path: /health, interval: 100ms, timeout: 100ms, healthy-threshold: 1, unhealthy-threshold: 1 }\n"
                        + "slow-start: 3s", ""));
        h.backends[0].handler = sickable(sick);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.runtime().backendStates().stream()
                .anyMatch(s -> s.health().name().equals("UNHEALTHY")));
        sick.set(false);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.runtime().backendStates().stream()
                .allMatch(s -> s.health().name().equals("HEALTHY")));
        // Right after recovery its share is small (round-robin alone would give it half)...
        int early = hitsOf(0, 100);
        assertThat(early).isLessThan(35);
        // ...and once the window has passed (3 s from the recovery the pool ramps from) it is back to half.
        var state = h.proxy.runtime().backendState("p", "127.0.0.1:" + h.backends[0].port());
        long rampEnd = state.recoveredAtMillis() + 3_000;
        assertThat(state.recoveredAtMillis()).isPositive();
        await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > rampEnd);
        assertThat(hitsOf(0, 100)).isBetween(40, 60);
    }

    @Test
    void panicModeBalancesAcrossAllWhenTooFewAreHealthy() {
        AtomicBoolean sick = new AtomicBoolean(true);
        h = ProxyHarness.start(3, ProxyHarness.simple(3,
                "health-check: { path: /health, interval: 100ms, timeout: 100ms, healthy-threshold: 1, unhealthy-threshold: 1 }\n"
                        + "panic-threshold: 50\nslow-start: 0s", ""));
        h.backends[0].handler = sickable(sick);
        h.backends[1].handler = sickable(sick);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.runtime().panicking("p"));
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new ProxyMetrics(registry, h.proxy.runtime(), null);
        assertThat(registry.get("gatehouse.pool.panic").tag("pool", "p").gauge().value()).isEqualTo(1.0);
        // Only one of three is healthy (33% < 50%): all three get traffic rather than the one alone.
        assertThat(hitsOf(0, 90)).isGreaterThan(15);
        sick.set(false);
        await().atMost(Duration.ofSeconds(5)).until(() -> !h.proxy.runtime().panicking("p"));
    }

    @Test
    void circuitBreakerAnswers503AtOnceWhenABackendIsFull() throws Exception {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "circuit-breaker: { max-requests: 2 }", "timeout: 5s"));
        h.backends[0].handler = req -> h.vertx.setTimer(700, id -> req.response().end("slow"));
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inFlight.add(h.http.sendAsync(HttpRequest.newBuilder(h.uri("/slow")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long fast503 = 0;
        long ok = 0;
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 503) {
                fast503++;
                assertThat(r.body()).contains("overloaded");
            } else if (r.statusCode() == 200) {
                ok++;
            }
        }
        assertThat(ok).isEqualTo(2);
        assertThat(fast503).isEqualTo(4);
    }

    @Test
    void theRetryBudgetCapsRetriesDuringAnOutage() throws Exception {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "retry-budget: { percent: 0, min-concurrency: 1 }",
                "retries: { attempts: 2, on: [503], backoff: 0s }"));
        for (TestBackend b : h.backends) {
            b.handler = req -> h.vertx.setTimer(200, id -> req.response().setStatusCode(503).end("down"));
        }
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(h.http.sendAsync(HttpRequest.newBuilder(h.uri("/x")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.get().statusCode()).isEqualTo(503);
        }
        int hits = h.backends[0].hits.get() + h.backends[1].hits.get();
        // 10 first attempts; at most one retry at a time was allowed, so far fewer than the 10 a budgetless
        // proxy would have sent.
        assertThat(hits).isBetween(10, 14);
    }

    @Test
    void hedgingSendsASecondRequestAfterTheDelayAndTheFirstAnswerWins() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "hedge: { delay: 50ms }"));
        h.backends[0].handler = req -> h.vertx.setTimer(1500, id -> {
            if (!req.response().closed()) {
                req.response().end("slow");
            }
        });
        // Round-robin sends every other first attempt to the slow b0; the hedge to b1 answers those.
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = h.get("/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-backend")).hasValue("b1");
        }
        assertThat(h.backends[0].hits.get()).isPositive();
    }

    @Test
    void tcpChecksMarkABackendThatStopsListeningUnhealthy() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2,
                "health-check: { type: tcp, interval: 100ms, timeout: 100ms, healthy-threshold: 1, unhealthy-threshold: 2 }\n"
                        + "slow-start: 0s", ""));
        await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.runtime().backendStates().stream()
                .allMatch(s -> s.health().name().equals("HEALTHY")));
        h.backends[0].kill();
        var state = h.proxy.runtime().backendState("p", "127.0.0.1:" + h.backends[0].port());
        await().atMost(Duration.ofSeconds(5)).until(() -> state.health().name().equals("UNHEALTHY"));
        assertThat(state.cause()).contains("active check failed");
        h.backends[0].restart();
        await().atMost(Duration.ofSeconds(5)).until(() -> state.health().name().equals("HEALTHY"));
    }

    @Test
    void repeatedEjectionsLastLongerUpToTheCap() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2,
                "outlier-detection: { consecutive-failures: 2, base-ejection: 1s, max-ejection: 3s }", ""));
        var state = h.proxy.runtime().backendState("p", "127.0.0.1:" + h.backends[0].port());
        OutlierDetector od = new OutlierDetector(h.proxy.runtime());
        var backend = h.proxy.runtime().current().pools().get("p").backends.get(0);
        long[] lengths = new long[4];
        for (int i = 0; i < 4; i++) {
            long before = System.currentTimeMillis();
            od.failure(backend, "test");
            od.failure(backend, "test");
            assertThat(state.ejected(System.currentTimeMillis())).isTrue();
            lengths[i] = state.ejectedUntilMillis() - before;
            state.uneject("test over");
        }
        // base x 1, x 2, x 3, then capped at max-ejection.
        assertThat(lengths[0]).isBetween(900L, 1100L);
        assertThat(lengths[1]).isBetween(1900L, 2100L);
        assertThat(lengths[2]).isBetween(2900L, 3100L);
        assertThat(lengths[3]).isBetween(2900L, 3100L);
    }

    @Test
    void pastMaxPendingRequestsTheProxyAnswers503AtOnce() throws Exception {
        // One connection per backend per event loop and one request allowed to wait for it: with a slow backend,
        // the rest are refused at once instead of queueing.
        h = ProxyHarness.start(1, ProxyHarness.simple(1,
                "max-connections: 1\ncircuit-breaker: { max-requests: 100, max-pending-requests: 1 }", "timeout: 5s"));
        h.backends[0].handler = req -> h.vertx.setTimer(800, id -> req.response().end("slow"));
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            inFlight.add(h.http.sendAsync(HttpRequest.newBuilder(h.uri("/slow")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int overloaded = 0;
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else if (r.statusCode() == 503 && r.body().contains("overloaded")) {
                overloaded++;
            }
        }
        // At most 2 event loops x (1 connection + 1 waiting) got through.
        assertThat(ok).isBetween(1, 4);
        assertThat(ok + overloaded).isEqualTo(12);
    }
}
