package dev.gatehouse.proxy;

import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Retries: idempotent requests only, on the configured conditions, each attempt on a different backend. */
class RetryIT {

    private ProxyHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static void unavailable(HttpServerRequest req) {
        req.response().setStatusCode(503).end("busy");
    }

    private HttpResponse<String> get(String path) {
        return h.send(HttpRequest.newBuilder(h.uri(path)).timeout(Duration.ofSeconds(5)).GET().build());
    }

    private HttpResponse<String> post(String path) {
        return h.send(HttpRequest.newBuilder(h.uri(path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString("payload")).build());
    }

    private int totalHits() {
        int n = 0;
        for (TestBackend b : h.backends) {
            n += b.hits.get();
        }
        return n;
    }

    private BackendState state(int backend) {
        return h.proxy.runtime().backendState("p", "127.0.0.1:" + h.backends[backend].port());
    }

    /**
     * With no untried backend left, a retryable status is the answer: the backend's own 503, its body and headers,
     * not a made-up 502 (a one-backend pool with retries.on: [503] turned every 503 into 502). Both request paths.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "filters: [ { type: headers, request: { set: { X-Full: \"1\" } } } ]"})
    void whenNoBackendIsLeftTheLastRealAnswerIsRelayed(String routeExtra) {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "retries: { attempts: 2, on: [503] }\n" + routeExtra));
        h.backends[0].handler = req -> req.response().setStatusCode(503).putHeader("X-Real", "yes").end("busy");
        HttpResponse<String> r = get("/only");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("busy");
        assertThat(r.headers().firstValue("x-real")).hasValue("yes");
        assertThat(h.backends[0].hits.get()).isEqualTo(1);

        // Two backends, both 503: the second real answer is relayed after the one retry.
        h.close();
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 2, on: [503] }\n" + routeExtra));
        for (TestBackend b : h.backends) {
            b.handler = req -> req.response().setStatusCode(503).putHeader("X-Real", "yes").end("busy");
        }
        HttpResponse<String> two = get("/both");
        assertThat(two.statusCode()).isEqualTo(503);
        assertThat(two.headers().firstValue("x-real")).hasValue("yes");
        assertThat(totalHits()).isEqualTo(2);
    }

    @Test
    void deadBackendIsRetriedAroundAndEjectedAfterItsFirstFailure() {
        h = ProxyHarness.start(3, ProxyHarness.simple(3,
                "outlier-detection: { consecutive-failures: 1, base-ejection: 60s }",
                "retries: { attempts: 2, on: [connect-failure] }"));
        for (int i = 0; i < 6; i++) {
            assertThat(get("/warm").statusCode()).isEqualTo(200);
        }
        h.backends[1].kill();
        int before = totalHits();
        Map<String, Integer> servedBy = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = get("/r" + i);
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            servedBy.merge(r.headers().firstValue("x-backend").orElseThrow(), 1, Integer::sum);
        }
        assertThat(servedBy.keySet()).containsOnly("b0", "b2");
        assertThat(totalHits() - before).isEqualTo(200);
        // Ejected once, and never tried again: another failure would have started a new run.
        BackendState dead = state(1);
        assertThat(dead.ejections()).isEqualTo(1);
        assertThat(dead.ejected(System.currentTimeMillis())).isTrue();
        assertThat(dead.consecutiveFailures()).isZero();
    }

    @Test
    void retriesAloneKeepEveryRequestSucceeding() {
        h = ProxyHarness.start(3, ProxyHarness.simple(3, "", "retries: { attempts: 2, on: [connect-failure] }"));
        h.backends[1].kill();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = get("/r" + i);
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(r.headers().firstValue("x-backend")).isNotEqualTo("b1");
        }
    }

    @Test
    void configuredStatusIsRetriedOnAnotherBackend() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 2, on: [503] }"));
        h.backends[0].handler = RetryIT::unavailable;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = get("/s" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-backend")).hasValue("b1");
        }
        assertThat(h.backends[0].hits.get()).isPositive();
        assertThat(h.backends[1].hits.get()).isEqualTo(20);
    }

    @Test
    void statusNotConfiguredIsNotRetried() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 2, on: [502] }"));
        h.backends[0].handler = RetryIT::unavailable;
        int unavailable = 0;
        for (int i = 0; i < 20; i++) {
            unavailable += get("/s" + i).statusCode() == 503 ? 1 : 0;
        }
        assertThat(unavailable).isEqualTo(h.backends[0].hits.get()).isPositive();
        assertThat(totalHits()).isEqualTo(20);
    }

    @Test
    void postIsNeverRetriedOnStatus() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 3, on: [connect-failure, reset, 503] }"));
        h.backends[0].handler = RetryIT::unavailable;
        int unavailable = 0;
        int ok = 0;
        for (int i = 0; i < 20; i++) {
            int status = post("/p" + i).statusCode();
            unavailable += status == 503 ? 1 : 0;
            ok += status == 200 ? 1 : 0;
        }
        assertThat(unavailable).isEqualTo(h.backends[0].hits.get()).isPositive();
        assertThat(ok).isEqualTo(h.backends[1].hits.get());
        assertThat(totalHits()).isEqualTo(20);
    }

    @Test
    void postIsNeverRetriedOnConnectFailure() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 3, on: [connect-failure, reset] }"));
        h.backends[0].kill();
        int failed = 0;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = post("/p" + i);
            if (r.statusCode() == 502) {
                failed++;
                assertThat(r.body()).isEqualTo("upstream connect error\n");
            } else {
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
        assertThat(failed).isPositive();
        assertThat(h.backends[1].hits.get()).isEqualTo(20 - failed);
    }

    /** Answers the first request of each connection and drops the connection on the second, unanswered. */
    private static io.vertx.core.Handler<HttpServerRequest> dropsReusedConnections() {
        Map<io.vertx.core.http.HttpConnection, Integer> perConnection = new java.util.concurrent.ConcurrentHashMap<>();
        return req -> {
            if (perConnection.merge(req.connection(), 1, Integer::sum) > 1) {
                req.connection().close();
            } else {
                TestBackend.echo(req);
            }
        };
    }

    @Test
    void resetOnAReusedConnectionIsRetriedOnAFreshOneEvenWithOneBackend() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1,
                "outlier-detection: { consecutive-failures: 1 }", "retries: { attempts: 1 }"));
        h.backends[0].handler = dropsReusedConnections();
        for (int i = 0; i < 10; i++) {
            assertThat(get("/k" + i).statusCode()).as("request %d", i).isEqualTo(200);
        }
        // Every reuse was dropped by the backend, yet none counted against it.
        assertThat(h.backends[0].hits.get()).isGreaterThan(10);
        assertThat(state(0).consecutiveFailures()).isZero();
        assertThat(state(0).ejections()).isZero();
    }

    @Test
    void resetOnAReusedConnectionIsNotReplayedForPost() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "retries: { attempts: 3, on: [connect-failure, reset] }"));
        h.backends[0].handler = dropsReusedConnections();
        // Warmed with a POST: requests with a body take the full path, whose upstream pool the next POST reuses.
        assertThat(post("/warm").statusCode()).isEqualTo(200);
        HttpResponse<String> r = post("/p");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("upstream connection reset\n");
    }

    @Test
    void http2GetIsRetriedLikeHttp11() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 2, on: [connect-failure, 503] }"));
        h.backends[0].handler = RetryIT::unavailable;
        HttpClient client = h.vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            for (int i = 0; i < 10; i++) {
                RequestOptions get = new RequestOptions().setHost("127.0.0.1").setPort(h.port()).setURI("/h2/" + i);
                HttpClientResponse r = Await.result(client.request(get).compose(HttpClientRequest::send)
                        .compose(res -> res.body().map(b -> res)));
                assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.getHeader("x-backend")).isEqualTo("b1");
            }
        } finally {
            client.close();
        }
        assertThat(h.backends[0].hits.get()).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "weighted-round-robin", "least-request", "random", "consistent-hash"})
    void everyAttemptGoesToADifferentBackend(String balancer) {
        String pool = "balancer: " + balancer + (balancer.equals("consistent-hash") ? "\nhash-key: header:X-User" : "");
        h = ProxyHarness.start(3, ProxyHarness.simple(3, pool, "retries: { attempts: 3, on: [503] }"));
        for (TestBackend b : h.backends) {
            b.handler = RetryIT::unavailable;
        }
        for (int i = 1; i <= 10; i++) {
            HttpResponse<String> r = h.send(HttpRequest.newBuilder(h.uri("/d" + i)).header("X-User", "u" + i)
                    .timeout(Duration.ofSeconds(5)).GET().build());
            // Three attempts, three distinct backends; the last answer is relayed.
            assertThat(r.statusCode()).isEqualTo(503);
            for (TestBackend b : h.backends) {
                assertThat(b.hits.get()).as("%s after %d requests", b.name, i).isEqualTo(i);
            }
        }
    }

    @Test
    void oneAttemptMeansNoRetry() {
        h = ProxyHarness.start(2, ProxyHarness.simple(2, "", "retries: { attempts: 1, on: [connect-failure, 503] }"));
        h.backends[0].handler = RetryIT::unavailable;
        int unavailable = 0;
        for (int i = 0; i < 20; i++) {
            unavailable += get("/o" + i).statusCode() == 503 ? 1 : 0;
        }
        assertThat(unavailable).isEqualTo(h.backends[0].hits.get()).isPositive();
        assertThat(totalHits()).isEqualTo(20);
        h.backends[0].kill();
        int failed = 0;
        for (int i = 0; i < 20; i++) {
            failed += get("/o" + i).statusCode() == 502 ? 1 : 0;
        }
        assertThat(failed).isPositive();
    }
}
