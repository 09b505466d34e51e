package dev.gatehouse.proxy;

import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Steady GET traffic (200 req/s by default) while one of three backends is killed and later restarted: no client
 * sees a failure. Also reports how long the dead backend took to be ejected. The run lasts 10 s in the test suite;
 * {@code -Dgatehouse.kill.seconds=30} gives the 30-second measurement.
 */
class KillUnderLoadIT {

    @Test
    void oneOfThreeBackendsDiesAndComesBackWithoutAFailedGet() throws Exception {
        int seconds = Integer.getInteger("gatehouse.kill.seconds", 10);
        int rate = Integer.getInteger("gatehouse.kill.rate", 200);
        try (ProxyHarness h = ProxyHarness.start(3, ProxyHarness.simple(3,
                "health-check: { path: /health, interval: 500ms, timeout: 300ms, healthy-threshold: 2, unhealthy-threshold: 2 }\n"
                        + "outlier-detection: { consecutive-failures: 3, base-ejection: 5s }\nslow-start: 2s",
                "retries: { attempts: 3, on: [connect-failure, reset, 502, 503] }\ntimeout: 5s"))) {
            for (TestBackend b : h.backends) {
                b.handler = req -> {
                    if (req.path().equals("/health")) {
                        req.response().end("ok");
                    } else {
                        TestBackend.echo(req);
                    }
                };
            }
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger ok = new AtomicInteger();
            List<CompletableFuture<?>> pending = Collections.synchronizedList(new ArrayList<>());
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
            int total = seconds * rate;
            AtomicInteger sent = new AtomicInteger();
            long periodNanos = 1_000_000_000L / rate;
            sender.scheduleAtFixedRate(() -> {
                if (sent.incrementAndGet() > total) {
                    return;
                }
                pending.add(h.http.sendAsync(HttpRequest.newBuilder(h.uri("/load")).timeout(Duration.ofSeconds(10))
                                .build(), HttpResponse.BodyHandlers.ofString())
                        .whenComplete((r, err) -> {
                            if (err != null) {
                                failures.add(err.toString());
                            } else if (r.statusCode() != 200) {
                                failures.add(r.statusCode() + " " + r.body());
                            } else {
                                ok.incrementAndGet();
                            }
                        }));
            }, 0, periodNanos, TimeUnit.NANOSECONDS);

            // A third of the way in, kill backend 1; at two thirds, bring it back. "The way" is counted in requests
            // sent, not wall-clock time, so a loaded machine that sends late shifts the phases with the load.
            Duration hangGuard = Duration.ofSeconds(seconds + 20L);
            await().atMost(hangGuard).until(() -> sent.get() >= total / 3);
            long killed = System.nanoTime();
            h.backends[1].kill();
            var state = h.proxy.runtime().backendState("p", "127.0.0.1:" + h.backends[1].port());
            await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(20))
                    .until(() -> !state.available(System.currentTimeMillis()));
            long ejected = System.nanoTime() - killed;
            await().atMost(hangGuard).until(() -> sent.get() >= 2 * total / 3);
            h.backends[1].restart();
            h.backends[1].handler = h.backends[0].handler;
            await().atMost(hangGuard).until(() -> sent.get() >= total);
            sender.shutdown();
            assertThat(sender.awaitTermination(seconds + 10L, TimeUnit.SECONDS)).isTrue();
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            System.out.printf("kill under load: %d s at %d req/s, %d ok, %d failed; dead backend taken out of "
                    + "rotation after %d ms%n", seconds, rate, ok.get(), failures.size(), ejected / 1_000_000);
            assertThat(failures).isEmpty();
            assertThat(ok.get()).isEqualTo(total);
            assertThat(ejected).isPositive();
        }
    }
}
