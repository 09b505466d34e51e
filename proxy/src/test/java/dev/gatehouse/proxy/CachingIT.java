package dev.gatehouse.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine's cache stage end to end over a real origin: fill and hit, what a hit carries, HEAD, ranges and
 * conditionals from the store, revalidation, stale serving, invalidation, collapsing, the size limit, and what is
 * never stored. Each test uses its own paths, so tests share one proxy.
 */
class CachingIT {

    static ProxyHarness h;
    /** Requests the origin saw, per path. */
    static final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    /** The origin's behaviour per path (what it answers); a default answers 200 "hello" with max-age=60. */
    static final Map<String, BiConsumer<HttpServerRequest, Integer>> origin = new ConcurrentHashMap<>();
    /** Request headers the origin got, per path, in order. */
    static final Map<String, List<MultiMap>> received = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n"
                + "  - { name: nocache, pool: p, match: { path-prefix: /plain/ } }\n"
                + "  - { name: other, pool: p, match: { path-prefix: /c/, headers: { X-Tenant: other } },"
                + " cache: { enabled: true } }\n"
                + "  - { name: c, pool: p, match: { path-prefix: /c/ }, cache: { enabled: true } }\n"
                + "cache: { max-size: 8MB, max-entry-size: 32KB, collapse-wait: 5s }\n");
        h.backends[0].handler = req -> {
            String path = req.path();
            int n = seen.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            MultiMap copy = MultiMap.caseInsensitiveMultiMap().addAll(req.headers());
            received.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(copy);
            BiConsumer<HttpServerRequest, Integer> b = origin.get(path);
            req.body().onSuccess(body -> {
                if (b != null) {
                    b.accept(req, n);
                } else {
                    req.response().putHeader("Cache-Control", "max-age=60").putHeader("X-Origin", "o" + n)
                            .end("hello " + n);
                }
            });
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static int count(String path) {
        AtomicInteger n = seen.get(path);
        return n == null ? 0 : n.get();
    }

    static HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, headers);
    }

    static HttpResponse<String> send(String method, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).timeout(Duration.ofSeconds(15))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return h.send(b.build());
    }

    static String status(HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse("");
    }

    @Test
    void aMissIsStoredAndTheNextRequestIsAHitWithTheOriginsHeadersAndAnAge() {
        HttpResponse<String> first = get("/c/fill");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("hello 1");
        assertThat(status(first)).startsWith("gatehouse; fwd=uri-miss; fwd-status=200").contains("stored");
        HttpResponse<String> second = get("/c/fill");
        assertThat(second.body()).isEqualTo("hello 1");
        assertThat(second.headers().firstValue("X-Origin")).hasValue("o1");
        assertThat(status(second)).startsWith("gatehouse; hit; ttl=");
        assertThat(second.headers().firstValue("Age")).isPresent();
        assertThat(count("/c/fill")).isEqualTo(1);
    }

    @Test
    void aRouteWithoutCachingNeverStores() {
        get("/plain/x");
        HttpResponse<String> r = get("/plain/x");
        assertThat(r.body()).isEqualTo("hello 2");
        assertThat(r.headers().firstValue("Cache-Status")).isEmpty();
    }

    @Test
    void anotherRouteUnderTheSameUrlDoesNotShareTheEntry() {
        get("/c/routes");
        HttpResponse<String> other = get("/c/routes", "X-Tenant", "other");
        assertThat(other.body()).isEqualTo("hello 2");
        assertThat(get("/c/routes").body()).isEqualTo("hello 1");
        assertThat(get("/c/routes", "X-Tenant", "other").body()).isEqualTo("hello 2");
    }

    @Test
    void headIsAnsweredFromAStoredGet() {
        get("/c/head");
        HttpResponse<String> r = send("HEAD", "/c/head");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).hasValue("7");
        assertThat(r.body()).isEmpty();
        assertThat(status(r)).contains("hit");
        assertThat(count("/c/head")).isEqualTo(1);
    }

    @Test
    void rangesAreCutFromTheStoredResponse() {
        get("/c/range");
        HttpResponse<String> part = get("/c/range", "Range", "bytes=2-4");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo("llo");
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 2-4/7");
        HttpResponse<String> none = get("/c/range", "Range", "bytes=50-");
        assertThat(none.statusCode()).isEqualTo(416);
        assertThat(none.headers().firstValue("Content-Range")).hasValue("bytes */7");
        assertThat(count("/c/range")).isEqualTo(1);
    }

    @Test
    void aClientConditionalIsAnsweredFromTheStoreAndNeverSentOnAFill() {
        origin.put("/c/etag", (req, n) -> req.response().putHeader("Cache-Control", "max-age=60")
                .putHeader("ETag", "\"v1\"").end("tagged"));
        HttpResponse<String> first = get("/c/etag", "If-None-Match", "\"v1\"");
        assertThat(first.statusCode()).isEqualTo(304);
        assertThat(received.get("/c/etag").get(0).get("If-None-Match")).isNull();
        HttpResponse<String> hit = get("/c/etag", "If-None-Match", "W/\"v1\"");
        assertThat(hit.statusCode()).isEqualTo(304);
        assertThat(hit.headers().firstValue("ETag")).hasValue("\"v1\"");
        assertThat(get("/c/etag", "If-None-Match", "\"v2\"").body()).isEqualTo("tagged");
        assertThat(count("/c/etag")).isEqualTo(1);
    }

    @Test
    void aStaleEntryIsRevalidatedAndThe304UpdatesItsHeaders() throws Exception {
        origin.put("/c/reval", (req, n) -> {
            if ("\"r1\"".equals(req.getHeader("If-None-Match"))) {
                req.response().setStatusCode(304).putHeader("Cache-Control", "max-age=60").putHeader("ETag", "\"r1\"")
                        .putHeader("X-Version", "2").end();
            } else {
                req.response().putHeader("Cache-Control", "max-age=1").putHeader("ETag", "\"r1\"")
                        .putHeader("X-Version", "1").end("body-r1");
            }
        });
        get("/c/reval");
        Thread.sleep(2100);
        HttpResponse<String> r = get("/c/reval");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("body-r1");
        assertThat(r.headers().firstValue("X-Version")).hasValue("2");
        assertThat(status(r)).contains("fwd=stale").contains("fwd-status=304");
        assertThat(received.get("/c/reval").get(1).get("If-None-Match")).isEqualTo("\"r1\"");
        HttpResponse<String> after = get("/c/reval");
        assertThat(status(after)).contains("hit");
        assertThat(after.headers().firstValue("X-Version")).hasValue("2");
        assertThat(count("/c/reval")).isEqualTo(2);
    }

    @Test
    void privateAndSetCookieResponsesAreNeverServedToAnotherClient() {
        origin.put("/c/private", (req, n) -> req.response().putHeader("Cache-Control", "private, max-age=60")
                .end("mine " + n));
        origin.put("/c/cookie", (req, n) -> req.response().putHeader("Cache-Control", "max-age=60")
                .putHeader("Set-Cookie", "s=" + n).end("cookie " + n));
        assertThat(get("/c/private").body()).isEqualTo("mine 1");
        assertThat(get("/c/private").body()).isEqualTo("mine 2");
        assertThat(status(get("/c/private"))).contains("detail=private");
        assertThat(get("/c/cookie").body()).isEqualTo("cookie 1");
        assertThat(get("/c/cookie").body()).isEqualTo("cookie 2");
    }

    @Test
    void staleIfErrorServesTheStaleResponseWhenTheOriginFails() throws Exception {
        origin.put("/c/sie", (req, n) -> {
            if (n == 1) {
                req.response().putHeader("Cache-Control", "max-age=1, stale-if-error=60").end("good");
            } else {
                req.response().setStatusCode(503).end("down");
            }
        });
        get("/c/sie");
        Thread.sleep(2100);
        HttpResponse<String> r = get("/c/sie");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("good");
        assertThat(status(r)).contains("fwd=stale").contains("fwd-status=503").contains("stale-if-error");
    }

    @Test
    void staleIfErrorServesTheStaleResponseWhenTheOriginDropsTheConnection() throws Exception {
        origin.put("/c/sie-reset", (req, n) -> {
            if (n == 1) {
                req.response().putHeader("Cache-Control", "max-age=1, stale-if-error=60").end("kept");
            } else {
                req.connection().close();
            }
        });
        get("/c/sie-reset");
        Thread.sleep(2100);
        HttpResponse<String> r = get("/c/sie-reset");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("kept");
        assertThat(status(r)).contains("fwd=stale").contains("detail=stale-if-error");
    }

    @Test
    void mustRevalidateIsNeverServedStaleOnError() throws Exception {
        origin.put("/c/mr", (req, n) -> {
            if (n == 1) {
                req.response().putHeader("Cache-Control", "max-age=1, must-revalidate, stale-if-error=60").end("x");
            } else {
                req.response().setStatusCode(503).end("down");
            }
        });
        get("/c/mr");
        Thread.sleep(2100);
        assertThat(get("/c/mr").statusCode()).isEqualTo(503);
    }

    @Test
    void staleWhileRevalidateAnswersAtOnceAndRefreshesInTheBackground() throws Exception {
        // The refreshed copy stays fresh for a minute: a slow machine must not see it stale too and refresh again.
        origin.put("/c/swr", (req, n) -> req.response()
                .putHeader("Cache-Control", (n == 1 ? "max-age=1" : "max-age=60") + ", stale-while-revalidate=60")
                .end("v" + n));
        get("/c/swr");
        Thread.sleep(2100);
        HttpResponse<String> r = get("/c/swr");
        assertThat(r.body()).isEqualTo("v1");
        // a hit (RFC 9211: hit and fwd exclude each other) whose negative ttl says it was stale
        assertThat(status(r)).contains("hit").contains("detail=stale-while-revalidate").doesNotContain("fwd=")
                .containsPattern("ttl=-\\d+");
        await().atMost(Duration.ofSeconds(10)).until(() -> count("/c/swr") == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/c/swr").body().equals("v2"));
        assertThat(count("/c/swr")).isEqualTo(2);
    }

    @Test
    void aSuccessfulUnsafeRequestInvalidatesTheTarget() {
        get("/c/inv");
        assertThat(get("/c/inv").body()).isEqualTo("hello 1");
        HttpResponse<String> post = send("POST", "/c/inv");
        assertThat(post.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> get("/c/inv").body().equals("hello 3"));
    }

    @Test
    void anUnsafeRequestOnARouteThatDoesNotCacheStillInvalidates() {
        get("/c/inv2");
        assertThat(get("/c/inv2").body()).isEqualTo("hello 1");
        HttpResponse<String> del = send("DELETE", "/plain/x", "X-Unused", "1");
        assertThat(del.headers().firstValue("Cache-Status")).isEmpty();
        // The DELETE's Content-Location names the cached resource (same origin): it is invalidated (§4.4).
        origin.put("/plain/del", (req, n) -> req.response().putHeader("Content-Location", "/c/inv2").end());
        send("DELETE", "/plain/del");
        await().atMost(Duration.ofSeconds(5)).until(() -> get("/c/inv2").body().equals("hello 2"));
    }

    @Test
    void aFailedUnsafeRequestInvalidatesNothing() {
        origin.put("/c/inv3", (req, n) -> {
            if (req.method() == HttpMethod.POST) {
                req.response().setStatusCode(500).end();
            } else {
                req.response().putHeader("Cache-Control", "max-age=60").end("kept " + n);
            }
        });
        get("/c/inv3");
        assertThat(send("POST", "/c/inv3").statusCode()).isEqualTo(500);
        assertThat(get("/c/inv3").body()).isEqualTo("kept 1");
    }

    @Test
    void concurrentMissesOfOneKeyMakeOneOriginRequest() {
        origin.put("/c/collapse", (req, n) -> h.vertx.setTimer(300, t -> req.response()
                .putHeader("Cache-Control", "max-age=60").end("collapsed " + n)));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(h.http.sendAsync(HttpRequest.newBuilder(h.uri("/c/collapse")).timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.join().body()).isEqualTo("collapsed 1");
        }
        assertThat(count("/c/collapse")).isEqualTo(1);
    }

    @Test
    void aResponseOverTheEntryLimitStreamsThroughWithoutBeingStored() {
        String big = "x".repeat(50_000);
        origin.put("/c/big", (req, n) -> req.response().putHeader("Cache-Control", "max-age=60").end(big));
        origin.put("/c/bigchunked", (req, n) -> req.response().setChunked(true)
                .putHeader("Cache-Control", "max-age=60").end(big));
        assertThat(get("/c/big").body()).isEqualTo(big);
        assertThat(get("/c/big").body()).isEqualTo(big);
        assertThat(count("/c/big")).isEqualTo(2);
        assertThat(get("/c/bigchunked").body()).isEqualTo(big);
        assertThat(get("/c/bigchunked").body()).isEqualTo(big);
        assertThat(count("/c/bigchunked")).isEqualTo(2);
    }

    @Test
    void largeHitsAreServedWholeFromDirectMemoryIncludingRanges() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 12_000; i++) {
            b.append(i).append(',');
        }
        String body = b.toString();
        origin.put("/c/large", (req, n) -> req.response().putHeader("Cache-Control", "max-age=60").end(body));
        assertThat(get("/c/large").body()).isEqualTo(body);
        for (int i = 0; i < 5; i++) {
            assertThat(get("/c/large").body()).isEqualTo(body);
        }
        HttpResponse<String> part = get("/c/large", "Range", "bytes=1000-1999");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo(body.substring(1000, 2000));
        assertThat(get("/c/large", "Range", "bytes=999999-").statusCode()).isEqualTo(416);
        assertThat(send("HEAD", "/c/large").headers().firstValue("Content-Length"))
                .hasValue(String.valueOf(body.length()));
        assertThat(count("/c/large")).isEqualTo(1);
    }

    @Test
    void varyKeepsVariantsApart() {
        origin.put("/c/vary", (req, n) -> req.response().putHeader("Cache-Control", "max-age=60")
                .putHeader("Vary", "Accept-Language").end(req.getHeader("Accept-Language") + " " + n));
        assertThat(get("/c/vary", "Accept-Language", "en").body()).isEqualTo("en 1");
        HttpResponse<String> fr = get("/c/vary", "Accept-Language", "fr");
        assertThat(fr.body()).isEqualTo("fr 2");
        assertThat(status(fr)).contains("fwd=vary-miss");
        assertThat(get("/c/vary", "Accept-Language", "en").body()).isEqualTo("en 1");
        assertThat(get("/c/vary", "Accept-Language", "fr").body()).isEqualTo("fr 2");
    }

    @Test
    void onlyIfCachedWithNothingStoredIs504() {
        HttpResponse<String> r = get("/c/oic", "Cache-Control", "only-if-cached");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(count("/c/oic")).isZero();
    }

    @Test
    void http2ClientsGetTheSameHits() {
        get("/c/h2");
        io.vertx.core.http.HttpClient c = h.vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            var r = Await.result(c.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                    .setPort(h.port()).setURI("/c/h2")).compose(req -> req.send())
                    .compose(res -> res.body().map(b -> Map.entry(res.getHeader("Cache-Status"), b.toString()))));
            assertThat(r.getValue()).isEqualTo("hello 1");
            assertThat(r.getKey()).contains("hit");
        } finally {
            c.close();
        }
        assertThat(count("/c/h2")).isEqualTo(1);
    }
}
