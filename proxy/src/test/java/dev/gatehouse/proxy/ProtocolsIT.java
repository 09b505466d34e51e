package dev.gatehouse.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Expect: 100-continue, WebSocket tunnels, h2c, the PROXY protocol and response compression. */
class ProtocolsIT {

    static ProxyHarness h;
    static final String JSON = new JsonObject().put("items", "abcdefghij".repeat(400)).encode();
    static final byte[] PNG = "\u0089PNG fake image bytes ".repeat(200).getBytes(StandardCharsets.ISO_8859_1);
    static final String TEXT = "already compressed text ".repeat(200);
    static final byte[] PRE_GZIPPED = gzip(TEXT.getBytes(StandardCharsets.UTF_8));

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, "listeners:\n"
                + "  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "  - { name: pp, host: 127.0.0.1, port: 0, proxy-protocol: true }\n"
                + "pools:\n  - name: p\n    backends:\n      - { url: \"${b0}\" }\n"
                + "routes:\n"
                + "  - { name: small, pool: p, match: { path-prefix: /small/ }, max-body-size: 1KB }\n"
                + "  - { name: gz, pool: p, match: { path-prefix: /gz/ }, compression: true }\n"
                + "  - { name: r, pool: p, match: { path-prefix: / } }\n");
        h.backends[0].handler = req -> {
            String p = req.path();
            if (p.endsWith("/etag-json")) {
                req.response().putHeader("Content-Type", "application/json").putHeader("ETag", "\"s1\"")
                        .putHeader("Vary", "Origin").end(JSON);
            } else if (p.endsWith("/json")) {
                req.response().putHeader("Content-Type", "application/json").end(JSON);
            } else if (p.endsWith("/png")) {
                req.response().putHeader("Content-Type", "image/png").end(Buffer.buffer(PNG));
            } else if (p.endsWith("/pre")) {
                req.response().putHeader("Content-Type", "text/plain").putHeader("Content-Encoding", "gzip")
                        .end(Buffer.buffer(PRE_GZIPPED));
            } else {
                TestBackend.echo(req);
            }
        };
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static byte[] gunzip(byte[] data) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(data))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    // ---- Expect: 100-continue ----

    @Test
    void expectContinueGets100ThenTheFinalResponse() {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response cont = c.readHead();
            assertThat(cont.statusLine()).isEqualTo("HTTP/1.1 100 Continue");
            c.write("hello world");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().getInteger("bodyLength")).isEqualTo(11);
            // The proxy answered the expectation itself; the backend gets a plain request.
            assertThat(r.seen().containsKey("expect")).isFalse();
        }
    }

    @Test
    void expectContinueWithTooLargeBodyGets413Without100() {
        int before = h.backends[0].hits.get();
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("POST /small/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(c.closedWithin(Duration.ofSeconds(3))).isTrue();
        }
        assertThat(h.backends[0].hits.get()).isEqualTo(before);
    }

    // ---- WebSocket ----

    /** Collects what a JDK WebSocket receives. */
    static final class Collector implements WebSocket.Listener {
        final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    private static WebSocket openWebSocket(Collector collector) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + h.port() + "/ws"), collector).get(10, TimeUnit.SECONDS);
    }

    @Test
    void webSocketEchoesThroughTheProxy() throws Exception {
        Collector collector = new Collector();
        WebSocket ws = openWebSocket(collector);
        for (int i = 0; i < 5; i++) {
            ws.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
            assertThat(collector.texts.poll(5, TimeUnit.SECONDS)).isEqualTo("hello " + i);
        }
        String big = "x".repeat(200_000);
        ws.sendText(big, true).get(5, TimeUnit.SECONDS);
        assertThat(collector.texts.poll(5, TimeUnit.SECONDS)).isEqualTo(big);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        assertThat(collector.closed.get(5, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
    }

    @Test
    void clientCloseReachesTheBackend() throws Exception {
        int closedBefore = h.backends[0].webSocketsClosed.get();
        Collector collector = new Collector();
        WebSocket ws = openWebSocket(collector);
        ws.sendText("ping", true).get(5, TimeUnit.SECONDS);
        assertThat(collector.texts.poll(5, TimeUnit.SECONDS)).isEqualTo("ping");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.backends[0].webSocketsClosed.get() > closedBefore);
    }

    @Test
    void backendCloseReachesTheClient() throws Exception {
        Collector collector = new Collector();
        WebSocket ws = openWebSocket(collector);
        ws.sendText("close", true).get(5, TimeUnit.SECONDS);
        assertThat(collector.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1000);
    }

    @Test
    void browserStyleUpgradeHandshake() throws IOException {
        try (RawHttp c = RawHttp.connect(h.port())) {
            c.write("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Origin: http://x\r\n\r\n");
            RawHttp.Response r = c.readHead();
            assertThat(r.status()).isEqualTo(101);
            assertThat(r.header("Upgrade")).isEqualToIgnoringCase("websocket");
            assertThat(r.header("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            // A masked text frame "hi", as a browser sends it; the echo comes back unmasked.
            byte[] mask = {1, 2, 3, 4};
            byte[] payload = "hi".getBytes(StandardCharsets.UTF_8);
            byte[] frame = new byte[2 + 4 + payload.length];
            frame[0] = (byte) 0x81;
            frame[1] = (byte) (0x80 | payload.length);
            System.arraycopy(mask, 0, frame, 2, 4);
            for (int i = 0; i < payload.length; i++) {
                frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
            }
            c.write(frame);
            byte[] echo = c.input().readNBytes(4);
            assertThat(echo).containsExactly((byte) 0x81, (byte) 2, (byte) 'h', (byte) 'i');
        }
    }

    // ---- h2c ----

    @Test
    void h2cWithPriorKnowledgeIsProxiedToHttp11() {
        io.vertx.core.http.HttpClient client = h.vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(h.port())
                    .setURI("/h2?x=1");
            JsonObject[] seen = new JsonObject[1];
            HttpClientResponse res = Await.result(client.request(get)
                    .compose(req -> req.send())
                    .compose(r -> r.body().map(b -> {
                        seen[0] = b.toJsonObject();
                        return r;
                    })));
            assertThat(res.version()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(seen[0].getString("version")).isEqualTo("HTTP_1_1");
            assertThat(seen[0].getString("uri")).isEqualTo("/h2?x=1");
            assertThat(seen[0].getInteger("bodyLength")).isZero();
            // A bodiless HTTP/2 request stays bodiless upstream: not chunked, so it stays retryable.
            assertThat(seen[0].getJsonObject("headers").getString("transfer-encoding")).isNull();
            assertThat(seen[0].getJsonObject("headers").getString("via")).isEqualTo("2 gatehouse");

            RequestOptions post = new RequestOptions(get).setMethod(HttpMethod.POST).setURI("/h2post");
            JsonObject posted = Await.result(client.request(post)
                    .compose(req -> req.send(Buffer.buffer("twelve bytes")))
                    .compose(HttpClientResponse::body)).toJsonObject();
            assertThat(posted.getInteger("bodyLength")).isEqualTo(12);
        } finally {
            client.close();
        }
    }

    @Test
    void h2cViaUpgradeIsProxiedToHttp11() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> first = client.send(HttpRequest.newBuilder(h.uri("/up?n=1"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(first.body());
        assertThat(body.getString("version")).isEqualTo("HTTP_1_1");
        assertThat(body.getString("uri")).isEqualTo("/up?n=1");
        // Later requests go over the upgraded HTTP/2 connection.
        HttpResponse<String> second = client.send(HttpRequest.newBuilder(h.uri("/up?n=2"))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("abc")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(new JsonObject(second.body()).getInteger("bodyLength")).isEqualTo(3);
    }

    // ---- PROXY protocol ----

    private static int proxyProtocolPort() {
        return h.proxy.port("pp");
    }

    @Test
    void proxyProtocolV1SourceBecomesTheClientAddress() {
        RawHttp.Response r = RawHttp.exchange(proxyProtocolPort(), "PROXY TCP4 203.0.113.7 127.0.0.1 40000 8080\r\n"
                + "GET /pp HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.seen().getString("x-forwarded-for")).isEqualTo("203.0.113.7");
        assertThat(r.seen().getString("forwarded")).startsWith("for=203.0.113.7;");
    }

    @Test
    void proxyProtocolV2SourceBecomesTheClientAddress() {
        byte[] header = {
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
            0x21, // version 2, PROXY
            0x11, // TCP over IPv4
            0x00, 0x0C, // 12 address bytes follow
            (byte) 198, 51, 100, 9, // source
            127, 0, 0, 1, // destination
            (byte) 0x9C, 0x41, // source port 40001
            0x1F, (byte) 0x90 // destination port 8080
        };
        try (RawHttp c = RawHttp.connect(proxyProtocolPort())) {
            c.write(header);
            c.write("GET /pp2 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.seen().getString("x-forwarded-for")).isEqualTo("198.51.100.9");
        }
    }

    @Test
    void proxyProtocolListenerRefusesAConnectionWithoutTheHeader() {
        int before = h.backends[0].hits.get();
        try (RawHttp c = RawHttp.connect(proxyProtocolPort())) {
            c.write("GET /no-header HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(h.backends[0].hits.get()).isEqualTo(before);
    }

    // ---- compression ----

    private static RawHttp.Response fetch(String path, boolean acceptGzip) {
        return RawHttp.exchange(h.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
                + (acceptGzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n");
    }

    @Test
    void compressibleResponseIsGzippedOnACompressionRoute() {
        RawHttp.Response r = fetch("/gz/json", true);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.all("Content-Encoding")).containsExactly("gzip");
        assertThat(r.body().length).isLessThan(JSON.length() / 4);
        assertThat(new String(gunzip(r.body()), StandardCharsets.UTF_8)).isEqualTo(JSON);
    }

    @Test
    void noCompressionWithoutAcceptEncoding() {
        RawHttp.Response r = fetch("/gz/json", false);
        assertThat(r.header("Content-Encoding")).isNull();
        assertThat(r.text()).isEqualTo(JSON);
        assertThat(r.all("Vary")).as("the answer depends on Accept-Encoding").containsExactly("Accept-Encoding");
    }

    /** A cache in front must key on Accept-Encoding, and a compressed body is not the origin's bytes (nginx too). */
    @Test
    void compressibleResponsesVaryOnAcceptEncodingAndCompressedOnesHaveAWeakETag() {
        RawHttp.Response gz = fetch("/gz/etag-json", true);
        assertThat(gz.all("Content-Encoding")).containsExactly("gzip");
        assertThat(String.join(",", gz.all("Vary")).replace(" ", "")).isEqualToIgnoringCase("Origin,Accept-Encoding");
        assertThat(gz.header("ETag")).isEqualTo("W/\"s1\"");

        RawHttp.Response plain = fetch("/gz/etag-json", false);
        assertThat(plain.header("Content-Encoding")).isNull();
        assertThat(String.join(",", plain.all("Vary")).replace(" ", "")).isEqualToIgnoringCase("Origin,Accept-Encoding");
        assertThat(plain.header("ETag")).as("the origin's bytes: its strong ETag").isEqualTo("\"s1\"");

        RawHttp.Response refused = RawHttp.exchange(h.port(), "GET /gz/etag-json HTTP/1.1\r\nHost: x\r\n"
                + "Accept-Encoding: gzip;q=0, identity\r\n\r\n");
        assertThat(refused.header("Content-Encoding")).isNull();
        assertThat(refused.header("ETag")).isEqualTo("\"s1\"");

        RawHttp.Response image = fetch("/gz/png", true);
        assertThat(image.header("Vary")).as("never compressed: nothing varies").isNull();
    }

    @Test
    void imagesAreNotCompressed() {
        RawHttp.Response r = fetch("/gz/png", true);
        assertThat(r.header("Content-Encoding")).as("no gzip and no stray identity").isNull();
        assertThat(r.body()).isEqualTo(PNG);
    }

    @Test
    void alreadyEncodedResponseIsNotCompressedAgain() {
        RawHttp.Response r = fetch("/gz/pre", true);
        assertThat(r.all("Content-Encoding")).containsExactly("gzip");
        assertThat(r.body()).isEqualTo(PRE_GZIPPED);
        assertThat(new String(gunzip(r.body()), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    }

    @Test
    void routeWithoutCompressionIsNotCompressed() {
        RawHttp.Response r = fetch("/plain/json", true);
        assertThat(r.header("Content-Encoding")).as("no gzip and no stray identity").isNull();
        assertThat(r.text()).isEqualTo(JSON);
    }

    @Test
    void errorResponsesCarryNoStrayContentEncoding() {
        RawHttp.Response r = RawHttp.exchange(h.port(), "POST /small/x HTTP/1.1\r\nHost: x\r\n"
                + "Accept-Encoding: gzip\r\nContent-Length: 5000\r\n\r\n");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("Content-Encoding")).isNull();
        assertThat(r.text()).isEqualTo("payload too large\n");
    }

    @Test
    void http2ResponsesAreCompressedTheSameWay() {
        io.vertx.core.http.HttpClient client = h.vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false).setDecompressionSupported(false));
        try {
            for (String path : new String[]{"/gz/json", "/gz/png", "/plain/json"}) {
                RequestOptions get = new RequestOptions().setHost("127.0.0.1").setPort(h.port()).setURI(path)
                        .putHeader("Accept-Encoding", "gzip");
                HttpClientResponse res = Await.result(client.request(get).compose(req -> req.send())
                        .compose(r -> r.body().map(b -> r)));
                String ce = res.getHeader("Content-Encoding");
                if (path.equals("/gz/json")) {
                    assertThat(ce).isEqualTo("gzip");
                } else {
                    assertThat(ce).as(path).isNull();
                }
            }
        } finally {
            client.close();
        }
    }
}
