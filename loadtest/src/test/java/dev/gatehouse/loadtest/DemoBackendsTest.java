package dev.gatehouse.loadtest;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ConnectException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemoBackendsTest {

    private static Vertx vertx;
    private static DemoBackends backends;
    private static HttpClientAgent client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(VertxDefaults.options());
        backends = await(DemoBackends.start(vertx, List.of(0, 0)));
        client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close());
        }
    }

    @Test
    void rootAnswersJsonNamingTheBackend() throws Exception {
        for (int i = 0; i < 2; i++) {
            Reply r = get(backends.ports().get(i), "/some/path?q=1");
            assertThat(r.status).isEqualTo(200);
            assertThat(r.headers.get("X-Backend")).isEqualTo("backend-" + (i + 1));
            assertThat(r.headers.get("Content-Type")).isEqualTo("application/json");
            assertThat(new JsonObject(r.body)).isEqualTo(
                    new JsonObject().put("backend", "backend-" + (i + 1)).put("path", "/some/path"));
        }
        assertThat(backends.ports()).doesNotContain(0).doesNotHaveDuplicates();
        assertThat(backends.urls().get(0)).isEqualTo("http://127.0.0.1:" + backends.ports().get(0));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1024, 65536, 100_003, 1 << 20, 3_000_001})
    void bytesAnswersExactlyNBytes(int n) throws Exception {
        Reply r = get(port(), "/bytes/" + n);
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.get("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(r.headers.get("Content-Length")).isEqualTo(Integer.toString(n));
        assertThat(r.body.length()).isEqualTo(n);
        assertThat(r.headers.get("X-Backend")).isEqualTo("backend-1");
    }

    @Test
    void bytesAnswersAPostOnceItsChunkedBodyIsRead() throws Exception {
        for (int i = 0; i < 2; i++) {   // twice: the connection stays usable after a dropped body
            Reply r = await(client.request(HttpMethod.POST, port(), "127.0.0.1", "/bytes/5").compose(req -> {
                req.setChunked(true);
                req.write(Buffer.buffer("0123456789abcdef"));
                return req.end(Buffer.buffer("tail")).compose(v -> req.response()).compose(DemoBackendsTest::read);
            }));
            assertThat(r.status).isEqualTo(200);
            assertThat(r.headers.get("Content-Length")).isEqualTo("5");
            assertThat(r.body.length()).isEqualTo(5);
        }
        assertThat(send(port(), HttpMethod.PUT, "/bytes/5", Buffer.buffer("x")).status).isEqualTo(405);
    }

    @Test
    void bytesChunkedStreamsWithoutContentLength() throws Exception {
        long n = 5L * 1024 * 1024 + 7;
        AtomicLong received = new AtomicLong();
        Reply r = await(client.request(HttpMethod.GET, port(), "127.0.0.1", "/bytes/" + n + "?chunked=1")
                .compose(req -> req.send().compose(resp -> {
                    resp.handler(b -> received.addAndGet(b.length()));
                    return resp.end().map(v -> new Reply(resp.statusCode(), resp.headers(), Buffer.buffer()));
                })));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.headers.get("Content-Length")).isNull();
        assertThat(received.get()).isEqualTo(n);
    }

    @Test
    void bytesWithMaxAgeIsCacheable() throws Exception {
        Reply r = get(port(), "/bytes/64?max-age=3600&k=7");
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.get("Cache-Control")).isEqualTo("public, max-age=3600");
        assertThat(r.body.length()).isEqualTo(64);
        assertThat(get(port(), "/bytes/64").headers.get("Cache-Control")).as("not cacheable unless asked").isNull();
        assertThat(get(port(), "/bytes/64?max-age=soon").status).isEqualTo(400);
    }

    @Test
    void badArgumentsAnswer400() throws Exception {
        assertThat(get(port(), "/bytes/-1").status).isEqualTo(400);
        assertThat(get(port(), "/bytes/abc").status).isEqualTo(400);
        assertThat(get(port(), "/delay/99999999").status).isEqualTo(400);
        assertThat(get(port(), "/status/99").status).isEqualTo(400);
        assertThat(get(port(), "/ws").status).isEqualTo(400);
    }

    @Test
    void healthFollowsAdminSickAndWell() throws Exception {
        int port = backends.ports().get(1);
        assertThat(get(port, "/health").status).isEqualTo(200);
        assertThat(get(port, "/health").body.toString()).isEqualTo("ok");
        assertThat(send(port, HttpMethod.POST, "/admin/sick", null).status).isEqualTo(200);
        Reply sick = get(port, "/health");
        assertThat(sick.status).isEqualTo(503);
        assertThat(sick.headers.get("X-Backend")).isEqualTo("backend-2");
        assertThat(get(port(), "/health").status).as("only that backend").isEqualTo(200);
        assertThat(send(port, HttpMethod.POST, "/admin/well", null).status).isEqualTo(200);
        assertThat(get(port, "/health").status).isEqualTo(200);
        backends.setHealthy(1, false);
        assertThat(get(port, "/health").status).isEqualTo(503);
        backends.setHealthy(1, true);
        assertThat(send(port, HttpMethod.POST, "/health", null).status).isEqualTo(405);
    }

    @Test
    void delayWaits() throws Exception {
        long t0 = System.nanoTime();
        Reply r = get(port(), "/delay/150");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(150);
        assertThat(r.status).isEqualTo(200);
        assertThat(new JsonObject(r.body).getLong("delay_ms")).isEqualTo(150);
    }

    @Test
    void statusAnswersThatStatus() throws Exception {
        Reply r = get(port(), "/status/503");
        assertThat(r.status).isEqualTo(503);
        assertThat(r.headers.get("X-Backend")).isEqualTo("backend-1");
        assertThat(get(port(), "/status/404").status).isEqualTo(404);
        Reply noContent = get(port(), "/status/204");
        assertThat(noContent.status).isEqualTo(204);
        assertThat(noContent.body.length()).isZero();
    }

    @Test
    void echoStreamsAChunkedBodyBack() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 11];
        new Random(42).nextBytes(data);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        sent.update(data);
        Reply r = await(client.request(HttpMethod.POST, port(), "127.0.0.1", "/echo")
                .compose(req -> {
                    req.setChunked(true).putHeader("Content-Type", "application/x-test");
                    for (int off = 0; off < data.length; off += 64 * 1024) {
                        req.write(Buffer.buffer().appendBytes(data, off, Math.min(64 * 1024, data.length - off)));
                    }
                    return req.end().compose(v -> req.response()).compose(resp -> {
                        resp.handler(b -> got.update(b.getBytes()));
                        return resp.end().map(v -> new Reply(resp.statusCode(), resp.headers(), Buffer.buffer()));
                    });
                }));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.get("Content-Type")).isEqualTo("application/x-test");
        assertThat(got.digest()).isEqualTo(sent.digest());
    }

    @Test
    void echoWithContentLengthOnPut() throws Exception {
        Reply r = send(port(), HttpMethod.PUT, "/echo", Buffer.buffer("hello gatehouse"));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.get("Content-Length")).isEqualTo("15");
        assertThat(r.body.toString()).isEqualTo("hello gatehouse");
        assertThat(get(port(), "/echo").status).isEqualTo(405);
    }

    @Test
    void headersAnswersTheRequestHeaders() throws Exception {
        RequestOptions options = new RequestOptions().setPort(port()).setHost("127.0.0.1").setURI("/headers")
                .putHeader("X-Test", "one").addHeader("X-Multi", "a").addHeader("X-Multi", "b");
        Reply r = await(client.request(options).compose(req -> req.send().compose(DemoBackendsTest::read)));
        JsonObject json = new JsonObject(r.body);
        assertThat(json.getString("X-Test")).isEqualTo("one");
        assertThat(json.getJsonArray("X-Multi").getList()).containsExactly("a", "b");
        String host = json.fieldNames().stream().filter("host"::equalsIgnoreCase).findFirst().orElseThrow();
        assertThat(json.getString(host)).isEqualTo("127.0.0.1:" + port());
    }

    @Test
    void webSocketEchoesTextAndBinary() throws Exception {
        WebSocketClient wsClient = vertx.createWebSocketClient();
        try {
            WebSocket ws = await(wsClient.connect(port(), "127.0.0.1", "/ws"));
            io.vertx.core.Promise<String> text = io.vertx.core.Promise.promise();
            io.vertx.core.Promise<Buffer> binary = io.vertx.core.Promise.promise();
            ws.textMessageHandler(text::tryComplete);
            ws.binaryMessageHandler(binary::tryComplete);
            await(ws.writeTextMessage("ping"));
            assertThat(await(text.future())).isEqualTo("ping");
            await(ws.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3})));
            assertThat(await(binary.future()).getBytes()).containsExactly(1, 2, 3);
            await(ws.close());
        } finally {
            await(wsClient.close());
        }
    }

    @Test
    void speaksH2c() throws Exception {
        HttpClientAgent h2 = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            Reply r = await(h2.request(HttpMethod.GET, port(), "127.0.0.1", "/bytes/2048")
                    .compose(req -> req.send().compose(resp -> {
                        assertThat(resp.version()).isEqualTo(HttpVersion.HTTP_2);
                        return read(resp);
                    })));
            assertThat(r.status).isEqualTo(200);
            assertThat(r.body.length()).isEqualTo(2048);
            assertThat(r.headers.get("X-Backend")).isEqualTo("backend-1");
        } finally {
            await(h2.close());
        }
    }

    @Test
    void stopAndRestartKeepThePort() throws Exception {
        Vertx own = Vertx.vertx();
        try {
            DemoBackends three = await(DemoBackends.start(own, List.of(0, 0, 0)));
            HttpClientAgent c = own.createHttpClient();
            int port = three.ports().get(2);
            assertThat(three.name(2)).isEqualTo("backend-3");
            await(three.stop(2));
            assertThat(three.isRunning(2)).isFalse();
            assertThatThrownBy(() -> await(c.request(HttpMethod.GET, port, "127.0.0.1", "/")
                    .compose(HttpClientRequest::send)))
                    .hasRootCauseInstanceOf(ConnectException.class);
            assertThat(get(three.ports().get(0), "/").status).as("the others still serve").isEqualTo(200);
            await(three.start(2));
            assertThat(three.ports().get(2)).isEqualTo(port);
            Reply r = await(c.request(HttpMethod.GET, port, "127.0.0.1", "/")
                    .compose(req -> req.send().compose(DemoBackendsTest::read)));
            assertThat(r.headers.get("X-Backend")).isEqualTo("backend-3");
            await(three.close());
            assertThat(three.isRunning(0)).isFalse();
        } finally {
            await(own.close());
        }
    }

    @Test
    void startFailsClearlyWhenThePortIsTaken() throws Exception {
        Vertx own = Vertx.vertx();
        try {
            int taken = backends.ports().get(0);
            // Another Vertx instance cannot share the port: the bind fails.
            assertThatThrownBy(() -> await(DemoBackends.start(own, List.of(0, taken))))
                    .hasMessageContaining("backend-2 could not listen on 127.0.0.1:" + taken);
            assertThatThrownBy(() -> await(DemoBackends.start(own, List.of(70000))))
                    .hasMessageContaining("port: 70000");
        } finally {
            await(own.close());
        }
    }

    private static int port() {
        return backends.ports().get(0);
    }

    private static Reply get(int port, String uri) throws Exception {
        return send(port, HttpMethod.GET, uri, null);
    }

    private static Reply send(int port, HttpMethod method, String uri, Buffer body) throws Exception {
        return await(client.request(method, port, "127.0.0.1", uri)
                .compose(req -> (body == null ? req.send() : req.send(body)).compose(DemoBackendsTest::read)));
    }

    /** Reads the whole body; chain it on send() itself, so it runs in the tick the response arrives. */
    private static Future<Reply> read(io.vertx.core.http.HttpClientResponse resp) {
        return resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b));
    }

    static <T> T await(Future<T> future) throws Exception {
        try {
            return future.await(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // What the event loops were doing, so a hang says whether a loop was stuck or a future was lost.
            StringBuilder threads = new StringBuilder("timed out; event-loop threads:");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t.getName().startsWith("vert.x-")) {
                    threads.append("\n").append(t.getName()).append(' ').append(t.getState());
                    for (int i = 0; i < Math.min(stack.length, 12); i++) {
                        threads.append("\n    at ").append(stack[i]);
                    }
                }
            });
            throw new AssertionError(threads.toString(), e);
        }
    }

    private record Reply(int status, MultiMap headers, Buffer body) {
    }
}
