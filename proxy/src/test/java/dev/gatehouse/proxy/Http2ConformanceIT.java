package dev.gatehouse.proxy;

import static dev.gatehouse.proxy.RawH2.CONTINUATION;
import static dev.gatehouse.proxy.RawH2.DATA;
import static dev.gatehouse.proxy.RawH2.END_HEADERS;
import static dev.gatehouse.proxy.RawH2.END_STREAM;
import static dev.gatehouse.proxy.RawH2.HEADERS;
import static dev.gatehouse.proxy.RawH2.PROTOCOL_ERROR;
import static dev.gatehouse.proxy.RawH2.RST_STREAM;
import static dev.gatehouse.proxy.RawH2.SETTINGS;
import static dev.gatehouse.proxy.RawH2.STREAM_CLOSED;
import static dev.gatehouse.proxy.RawH2.WINDOW_UPDATE;
import static dev.gatehouse.proxy.RawH2.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proxy.RawH2.Mode;
import dev.gatehouse.proxy.RawH2.Outcome;
import dev.gatehouse.proxy.TestCertificates.Written;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

/**
 * HTTP/2 as an attacker speaks it, with a raw frame client ({@link RawH2}) over h2c by prior knowledge, h2c by
 * Upgrade and TLS with ALPN h2, in front of a recording backend: malformed requests (RFC 9113 §8.1.1, §8.2, §8.3)
 * end in RST_STREAM(PROTOCOL_ERROR) and never reach the backend, and the stream-state and framing violations of
 * §3.4, §4, §5 and §6 end in the RST_STREAM or GOAWAY the RFC names. The connection survives a stream error: each
 * stream-error case is followed by a valid request on the same connection.
 */
class Http2ConformanceIT {

    @TempDir
    static Path dir;
    static TlsProxy proxy;
    static SSLContext tls;
    /** The URIs of the request heads the backend received, and of those whose body it read to the end. */
    static final List<String> heads = new CopyOnWriteArrayList<>();
    static final List<String> completed = new CopyOnWriteArrayList<>();
    /** Requests under /hold/ wait here until the test releases them. */
    static final Queue<HttpServerRequest> held = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() {
        TestCertificates pki = TestCertificates.in(dir, "H2 Test CA");
        Written localhost = pki.leaf("localhost", "localhost");
        proxy = TlsProxy.start(1, "listeners:\n"
                + "  - { name: plain, host: 127.0.0.1, port: 0 }\n"
                + "  - name: tls\n    host: 127.0.0.1\n    port: 0\n    tls: { certificates: [ "
                + localhost.yaml() + " ] }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"${b0}\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        tls = TlsClients.context(pki.caFile, null);
        proxy.backends[0].handler = req -> {
            heads.add(req.uri());
            if (req.uri().startsWith("/hold/")) {
                held.add(req);
                return;
            }
            req.body().onSuccess(b -> completed.add(req.uri()));
            TestBackend.echo(req);
        };
    }

    @AfterAll
    static void stop() {
        HttpServerRequest r;
        while ((r = held.poll()) != null) {
            r.response().end();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private static RawH2 open(Mode mode) throws IOException {
        return RawH2.open(mode, proxy.port(mode == Mode.TLS ? "tls" : "plain"), tls);
    }

    private static String marker(String name) {
        return "/m/" + name.replaceAll("[^a-z0-9]+", "-") + "-" + System.nanoTime();
    }

    /** A valid GET on {@code c} answers 200 through the backend: the connection is still usable. */
    private static void stillServes(RawH2 c) throws IOException {
        int s = c.stream();
        String path = marker("after");
        c.headers(s, true, get(path));
        Outcome o = c.await(s);
        assertThat(o.kind()).as("follow-up request " + o).isEqualTo("STATUS");
        assertThat(o.code()).isEqualTo(200);
        assertThat(new JsonObject(o.body()).getString("uri")).isEqualTo(path);
    }

    private static void assertNotForwarded(String path) {
        assertThat(heads).noneMatch(u -> u.startsWith(path));
    }

    // ---- valid requests still proxy ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void validRequestsAreProxied(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            String path = marker("valid");
            c.headers(s, true, get(path, "x-tab", "a\tb", "host", "localhost", "accept", "*/*", "te", "trailers"));
            Outcome o = c.await(s);
            assertThat(o.kind()).as(o.toString()).isEqualTo("STATUS");
            assertThat(o.code()).isEqualTo(200);
            JsonObject seen = new JsonObject(o.body());
            assertThat(seen.getString("uri")).isEqualTo(path);
            assertThat(seen.getJsonObject("headers").getString("x-tab")).isEqualTo("a\tb");

            // A body with a matching content-length, and trailers without pseudo-headers.
            int p = c.stream();
            String post = marker("post");
            c.headers(p, false, ":method", "POST", ":scheme", "http", ":path", post, ":authority", "localhost",
                    "content-length", "5");
            c.frame(DATA, 0, p, "hello".getBytes(StandardCharsets.US_ASCII));
            c.headers(p, true, "x-trailer", "t");
            Outcome posted = c.await(p);
            assertThat(posted.kind()).as(posted.toString()).isEqualTo("STATUS");
            assertThat(new JsonObject(posted.body()).getInteger("bodyLength")).isEqualTo(5);

            // Host alone, without :authority.
            int h = c.stream();
            c.headers(h, true, ":method", "GET", ":scheme", "http", ":path", marker("host-only"), "host", "localhost");
            assertThat(c.await(h).kind()).isEqualTo("STATUS");
        }
    }

    // ---- malformed requests: RST_STREAM(PROTOCOL_ERROR), never forwarded ----

    static Stream<Arguments> malformed() {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"CRLF in a value", extra("x-a", "a\r\n b")});
        cases.add(new Object[] {"LF in a value", extra("x-a", "a\nx-injected: 1")});
        cases.add(new Object[] {"CR in a value", extra("x-a", "a\rb")});
        cases.add(new Object[] {"NUL in a value", extra("x-a", "a\0b")});
        cases.add(new Object[] {"other control in a value", extra("x-a", "a\u0001b")});
        cases.add(new Object[] {"leading space in a value", extra("x-a", " a")});
        cases.add(new Object[] {"trailing tab in a value", extra("x-a", "a\t")});
        cases.add(new Object[] {"CRLF in a name", extra("x-a\r\nx-b", "v")});
        cases.add(new Object[] {"NUL in a name", extra("x-a\0", "v")});
        cases.add(new Object[] {"space in a name", extra("x a", "v")});
        cases.add(new Object[] {"colon inside a name", extra("x:a", "v")});
        cases.add(new Object[] {"empty name", extra("", "v")});
        cases.add(new Object[] {"uppercase name", extra("X-Upper", "v")});
        cases.add(new Object[] {"connection", extra("connection", "keep-alive")});
        cases.add(new Object[] {"keep-alive", extra("keep-alive", "timeout=5")});
        cases.add(new Object[] {"proxy-connection", extra("proxy-connection", "keep-alive")});
        cases.add(new Object[] {"transfer-encoding", extra("transfer-encoding", "chunked")});
        cases.add(new Object[] {"upgrade", extra("upgrade", "h2c")});
        cases.add(new Object[] {"te gzip", extra("te", "gzip")});
        cases.add(new Object[] {"authority differs from host", extra("host", "evil.example")});
        cases.add(new Object[] {"second host differs", extra("host", "localhost", "host", "evil.example")});
        cases.add(new Object[] {"unknown pseudo-header", extra(":foo", "bar")});
        cases.add(new Object[] {"pseudo-header after a regular one", extra("x-a", "1", ":authority", "localhost")});
        cases.add(new Object[] {"response pseudo-header", extra(":status", "200")});
        cases.add(new Object[] {"bad content-length", extra("content-length", "1x")});
        cases.add(new Object[] {"content-length on an ended request", extra("content-length", "3")});
        cases.add(new Object[] {"missing :method", fields(":scheme", "http", ":path", "/x", ":authority", "l")});
        cases.add(new Object[] {"missing :scheme", fields(":method", "GET", ":path", "/x", ":authority", "l")});
        cases.add(new Object[] {"missing :path", fields(":method", "GET", ":scheme", "http", ":authority", "l")});
        cases.add(new Object[] {"empty :path", fields(":method", "GET", ":scheme", "http", ":path", "")});
        cases.add(new Object[] {"relative :path", fields(":method", "GET", ":scheme", "http", ":path", "x/y")});
        cases.add(new Object[] {"asterisk :path on GET", fields(":method", "GET", ":scheme", "http", ":path", "*")});
        cases.add(new Object[] {"space in :path", fields(":method", "GET", ":scheme", "http", ":path", "/a b")});
        cases.add(new Object[] {"duplicate :method",
            fields(":method", "GET", ":method", "POST", ":scheme", "http", ":path", "/x")});
        cases.add(new Object[] {"duplicate :path",
            fields(":method", "GET", ":scheme", "http", ":path", "/x", ":path", "/y")});
        cases.add(new Object[] {"duplicate :authority",
            fields(":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "a", ":authority", "b")});
        cases.add(new Object[] {"bad :method token",
            fields(":method", "G T", ":scheme", "http", ":path", "/x")});
        cases.add(new Object[] {"bad :scheme", fields(":method", "GET", ":scheme", "ht tp", ":path", "/x")});
        cases.add(new Object[] {"userinfo in :authority",
            fields(":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "user@localhost")});
        cases.add(new Object[] {"CONNECT with :path",
            fields(":method", "CONNECT", ":authority", "localhost:443", ":scheme", "https", ":path", "/")});
        cases.add(new Object[] {"CONNECT without :authority", fields(":method", "CONNECT")});
        cases.add(new Object[] {":protocol without CONNECT", extra(":protocol", "websocket")});
        List<Arguments> out = new ArrayList<>();
        for (Mode m : Mode.values()) {
            for (Object[] c : cases) {
                out.add(Arguments.of(m, c[0], c[1]));
            }
        }
        return out.stream();
    }

    /** A marker GET's pseudo-headers (the path filled in by the test) followed by {@code extra}. */
    private static String[] extra(String... extra) {
        String[] f = new String[2 + extra.length];
        f[0] = "+get";
        f[1] = "";
        System.arraycopy(extra, 0, f, 2, extra.length);
        return f;
    }

    private static String[] fields(String... f) {
        return f;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("malformed")
    void malformedRequestIsResetAndNeverForwarded(Mode mode, String name, String[] spec) throws IOException {
        String path = marker(name);
        String[] fields;
        if (spec.length > 0 && spec[0].equals("+get")) {
            String[] rest = java.util.Arrays.copyOfRange(spec, 2, spec.length);
            fields = get(path, rest);
        } else {
            fields = spec.clone();
            for (int i = 0; i < fields.length; i += 2) {
                if (fields[i].equals(":path") && fields[i + 1].startsWith("/")) {
                    fields[i + 1] = path + fields[i + 1];
                }
            }
        }
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            c.headers(s, true, fields);
            Outcome o = c.await(s);
            assertThat(o.kind() + "(" + o.code() + ")").as(name).isEqualTo("RST_STREAM(" + PROTOCOL_ERROR + ")");
            stillServes(c);
        }
        assertNotForwarded(path);
    }

    /** Vert.x upgrades when any Upgrade line says h2c: the validator is on the upgraded connection then too. */
    @Test
    void anUpgradeNotInItsExactFormIsServedAsHttp11() {
        // h2c named on a second Upgrade line (or with a body, or without HTTP2-Settings in Connection): no switch of
        // protocols, the plain HTTP/1.1 request it also is (H2cUpgrade), and no Upgrade reaches the backend.
        try (RawHttp c = RawHttp.connect(proxy.port("plain"))) {
            RawHttp.Response r = c.write("GET " + marker("second-upgrade-line") + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: foo\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").read();
            assertThat(r.statusLine()).startsWith("HTTP/1.1 ");
            assertThat(r.status()).isNotEqualTo(101);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void contentLengthMismatchIsMalformed(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            // Less data than declared.
            int s = c.stream();
            String shortPath = marker("short");
            c.headers(s, false, ":method", "POST", ":scheme", "http", ":path", shortPath, ":authority", "localhost",
                    "content-length", "10");
            c.frame(DATA, END_STREAM, s, "abc".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.await(s).toString()).isEqualTo("RST_STREAM(" + PROTOCOL_ERROR + ")");
            // More data than declared.
            int t = c.stream();
            String longPath = marker("long");
            c.headers(t, false, ":method", "POST", ":scheme", "http", ":path", longPath, ":authority", "localhost",
                    "content-length", "2");
            c.frame(DATA, END_STREAM, t, "abc".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.await(t).toString()).isEqualTo("RST_STREAM(" + PROTOCOL_ERROR + ")");
            stillServes(c);
            // The head may have been streamed upstream already; the body is never completed there.
            assertThat(completed).noneMatch(u -> u.startsWith(shortPath) || u.startsWith(longPath));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void malformedTrailersResetTheStream(Mode mode) throws IOException {
        for (String[] trailer : List.of(new String[] {":path", "/x"}, new String[] {"x-t", "a\r\nb"},
                new String[] {"X-T", "a"}, new String[] {"connection", "close"})) {
            try (RawH2 c = open(mode)) {
                int s = c.stream();
                String path = marker("trailers");
                c.headers(s, false, ":method", "POST", ":scheme", "http", ":path", path, ":authority", "localhost");
                c.frame(DATA, 0, s, "abc".getBytes(StandardCharsets.US_ASCII));
                c.headers(s, true, trailer);
                assertThat(c.await(s).toString()).as(trailer[0]).isEqualTo("RST_STREAM(" + PROTOCOL_ERROR + ")");
                stillServes(c);
                assertThat(completed).noneMatch(u -> u.startsWith(path));
            }
        }
    }

    // ---- connection preface (§3.4) ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void invalidPrefaceIsAConnectionError(Mode mode) throws IOException {
        int port = proxy.port(mode == Mode.TLS ? "tls" : "plain");
        try (RawH2 c = mode == Mode.TLS ? RawH2.tls(tls, port) : RawH2.plain(port)) {
            if (mode == Mode.UPGRADE) {
                // Upgraded: the client preface must follow; garbage is a connection error.
                RawH2 up = c;
                up.write(("GET /upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                readHead(up);
            }
            c.write("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.frame(SETTINGS, 0, 0, new byte[0]);
            int code = c.awaitGoAway();
            if (mode == Mode.UPGRADE) {
                // After 101 Netty closes at once; §3.4 lets the GOAWAY be omitted for a broken preface.
                assertThat(code).as("GOAWAY code").isIn(PROTOCOL_ERROR, -1);
            } else {
                assertThat(code).as("GOAWAY code").isEqualTo(PROTOCOL_ERROR);
            }
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void nonSettingsFirstFrameIsAConnectionError() throws IOException {
        try (RawH2 c = RawH2.plain(proxy.port("plain"))) {
            c.write(RawH2.PREFACE);
            c.headers(1, true, get(marker("no-settings")));
            assertThat(c.awaitGoAway()).isEqualTo(PROTOCOL_ERROR);
        }
    }

    private static void readHead(RawH2 c) throws IOException {
        StringBuilder head = new StringBuilder();
        java.io.InputStream in = c.socket.getInputStream();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("upgrade answer " + head).isNotNegative();
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 101");
    }

    // ---- stream states (§5.1, §5.1.1) ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void headersOnAHalfClosedRemoteStreamIsStreamClosed(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            // Held by the backend, so the stream stays half-closed (remote) while the second HEADERS arrives.
            c.headers(s, true, get("/hold/" + System.nanoTime()));
            c.headers(s, true, get("/hold/again"));
            Outcome o = c.await(s);
            assertThat(o.code()).as(o.toString()).isEqualTo(STREAM_CLOSED);
            assertThat(o.kind()).isIn("RST_STREAM", "GOAWAY");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void headersOnAClosedStreamIsStreamClosed(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            c.headers(s, true, get(marker("closed")));
            assertThat(c.await(s).kind()).isEqualTo("STATUS");
            c.headers(s, true, get(marker("closed-again")));
            Outcome o = c.await(s);
            assertThat(o.code()).as(o.toString()).isEqualTo(STREAM_CLOSED);
            assertThat(o.kind()).isIn("RST_STREAM", "GOAWAY");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void headersAfterTheClientResetIsStreamClosed(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            c.headers(s, false, get("/hold/" + System.nanoTime()));
            c.frame(RST_STREAM, 0, s, RawH2.int32(0x8));
            c.headers(s, true, get(marker("after-reset")));
            Outcome o = c.await(s);
            assertThat(o.code()).as(o.toString()).isEqualTo(STREAM_CLOSED);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLowerStreamIdThanAPreviousOneIsAConnectionError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int first = c.stream();
            int skipped = c.stream();
            int later = c.stream();
            c.headers(later, true, get(marker("later")));
            assertThat(c.await(later).kind()).isEqualTo("STATUS");
            String path = marker("lower");
            c.headers(skipped, true, get(path));
            assertThat(c.awaitGoAway()).isEqualTo(PROTOCOL_ERROR);
            assertThat(first).isLessThan(skipped);
            assertNotForwarded(path);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anEvenStreamIdFromTheClientIsAConnectionError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            String path = marker("even");
            c.headers(c.nextStream + 1, true, get(path));
            assertThat(c.awaitGoAway()).isEqualTo(PROTOCOL_ERROR);
            assertNotForwarded(path);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void dataOnAnIdleStreamIsAConnectionError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            c.frame(DATA, END_STREAM, c.nextStream + 4, "x".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.awaitGoAway()).isEqualTo(PROTOCOL_ERROR);
        }
    }

    // ---- flow control, settings, frame sizes (§6) ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aWindowPastTwoToThe31IsAFlowControlError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            c.frame(WINDOW_UPDATE, 0, 0, RawH2.int32(0x7fffffff));
            assertThat(c.awaitGoAway()).isEqualTo(RawH2.FLOW_CONTROL_ERROR);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aZeroWindowIncrementIsAProtocolError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            c.frame(WINDOW_UPDATE, 0, 0, RawH2.int32(0));
            assertThat(c.awaitGoAway()).isEqualTo(PROTOCOL_ERROR);
        }
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of("ENABLE_PUSH 2", RawH2.settings(0x2, 2), PROTOCOL_ERROR),
                Arguments.of("INITIAL_WINDOW_SIZE 2^31", RawH2.settings(0x4, 0x80000000), RawH2.FLOW_CONTROL_ERROR),
                Arguments.of("MAX_FRAME_SIZE 16383", RawH2.settings(0x5, 16383), PROTOCOL_ERROR),
                Arguments.of("MAX_FRAME_SIZE 2^24", RawH2.settings(0x5, 1 << 24), PROTOCOL_ERROR),
                Arguments.of("length not a multiple of 6", new byte[] {0, 3, 0, 0, 0}, RawH2.FRAME_SIZE_ERROR));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void badSettingsAreConnectionErrors(String name, byte[] payload, int code) throws IOException {
        for (Mode mode : Mode.values()) {
            try (RawH2 c = open(mode)) {
                c.frame(SETTINGS, 0, 0, payload);
                assertThat(c.awaitGoAway()).as(mode + " " + name).isEqualTo(code);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFrameLargerThanMaxFrameSizeIsAFrameSizeError(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            c.headers(s, false, ":method", "POST", ":scheme", "http", ":path", "/hold/big", ":authority", "l");
            c.frame(DATA, 0, s, new byte[16_385]);
            assertThat(c.awaitGoAway()).isEqualTo(RawH2.FRAME_SIZE_ERROR);
        }
    }

    // ---- resource exhaustion ----

    /**
     * CVE-2024-27316 class: HEADERS without END_HEADERS followed by CONTINUATION frames without end. The proxy must
     * stop the connection long before the client stops sending (here at most 4 MiB).
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void continuationFloodIsCutShort(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            String path = marker("flood");
            c.frame(HEADERS, 0, s, RawH2.block(get(path)));
            byte[] chunk = RawH2.block("x-flood", "y".repeat(16_000));
            int sent = 0;
            try {
                for (int i = 0; i < 256; i++) {
                    c.frame(CONTINUATION, 0, s, chunk);
                    sent += chunk.length;
                }
            } catch (IOException expected) {
                // The server closed while we were still flooding: that is the point.
            }
            int code = c.awaitGoAway();
            assertThat(code).as("after " + sent + " bytes").isIn(-1, PROTOCOL_ERROR, RawH2.ENHANCE_YOUR_CALM,
                    RawH2.COMPRESSION_ERROR);
            assertThat(c.closedByServer()).isTrue();
            assertNotForwarded(path);
        }
    }

    /** Empty CONTINUATION frames cost the server a frame parse each and add nothing: bounded too. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void emptyContinuationFloodIsCutShort(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            c.frame(HEADERS, 0, s, RawH2.block(get(marker("empty-flood"))));
            byte[] empty = RawH2.frameBytes(CONTINUATION, 0, s, new byte[0]);
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 10_000; i++) {
                batch.writeBytes(empty);
            }
            byte[] many = batch.toByteArray();
            try {
                for (int i = 0; i < 50; i++) {
                    c.write(many);
                }
            } catch (IOException expected) {
                // closed under us
            }
            assertThat(c.awaitGoAway()).isIn(-1, PROTOCOL_ERROR, RawH2.ENHANCE_YOUR_CALM);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /** CVE-2023-44487: streams opened and reset at once, many times. Netty's limit answers ENHANCE_YOUR_CALM. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void rapidResetIsStopped(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 1_000; i++) {
                int s = c.stream();
                burst.writeBytes(RawH2.frameBytes(HEADERS, END_HEADERS, s, RawH2.block(get("/hold/rr"))));
                burst.writeBytes(RawH2.frameBytes(RST_STREAM, 0, s, RawH2.int32(0x8)));
            }
            try {
                c.write(burst.toByteArray());
            } catch (IOException expected) {
                // closed under us
            }
            assertThat(c.awaitGoAway()).isEqualTo(RawH2.ENHANCE_YOUR_CALM);
        }
    }

    /**
     * HPACK bomb: one 4000-byte dynamic-table entry referenced by one-byte indexes thousands of times decodes to
     * megabytes. The header list limit stops it: a 431 answer, a reset or GOAWAY, never a forwarded request.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void hpackBombIsRefused(Mode mode) throws IOException {
        try (RawH2 c = open(mode)) {
            int s = c.stream();
            String path = marker("bomb");
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(RawH2.block(get(path)));
            // Literal with incremental indexing, new name: enters the dynamic table as index 62.
            b.write(0x40);
            byte[] name = "x-bomb".getBytes(StandardCharsets.US_ASCII);
            RawH2.integer(b, name.length, 7, 0);
            b.writeBytes(name);
            byte[] value = "z".repeat(4000).getBytes(StandardCharsets.US_ASCII);
            RawH2.integer(b, value.length, 7, 0);
            b.writeBytes(value);
            for (int i = 0; i < 8000; i++) {
                b.write(0x80 | 62);
            }
            byte[] block = b.toByteArray();
            // Split over HEADERS + CONTINUATION within the 16 KiB frame size.
            int first = Math.min(block.length, 16_000);
            c.frame(HEADERS, 0, s, java.util.Arrays.copyOfRange(block, 0, first));
            c.frame(CONTINUATION, END_HEADERS, s, java.util.Arrays.copyOfRange(block, first, block.length));
            Outcome o = c.await(s);
            assertThat(o.toString()).isIn("STATUS(431)", "RST_STREAM(" + PROTOCOL_ERROR + ")",
                    "RST_STREAM(" + RawH2.ENHANCE_YOUR_CALM + ")", "GOAWAY(" + PROTOCOL_ERROR + ")",
                    "GOAWAY(" + RawH2.ENHANCE_YOUR_CALM + ")", "GOAWAY(" + RawH2.COMPRESSION_ERROR + ")", "CLOSED(-1)");
            assertNotForwarded(path);
        }
    }
}
