package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.route.CompiledRoute;
import dev.gatehouse.proxy.observe.ExchangeObserver;
import dev.gatehouse.proxy.observe.ExchangeRecord;
import dev.gatehouse.proxy.route.FilterFactory;
import dev.gatehouse.proxy.health.HealthSignals;
import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.filter.RequestView;
import dev.gatehouse.proxy.filter.TestRequest;
import dev.gatehouse.proxy.upstream.UpstreamChannels;
import dev.gatehouse.proxy.upstream.UpstreamChannelsTest;
import dev.gatehouse.proxy.vertx.VertxInternals;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSession;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request engine driven directly: a recording {@link Downstream} in place of a client connection, a real
 * {@link ProxyHandler} over a runtime compiled from YAML, real {@link UpstreamChannels} on the same event loop, and
 * loopback backends whose answers each test scripts. Every phase and retry decision is checked on what the transport
 * was told and on the {@link ExchangeRecord} the observer got.
 */
class ExchangeTest {

    private static final long WAIT = 5;

    /** The proxy side: one event loop, so every timer and channel of the engine runs on the same thread. */
    private static Vertx vertx;
    private static Context ctx;
    private static Thread loopThread;
    /** The backends live on their own Vert.x, as they would on another machine. */
    private static Vertx backendVertx;

    private final List<ScriptedBackend> backends = new ArrayList<>();
    private Env env;

    @BeforeAll
    static void startVertx() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        ctx = vertx.getOrCreateContext();
        loopThread = onLoop(Thread::currentThread);
        backendVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().await(WAIT, TimeUnit.SECONDS);
        backendVertx.close().await(WAIT, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (env != null) {
            onLoop(() -> {
                env.channels.close();
                return null;
            });
            assertThat(env.offLoop).as("engine calls off the event loop").isEmpty();
        }
        for (ScriptedBackend b : backends) {
            b.close();
        }
    }

    private static <T> T onLoop(Callable<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    // ---- backends -------------------------------------------------------------------------------------------

    /** What a backend does with one complete request read on a connection. */
    interface Script {
        void answer(Conn conn, String request);
    }

    /** One accepted backend connection: what it read, and a way to answer or cut it. */
    static final class Conn {
        final NetSocket socket;
        final StringBuilder pending = new StringBuilder();
        final StringBuilder received = new StringBuilder();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        /** Complete requests read on this connection. */
        int requests;

        Conn(NetSocket socket) {
            this.socket = socket;
        }

        void write(String s) {
            socket.write(Buffer.buffer(s.getBytes(StandardCharsets.ISO_8859_1)));
        }

        void close() {
            socket.close();
        }

        String received() {
            synchronized (received) {
                return received.toString();
            }
        }
    }

    /** A loopback HTTP/1.1 backend that reads whole requests and answers as its script says. */
    final class ScriptedBackend {
        final NetServer server;
        final List<Conn> conns = new CopyOnWriteArrayList<>();
        final LinkedBlockingQueue<String> requests = new LinkedBlockingQueue<>();
        /** The first request head it read (maybe before its body). */
        final CompletableFuture<String> firstHead = new CompletableFuture<>();
        volatile Script script = (c, r) -> c.write(ok("hello"));

        ScriptedBackend() throws Exception {
            server = backendVertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
                    .connectHandler(s -> {
                        Conn c = new Conn(s);
                        conns.add(c);
                        s.closeHandler(v -> c.closed.complete(null));
                        s.handler(buf -> read(c, buf.toString(StandardCharsets.ISO_8859_1)));
                    });
            server.listen().await(WAIT, TimeUnit.SECONDS);
            backends.add(this);
        }

        private void read(Conn c, String data) {
            synchronized (c.received) {
                c.received.append(data);
            }
            c.pending.append(data);
            int head = c.pending.indexOf("\r\n\r\n");
            if (head >= 0 && !firstHead.isDone()) {
                firstHead.complete(c.pending.substring(0, head));
            }
            int end;
            while ((end = requestEnd(c.pending)) > 0) {
                String request = c.pending.substring(0, end);
                c.pending.delete(0, end);
                c.requests++;
                requests.add(request);
                script.answer(c, request);
            }
        }

        int port() {
            return server.actualPort();
        }

        String id() {
            return "127.0.0.1:" + port();
        }

        String nextRequest() throws InterruptedException {
            String r = requests.poll(WAIT, TimeUnit.SECONDS);
            assertThat(r).as("a request reached backend %s", id()).isNotNull();
            return r;
        }

        void close() throws Exception {
            server.close().await(WAIT, TimeUnit.SECONDS);
            for (Conn c : conns) {
                c.close();
            }
        }
    }

    /** The end of the first whole request in {@code s} (Content-Length or chunked framing), or -1. */
    static int requestEnd(StringBuilder s) {
        int head = s.indexOf("\r\n\r\n");
        if (head < 0) {
            return -1;
        }
        String lower = s.substring(0, head).toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            int bodyStart = head + 4;
            if (s.indexOf("0\r\n\r\n", bodyStart) == bodyStart) {
                return bodyStart + 5;
            }
            int last = s.indexOf("\r\n0\r\n\r\n", bodyStart);
            return last < 0 ? -1 : last + 7;
        }
        long length = 0;
        for (String line : lower.split("\r\n")) {
            if (line.startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        long end = head + 4 + length;
        return s.length() >= end ? (int) end : -1;
    }

    static String ok(String body) {
        return "HTTP/1.1 200 OK\r\ncontent-length: " + body.length() + "\r\n\r\n" + body;
    }

    static String status(int code, String body) {
        return "HTTP/1.1 " + code + " X\r\ncontent-length: " + body.length() + "\r\n\r\n" + body;
    }

    static String bodyOf(String request) {
        return request.substring(request.indexOf("\r\n\r\n") + 4);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---- the proxy side -------------------------------------------------------------------------------------

    /** A handler over a runtime compiled from YAML, with recording health signals and observer. */
    final class Env {
        final ProxyRuntime runtime;
        final ProxyHandler handler;
        final UpstreamChannels channels;
        final LinkedBlockingQueue<ExchangeRecord> records = new LinkedBlockingQueue<>();
        final List<String> attempts = new CopyOnWriteArrayList<>();
        final List<String> health = new CopyOnWriteArrayList<>();
        final List<String> offLoop = new CopyOnWriteArrayList<>();

        Env(String yaml, Map<String, ProxyFilter> filters) throws Exception {
            GatehouseConfig config = ConfigParser.parse(yaml);
            runtime = new ProxyRuntime(config.shared(), 1, new FilterFactory() {
                @Override
                public ProxyFilter create(RouteConfig route, FilterConfig f) {
                    // A headers filter whose one request header names a test filter stands for it.
                    String tag = ((FilterConfig.Headers) f).request().set().values().iterator().next();
                    return filters.get(tag);
                }
            });
            ExchangeObserver observer = new ExchangeObserver() {
                @Override
                public void upstreamAttempt(String route, Backend backend, boolean retry) {
                    check("upstreamAttempt");
                    attempts.add(backend.id() + (retry ? " retry" : ""));
                }

                @Override
                public void completed(ExchangeRecord record) {
                    check("completed");
                    records.add(record);
                }
            };
            HealthSignals signals = new HealthSignals() {
                @Override
                public void success(Backend backend) {
                    health.add("ok " + backend.id());
                }

                @Override
                public void failure(Backend backend, String cause) {
                    health.add("fail " + backend.id() + " " + cause);
                }
            };
            channels = onLoop(() -> new UpstreamChannels(vertx, VertxInternals.eventLoop(ctx), 1));
            handler = new ProxyHandler(vertx, runtime, ListenerSettings.of(config.listeners().get(0), false), null,
                    channels, signals, observer, null);
        }

        void check(String call) {
            if (Thread.currentThread() != loopThread) {
                offLoop.add(call + " on " + Thread.currentThread().getName());
            }
        }

        ExchangeRecord record() throws InterruptedException {
            ExchangeRecord r = records.poll(WAIT, TimeUnit.SECONDS);
            assertThat(r).as("the exchange completed").isNotNull();
            return r;
        }

        CompiledRoute route() {
            return runtime.current().routes().routes().get(0);
        }
    }

    /**
     * A config: listener {@code public} with {@code listenerExtra}, pool {@code p} over the given backend ports with
     * {@code poolExtra} lines, route {@code r} on {@code /api} with {@code routeExtra} lines.
     */
    private Env env(String listenerExtra, String poolExtra, String routeExtra, int... ports) throws Exception {
        return env(listenerExtra, poolExtra, routeExtra, Map.of(), ports);
    }

    private Env env(String listenerExtra, String poolExtra, String routeExtra, Map<String, ProxyFilter> filters,
                    int... ports) throws Exception {
        StringBuilder y = new StringBuilder();
        y.append("listeners:\n  - { name: public, host: 127.0.0.1, port: 0")
                .append(listenerExtra.isEmpty() ? "" : ", " + listenerExtra).append(" }\n");
        y.append("pools:\n  - name: p\n");
        for (String line : poolExtra.split("\n")) {
            if (!line.isBlank()) {
                y.append("    ").append(line).append('\n');
            }
        }
        y.append("    backends:\n");
        for (int port : ports) {
            y.append("      - { url: \"http://127.0.0.1:").append(port).append("\" }\n");
        }
        y.append("routes:\n  - name: r\n    pool: p\n    match: { path-prefix: /api }\n");
        for (String line : routeExtra.split("\n")) {
            if (!line.isBlank()) {
                y.append("    ").append(line).append('\n');
            }
        }
        if (env != null) {
            Env previous = env;
            onLoop(() -> {
                previous.channels.close();
                return null;
            });
            assertThat(previous.offLoop).as("engine calls off the event loop").isEmpty();
        }
        env = new Env(y.toString(), filters);
        return env;
    }

    /** Pool lines making the first pick deterministic: consistent hashing on X-Key (see {@link #keyPicking}). */
    private static final String HASHED = "balancer: consistent-hash\nhash-key: \"header:X-Key\"";
    /** Retries without backoff timers, so a retry follows at once. */
    private static final String NO_BACKOFF = "backoff: 0ms";

    /** An X-Key value whose first pick on the route is {@code backend}. */
    private static String keyPicking(Env env, ScriptedBackend backend) {
        return keyPicking(env, backend.port());
    }

    private static String keyPicking(Env env, int port) {
        for (int i = 0; i < 10_000; i++) {
            RoutedRequestTest.TestRequest r = new RoutedRequestTest.TestRequest(env.route());
            r.headers = Map.of("X-Key", "k" + i);
            if (r.pick().port() == port) {
                return "k" + i;
            }
        }
        throw new AssertionError("no key picks port " + port);
    }

    /** Records every call of the engine; lets the test feed body pieces and close the client. */
    final class Client implements Downstream {
        final HttpMethod method;
        final String uri;
        final HeadersMultiMap headers = HeadersMultiMap.httpHeaders();
        long contentLength = -1;
        boolean bodyFollows;
        String protocol = "HTTP/1.1";
        Exchange exchange;

        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile int status;
        volatile HeadersMultiMap responseHeaders;
        volatile boolean bodiless;
        final StringBuilder body = new StringBuilder();
        volatile boolean ended;
        volatile boolean answered;
        volatile boolean closeAfterAnswer;
        volatile boolean aborted;
        private boolean bodyWritten;
        final CompletableFuture<Boolean> finished = new CompletableFuture<>();
        volatile Boolean reading;

        Client(HttpMethod method, String uri, String... headerPairs) {
            this.method = method;
            this.uri = uri;
            headers.set("Host", "example.test");
            for (int i = 0; i < headerPairs.length; i += 2) {
                if (headerPairs[i + 1] == null) {
                    headers.remove(headerPairs[i]);
                } else {
                    headers.set(headerPairs[i], headerPairs[i + 1]);
                }
            }
        }

        Client body(long length) {
            contentLength = length;
            bodyFollows = true;
            return this;
        }

        /** Starts the exchange on the event loop, then runs {@code then} in the same loop task. */
        Client start(Runnable then) throws Exception {
            onLoop(() -> {
                exchange = new Exchange(env.handler, this);
                exchange.start();
                then.run();
                return null;
            });
            return this;
        }

        Client start() throws Exception {
            return start(() -> { });
        }

        /** A piece of the request body, as the transport would hand it over (on the loop). */
        void feed(String piece, boolean last) {
            ByteBuf b = Unpooled.copiedBuffer(piece, StandardCharsets.ISO_8859_1);
            if (!exchange.requestBody(b, last)) {
                b.release();
            }
        }

        void feedOnLoop(String piece, boolean last) throws Exception {
            onLoop(() -> {
                feed(piece, last);
                return null;
            });
        }

        boolean awaitFinished() throws Exception {
            return finished.get(WAIT, TimeUnit.SECONDS);
        }

        private void call(String c) {
            env.check(c);
            calls.add(c);
        }

        String body() {
            synchronized (body) {
                return body.toString();
            }
        }

        // ---- the request

        @Override
        public HttpMethod method() {
            return method;
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public String protocol() {
            return protocol;
        }

        @Override
        public String viaProtocol() {
            return "1.1";
        }

        @Override
        public MultiMap headers() {
            return headers;
        }

        @Override
        public String authority() {
            return headers.get("Host");
        }

        @Override
        public String remotePeer() {
            return "127.0.0.1";
        }

        @Override
        public String clientAddress() {
            return "127.0.0.1";
        }

        @Override
        public SSLSession sslSession() {
            return null;
        }

        @Override
        public long contentLength() {
            return contentLength;
        }

        @Override
        public boolean bodyFollows() {
            return bodyFollows;
        }

        @Override
        public void readBody(boolean read) {
            env.check("readBody");
            reading = read;
        }

        @Override
        public void sendContinue() {
            call("continue");
        }

        // ---- the response

        @Override
        public ByteBufAllocator alloc() {
            return UnpooledByteBufAllocator.DEFAULT;
        }

        @Override
        public void head(int s, HeadersMultiMap h, boolean noBody) {
            call("head " + s);
            status = s;
            responseHeaders = h;
            bodiless = noBody;
        }

        @Override
        public void body(ByteBuf piece) {
            call("body");
            bodyWritten = true;
            synchronized (body) {
                body.append(piece.toString(StandardCharsets.ISO_8859_1));
            }
            piece.release();
        }

        @Override
        public void end(ByteBuf last, HttpHeaders trailers) {
            call("end");
            bodyWritten = true;
            synchronized (body) {
                body.append(last.toString(StandardCharsets.ISO_8859_1));
            }
            last.release();
            ended = true;
        }

        @Override
        public void flush() {
            env.check("flush");
        }

        @Override
        public boolean writable() {
            return true;
        }

        /** Like the raw transport, a head alone is held until body bytes or the end follow. */
        @Override
        public boolean headSent() {
            return bodyWritten || answered;
        }

        @Override
        public void answer(int s, HeadersMultiMap h, ByteBuf content, boolean close) {
            call("answer " + s + (close ? " close" : ""));
            status = s;
            responseHeaders = h;
            synchronized (body) {
                body.setLength(0);
                body.append(content.toString(StandardCharsets.UTF_8));
            }
            content.release();
            answered = true;
            closeAfterAnswer = close;
        }

        @Override
        public void abort() {
            call("abort");
            aborted = true;
        }

        @Override
        public void finished(Exchange e, boolean close) {
            call("finished" + (close ? " close" : ""));
            assertThat(e).isSameAs(exchange);
            finished.complete(close);
        }
    }

    private Client get(String uri, String... headers) {
        return new Client(HttpMethod.GET, uri, headers);
    }

    // ---- test filters -----------------------------------------------------------------------------------------

    /** Records each hook it runs in {@code log}; marks the upstream request and the response with its name. */
    static class Recorder implements ProxyFilter {
        final String name;
        final List<String> log;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public Rejection onRequest(RequestView request) {
            log.add("request " + name + " " + Thread.currentThread().getName());
            return null;
        }

        @Override
        public void onUpstreamRequest(RequestView request, MultiMap headers) {
            log.add("upstream " + name);
            headers.add("X-Edited-By", name);
        }

        @Override
        public void onResponse(RequestView request, MultiMap headers) {
            log.add("response " + name);
            headers.add("X-Response-Filter", name);
        }
    }

    static final class Rejecting extends Recorder {
        Rejecting(String name, List<String> log) {
            super(name, log);
        }

        @Override
        public Rejection onRequest(RequestView request) {
            log.add("request " + name);
            return new Rejection(403, "no", HeadersMultiMap.httpHeaders().set("X-Rejected-By", name));
        }
    }

    /** Filter YAML: one headers filter per tag, each standing for the test filter of that tag. */
    private static String filters(String... tags) {
        StringBuilder sb = new StringBuilder("filters:\n");
        for (String t : tags) {
            sb.append("  - { type: headers, request: { set: { X-Tag: ").append(t).append(" } } }\n");
        }
        return sb.toString();
    }

    // ==== phase order ==========================================================================================

    @Test
    void aSyncFilterThatRejectsStopsBeforeAnyUpstreamConnection() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        List<String> log = new CopyOnWriteArrayList<>();
        env("", "", filters("a", "deny", "c"),
                Map.of("a", new Recorder("a", log), "deny", new Rejecting("deny", log), "c", new Recorder("c", log)),
                b.port());
        Client c = get("/api/x").start();
        assertThat(c.awaitFinished()).isFalse();
        ExchangeRecord r = env.record();

        assertThat(c.calls).containsExactly("answer 403", "finished");
        assertThat(c.body()).isEqualTo("no");
        assertThat(c.responseHeaders.get("X-Rejected-By")).isEqualTo("deny");
        assertThat(log).containsExactly("request a " + loopThread.getName(), "request deny", "response a");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).isEqualTo("FORBIDDEN");
        assertThat(r.attempts()).isZero();
        assertThat(r.backend()).isNull();
        assertThat(env.attempts).isEmpty();
        assertThat(b.conns).as("the backend saw no connection").isEmpty();
    }

    @Test
    void filtersUpstreamRequestEditsReachTheBackend() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        List<String> log = new CopyOnWriteArrayList<>();
        env("", "", filters("a", "b"), Map.of("a", new Recorder("a", log), "b", new Recorder("b", log)), b.port());
        Client c = get("/api/x?q=1", "X-Request-Id", "rid-1").start();
        c.awaitFinished();
        String request = b.nextRequest();

        assertThat(request).startsWith("GET /api/x?q=1 HTTP/1.1\r\n");
        assertThat(request.toLowerCase()).contains("\r\nx-edited-by: a\r\n", "\r\nx-edited-by: b\r\n",
                "\r\nx-request-id: rid-1\r\n", "\r\nhost: example.test\r\n", "\r\ntraceparent: ");
        assertThat(request.toLowerCase().indexOf("x-edited-by: a"))
                .isLessThan(request.toLowerCase().indexOf("x-edited-by: b"));
        assertThat(log).containsSubsequence("request a " + loopThread.getName(), "request b " + loopThread.getName(),
                "upstream a", "upstream b");
        ExchangeRecord r = env.record();
        assertThat(r.requestId()).isEqualTo("rid-1");
        assertThat(r.traceparent()).isNotNull();
        assertThat(request).contains(r.traceparent());
    }

    @Test
    void responseFiltersRunInReverseOrderOnAProxiedAnswer() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        List<String> log = new CopyOnWriteArrayList<>();
        env("", "", filters("a", "b", "c"),
                Map.of("a", new Recorder("a", log), "b", new Recorder("b", log), "c", new Recorder("c", log)),
                b.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.body()).isEqualTo("hello");
        assertThat(log.stream().filter(s -> s.startsWith("response")))
                .containsExactly("response c", "response b", "response a");
        assertThat(c.responseHeaders.getAll("X-Response-Filter")).containsExactly("c", "b", "a");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bytesOut()).isEqualTo(5);
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.backend()).isEqualTo(b.id());
        assertThat(r.route()).isEqualTo("r");
        assertThat(r.pool()).isEqualTo("p");
        assertThat(r.error()).isNull();
    }

    @Test
    void theProxysOwnAnswersPassBackOnlyThroughTheFiltersTheRequestPassed() throws Exception {
        int dead = freePort();
        List<String> log = new CopyOnWriteArrayList<>();
        env("", "", filters("a", "b", "c") + "retries: { attempts: 1 }",
                Map.of("a", new Recorder("a", log), "b", new Recorder("b", log), "deny", new Rejecting("deny", log),
                        "c", new Recorder("c", log)), dead);
        // All filters passed, then the backend is unreachable: the 502 goes back through all of them, in reverse.
        Client c = get("/api/x").start();
        c.awaitFinished();
        assertThat(c.calls).containsExactly("answer 502", "finished");
        assertThat(c.responseHeaders.getAll("X-Response-Filter")).containsExactly("c", "b", "a");
        assertThat(env.record().error()).isEqualTo("UPSTREAM_CONNECT_FAILED");

        // A rejection by the third filter: only the two before it see the answer.
        List<String> log2 = new CopyOnWriteArrayList<>();
        env("", "", filters("a", "b", "deny", "c"),
                Map.of("a", new Recorder("a", log2), "b", new Recorder("b", log2), "deny", new Rejecting("deny", log2),
                        "c", new Recorder("c", log2)), dead);
        Client d = get("/api/x").start();
        d.awaitFinished();
        assertThat(d.calls).containsExactly("answer 403", "finished");
        assertThat(d.responseHeaders.getAll("X-Response-Filter")).containsExactly("b", "a");
        assertThat(log2.stream().filter(s -> s.startsWith("response"))).containsExactly("response b", "response a");
    }

    @Test
    void anAsyncFilterSuspendsTheChainWhichResumesOnTheEventLoop() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        List<String> log = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        List<String> asyncThreads = new CopyOnWriteArrayList<>();
        ProxyFilter async = new ProxyFilter() {
            @Override
            public boolean async() {
                return true;
            }

            @Override
            public io.vertx.core.Future<Rejection> onRequestAsync(RequestView request) {
                log.add("async");
                // The check runs on a worker, like a bcrypt verification; its result comes back on the loop.
                return request.vertx().getOrCreateContext().executeBlocking(() -> {
                    asyncThreads.add(Thread.currentThread().getName());
                    release.await(WAIT, TimeUnit.SECONDS);
                    return null;
                }, false);
            }
        };
        env("", "", filters("a", "async", "b"),
                Map.of("a", new Recorder("a", log), "async", async, "b", new Recorder("b", log)), b.port());
        Client c = get("/api/x").start();
        // Suspended: start returned with the chain stopped at the async filter.
        assertThat(log).containsExactly("request a " + loopThread.getName(), "async");
        assertThat(c.calls).isEmpty();
        assertThat(env.attempts).isEmpty();

        release.countDown();
        c.awaitFinished();
        assertThat(asyncThreads).hasSize(1).doesNotContain(loopThread.getName());
        // The rest of the chain ran on the event loop, then the request went upstream.
        assertThat(log).containsSubsequence("async", "request b " + loopThread.getName(), "upstream a", "upstream b");
        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(b.nextRequest()).startsWith("GET /api/x HTTP/1.1");
        assertThat(env.record().status()).isEqualTo(200);
    }

    // ==== request checks ======================================================================================

    private void assertRefused(Client c, int status, String error, boolean close) throws Exception {
        assertThat(c.awaitFinished()).isEqualTo(close);
        assertThat(c.calls).containsExactly("answer " + status + (close ? " close" : ""),
                "finished" + (close ? " close" : ""));
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.error()).isEqualTo(error);
        assertThat(r.attempts()).isZero();
        assertThat(c.responseHeaders.get(Forwarding.X_REQUEST_ID)).isEqualTo(r.requestId());
    }

    @Test
    void aTooLongUriIs414() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("max-uri-length: 256B", "", "", b.port());
        assertRefused(get("/api/" + "x".repeat(300)).start(), 414, "URI_TOO_LONG", true);
        assertThat(b.conns).isEmpty();
    }

    @Test
    void connectIs405AndClosesTheConnection() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("", "", "", b.port());
        assertRefused(new Client(HttpMethod.CONNECT, "example.test:443").start(), 405, "METHOD_NOT_ALLOWED", true);
        assertThat(b.conns).isEmpty();
    }

    @Test
    void aMissingHostOnHttp11Is400() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("", "", "", b.port());
        assertRefused(get("/api/x", "Host", null).start(), 400, "BAD_REQUEST", true);
        assertThat(b.conns).isEmpty();
    }

    @Test
    void aBadPathIs400() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("", "", "", b.port());
        assertRefused(get("/api/%zz").start(), 400, "BAD_REQUEST", true);
        assertRefused(get("api/no-slash").start(), 400, "BAD_REQUEST", true);
        assertThat(b.conns).isEmpty();
    }

    @Test
    void noRouteIs404AndKeepsTheConnection() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("", "", "", b.port());
        Client c = get("/other").start();
        assertRefused(c, 404, "NO_ROUTE", false);
        assertThat(b.conns).isEmpty();
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413AndCloses() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("max-body-size: 10B", "", "", b.port());
        Client c = new Client(HttpMethod.PUT, "/api/x").body(100).start();
        assertRefused(c, 413, "PAYLOAD_TOO_LARGE", true);
        assertThat(b.conns).isEmpty();
        // The body arriving afterwards is the transport's to drop.
        onLoop(() -> {
            ByteBuf piece = Unpooled.copiedBuffer("x".repeat(100), StandardCharsets.US_ASCII);
            assertThat(c.exchange.requestBody(piece, true)).isFalse();
            piece.release();
            return null;
        });
    }

    // ==== retries =============================================================================================

    @Test
    void aConnectFailureIsRetriedOnTheNextBackend() throws Exception {
        int dead = freePort();
        ScriptedBackend live = new ScriptedBackend();
        env("", HASHED, "retries: { attempts: 2, on: [connect-failure], " + NO_BACKOFF + " }", dead, live.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, dead)).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(env.attempts).containsExactly("127.0.0.1:" + dead, live.id() + " retry");
        assertThat(env.health).contains("fail 127.0.0.1:" + dead + " connect failed", "ok " + live.id());
        ExchangeRecord r = env.record();
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.backend()).isEqualTo(live.id());
        assertThat(r.status()).isEqualTo(200);
    }

    @Test
    void aBodyQueuedDuringAFailedConnectGoesWholeToTheRetry() throws Exception {
        int dead = freePort();
        ScriptedBackend live = new ScriptedBackend();
        live.script = (c, r) -> c.write(ok(bodyOf(r)));
        env("", HASHED, "retries: { attempts: 2, on: [connect-failure], " + NO_BACKOFF + " }", dead, live.port());
        Client c = new Client(HttpMethod.PUT, "/api/x", "X-Key", keyPicking(env, dead)).body(10);
        // Queued while the first connect is under way: nothing went upstream, so the PUT may be retried.
        c.start(() -> {
            c.feed("hello", false);
            c.feed("world", true);
        });
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(bodyOf(live.nextRequest())).isEqualTo("helloworld");
        assertThat(c.body()).isEqualTo("helloworld");
        ExchangeRecord r = env.record();
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.bytesIn()).isEqualTo(10);
    }

    @Test
    void withEveryBackendAtItsMaxRequestsTheAnswerIs503WithoutATry() throws Exception {
        ScriptedBackend silent = new ScriptedBackend();
        silent.script = (c, r) -> { };
        env("", "circuit-breaker: { max-requests: 1 }", "", silent.port());
        Client holder = get("/api/1").start();
        silent.nextRequest();
        Client refused = get("/api/2").start();
        refused.awaitFinished();

        assertThat(refused.calls).containsExactly("answer 503", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("OVERLOADED");
        assertThat(r.attempts()).isZero();
        assertThat(silent.conns).hasSize(1);
        onLoop(() -> {
            holder.exchange.clientClosed();
            return null;
        });
        assertThat(env.record().status()).isEqualTo(499);
    }

    @Test
    void aRetryableStatusIsRetriedWhenAnotherBackendIsLeft() throws Exception {
        ScriptedBackend busy = new ScriptedBackend();
        ScriptedBackend fine = new ScriptedBackend();
        busy.script = (c, r) -> c.write(status(503, "busy"));
        env("", HASHED, "retries: { attempts: 2, on: [503], " + NO_BACKOFF + " }", busy.port(), fine.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, busy)).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.body()).isEqualTo("hello");
        assertThat(env.attempts).containsExactly(busy.id(), fine.id() + " retry");
        assertThat(env.health).contains("fail " + busy.id() + " status 503");
        ExchangeRecord r = env.record();
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.backend()).isEqualTo(fine.id());
        // The thrown-away answer's connection is not pooled.
        busy.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void aRetryableStatusWithNoBackendLeftIsRelayedAsTheRealAnswer() throws Exception {
        ScriptedBackend busy = new ScriptedBackend();
        busy.script = (c, r) -> c.write("HTTP/1.1 503 Busy\r\nx-real: yes\r\ncontent-length: 4\r\n\r\nbusy");
        env("", "", "retries: { attempts: 3, on: [503], " + NO_BACKOFF + " }", busy.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 503", "end", "finished");
        assertThat(c.body()).isEqualTo("busy");
        assertThat(c.responseHeaders.get("x-real")).isEqualTo("yes");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.error()).isNull();
        assertThat(busy.requests).as("one try only: nothing left to retry on").hasSize(1);
        assertThat(busy.conns).hasSize(1);
    }

    @Test
    void aRequestWhoseBodyWasSentIsNotRetried() throws Exception {
        ScriptedBackend cutter = new ScriptedBackend();
        ScriptedBackend other = new ScriptedBackend();
        cutter.script = (c, r) -> c.close();
        env("", HASHED, "retries: { attempts: 2, on: [reset, connect-failure], " + NO_BACKOFF + " }",
                cutter.port(), other.port());
        Client c = new Client(HttpMethod.PUT, "/api/x", "X-Key", keyPicking(env, cutter)).body(5).start();
        c.feedOnLoop("hello", true);
        assertThat(c.awaitFinished()).isFalse();

        assertThat(bodyOf(cutter.nextRequest())).isEqualTo("hello");
        assertThat(c.calls).containsExactly("answer 502", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("UPSTREAM_RESET");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.bytesIn()).isEqualTo(5);
        assertThat(other.conns).isEmpty();
    }

    @Test
    void aResetOfABodilessRequestIsRetriedOnAnotherBackend() throws Exception {
        ScriptedBackend cutter = new ScriptedBackend();
        ScriptedBackend other = new ScriptedBackend();
        cutter.script = (c, r) -> c.close();
        env("", HASHED, "retries: { attempts: 2, on: [reset], " + NO_BACKOFF + " }", cutter.port(), other.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, cutter)).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(env.attempts).containsExactly(cutter.id(), other.id() + " retry");
        assertThat(env.health).contains("fail " + cutter.id() + " reset");
        ExchangeRecord r = env.record();
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.backend()).isEqualTo(other.id());
    }

    @Test
    void pastThePendingLimitARequestIsAnswered503AndAQueuedOneIsServedWhenTheConnectionFrees() throws Exception {
        ScriptedBackend silent = new ScriptedBackend();
        silent.script = (c, r) -> { };
        // One event loop: the whole max-connections (1) and max-pending-requests (1) are this loop's.
        env("", "max-connections: 1\ncircuit-breaker: { max-pending-requests: 1 }", "", silent.port());
        Client holder = get("/api/1").start();
        silent.nextRequest();
        Client queued = get("/api/2").start();
        Client refused = get("/api/3").start();
        refused.awaitFinished();
        assertThat(refused.calls).containsExactly("answer 503", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("OVERLOADED");
        assertThat(r.path()).isEqualTo("/api/3");
        assertThat(queued.calls).isEmpty();

        // The holder's client goes: its connection is discarded and the queued request gets a fresh one.
        onLoop(() -> {
            holder.exchange.clientClosed();
            return null;
        });
        assertThat(env.record().status()).isEqualTo(499);
        assertThat(silent.nextRequest()).startsWith("GET /api/2 ");
        assertThat(silent.conns).hasSize(2);
        onLoop(() -> {
            queued.exchange.clientClosed();
            return null;
        });
        assertThat(env.record().path()).isEqualTo("/api/2");
    }

    @Test
    void anAnswerBeforeTheRequestBodyEndedDiscardsTheHalfSentConnection() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> { };
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.POST, "/api/upload").body(-1);
        c.start(() -> c.feed("abc", false));
        b.firstHead.get(WAIT, TimeUnit.SECONDS);
        // The backend refuses early, without waiting for the rest of the body.
        b.conns.get(0).write("HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\n\r\nnope");
        assertThat(c.awaitFinished()).isFalse();

        assertThat(c.calls).containsExactly("head 403", "end", "finished");
        assertThat(c.body()).isEqualTo("nope");
        b.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
        // The rest of the body is the transport's to drop.
        onLoop(() -> {
            ByteBuf rest = Unpooled.copiedBuffer("def", StandardCharsets.US_ASCII);
            assertThat(c.exchange.requestBody(rest, true)).isFalse();
            rest.release();
            return null;
        });
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.bytesIn()).isEqualTo(3);
    }

    @Test
    void expectContinueIsAnsweredOnceABackendTakesTheBody() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write(ok(bodyOf(r)));
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.PUT, "/api/x", "Expect", "100-continue").body(5);
        List<String> callsAtStart = new ArrayList<>();
        // Not before a backend connection is ready for the body.
        c.start(() -> callsAtStart.addAll(c.calls));
        assertThat(callsAtStart).isEmpty();
        b.firstHead.get(WAIT, TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(WAIT))
                .until(() -> c.calls.contains("continue"));
        assertThat(c.reading).isTrue();
        c.feedOnLoop("hello", true);
        c.awaitFinished();

        assertThat(c.calls).containsExactly("continue", "head 200", "end", "finished");
        String request = b.nextRequest();
        assertThat(request.toLowerCase()).doesNotContain("expect:");
        assertThat(bodyOf(request)).isEqualTo("hello");
    }

    @Test
    void noRetryOnceTheRetryBudgetIsSpent() throws Exception {
        int dead = freePort();
        ScriptedBackend live = new ScriptedBackend();
        env("", HASHED + "\nretry-budget: { percent: 0, min-concurrency: 0 }",
                "retries: { attempts: 2, on: [connect-failure], " + NO_BACKOFF + " }", dead, live.port());
        String key = keyPicking(env, dead);
        Client c = get("/api/x", "X-Key", key).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("answer 502", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("UPSTREAM_CONNECT_FAILED");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(env.attempts).containsExactly("127.0.0.1:" + dead);
        assertThat(live.conns).isEmpty();
    }

    @Test
    void aStalePooledConnectionIsReplayedOnceWithoutCountingATry() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        // Each connection answers its first request and drops on the second: a keep-alive connection the backend
        // closed just as the proxy reused it.
        b.script = (c, r) -> {
            if (c.requests == 1) {
                c.write(ok("hello"));
            } else {
                c.close();
            }
        };
        env("", "", "retries: { attempts: 1 }", b.port());
        Client first = get("/api/one").start();
        first.awaitFinished();
        assertThat(env.record().status()).isEqualTo(200);

        Client second = get("/api/two").start();
        second.awaitFinished();
        assertThat(second.calls).containsExactly("head 200", "end", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.attempts()).as("the replay is not a try").isEqualTo(1);
        assertThat(env.health).noneMatch(h -> h.startsWith("fail"));
        assertThat(b.conns).hasSize(2);
        assertThat(b.conns.get(0).received()).contains("GET /api/one ", "GET /api/two ");
        assertThat(b.conns.get(1).received()).startsWith("GET /api/two ");
    }

    @Test
    void aStaleReplayHappensOnlyOnce() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        // Two connections answer their first requests together (so both end up idle in the pool) and drop any
        // later one.
        List<Conn> firsts = new ArrayList<>();
        b.script = (c, r) -> {
            if (c.requests > 1) {
                c.close();
                return;
            }
            firsts.add(c);
            if (firsts.size() == 2) {
                firsts.forEach(f -> f.write(ok("hello")));
            }
        };
        env("", "", "retries: { attempts: 1 }", b.port());
        Client one = get("/api/1").start();
        Client two = get("/api/2").start();
        one.awaitFinished();
        two.awaitFinished();
        env.record();
        env.record();

        // Both pooled connections turn out stale: the first is replayed, the second is a real reset.
        Client c = get("/api/3").start();
        c.awaitFinished();
        assertThat(c.calls).containsExactly("answer 502", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("UPSTREAM_RESET");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(b.conns).hasSize(2);
        assertThat(b.conns).allSatisfy(conn -> assertThat(conn.received()).contains("GET /api/3 "));
        assertThat(env.health).containsExactly("ok " + b.id(), "ok " + b.id(), "fail " + b.id() + " reset");
    }

    // ==== deadlines ===========================================================================================

    @Test
    void theRouteTimeoutAnswers504AndDiscardsTheUpstreamConnection() throws Exception {
        ScriptedBackend silent = new ScriptedBackend();
        silent.script = (c, r) -> { };
        env("", "", "timeout: 200ms", silent.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("answer 504", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.error()).isEqualTo("UPSTREAM_TIMEOUT");
        assertThat(r.durationNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(env.health).contains("fail " + silent.id() + " timeout");
        silent.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void aPerTryTimeoutIsRetriedOnAnotherBackend() throws Exception {
        ScriptedBackend slow = new ScriptedBackend();
        ScriptedBackend fast = new ScriptedBackend();
        slow.script = (c, r) -> { };
        // timeout / attempts: each try gets 300 ms of the 600.
        env("", HASHED, "timeout: 600ms\nretries: { attempts: 2, on: [timeout], " + NO_BACKOFF + " }",
                slow.port(), fast.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, slow)).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.backend()).isEqualTo(fast.id());
        assertThat(env.health).contains("fail " + slow.id() + " per-try timeout");
        slow.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
    }

    // ==== hedging =============================================================================================

    @Test
    void aHedgeAnswersWhenTheFirstTryIsSlowAndTheLosersConnectionIsDiscarded() throws Exception {
        ScriptedBackend slow = new ScriptedBackend();
        ScriptedBackend fast = new ScriptedBackend();
        slow.script = (c, r) -> { };
        fast.script = (c, r) -> c.write(ok("fast"));
        env("", HASHED, "timeout: 5s\nhedge: { delay: 50ms }", slow.port(), fast.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, slow)).start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.body()).isEqualTo("fast");
        assertThat(env.attempts).containsExactly(slow.id(), fast.id() + " retry");
        ExchangeRecord r = env.record();
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.backend()).isEqualTo(fast.id());
        assertThat(r.durationNanos()).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(slow.nextRequest()).startsWith("GET /api/x ");
        slow.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
        // The hedge is no failure of the slow backend.
        assertThat(env.health).noneMatch(h -> h.startsWith("fail"));
    }

    /**
     * ENGINE BUG (fails until fixed): {@code Exchange.start} sets {@code backend} to the hedge's backend and
     * {@code responseHead} never sets it back to the try that answered, so the record (access log {@code upstream},
     * metrics) names a backend whose try was cut off. Suggested fix: {@code backend = a.backend;} beside
     * {@code current = a;} in {@code responseHead}.
     */
    @Test
    void aHedgedRequestThePrimaryAnswersIsLoggedWithThePrimarysBackend() throws Exception {
        ScriptedBackend primary = new ScriptedBackend();
        ScriptedBackend hedge = new ScriptedBackend();
        // The primary answers after the hedge started; the hedge never does.
        primary.script = (c, r) -> backendVertx.setTimer(250, id -> c.write(ok("primary")));
        hedge.script = (c, r) -> { };
        env("", HASHED, "timeout: 5s\nhedge: { delay: 50ms }", primary.port(), hedge.port());
        Client c = get("/api/x", "X-Key", keyPicking(env, primary)).start();
        c.awaitFinished();

        assertThat(c.body()).isEqualTo("primary");
        assertThat(env.attempts).containsExactly(primary.id(), hedge.id() + " retry");
        hedge.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.attempts()).isEqualTo(2);
        // The access log must name the backend whose answer the client got.
        assertThat(r.backend()).isEqualTo(primary.id());
    }

    /**
     * ENGINE BUG (fails until fixed): {@code Attempt.overloaded} fails the whole exchange with 503 even when it is
     * the hedge and the primary try is still running (and it is called synchronously from {@code start}, inside
     * {@code startHedge}). Suggested fix: in {@code overloaded}, when {@code otherInFlight(this)} is not null, mark this
     * try abandoned and keep the other as {@code current} (as {@code attemptFailed} does); in {@code startHedge},
     * keep the new attempt as {@code hedge} only if it is still held and not abandoned.
     */
    @Test
    void aHedgeRefusedForOverloadLeavesThePrimaryToAnswer() throws Exception {
        ScriptedBackend primary = new ScriptedBackend();
        ScriptedBackend full = new ScriptedBackend();
        primary.script = (c, r) -> backendVertx.setTimer(250, id -> c.write(ok("primary")));
        full.script = (c, r) -> { };
        env("", HASHED + "\nmax-connections: 1\ncircuit-breaker: { max-pending-requests: 1 }",
                "timeout: 5s\nhedge: { delay: 50ms }", primary.port(), full.port());
        // The other backend's one connection is taken and its one pending place too.
        BackendPool pool = env.route().pool;
        Backend fullBackend = pool.backends.stream().filter(x -> x.port() == full.port()).findFirst().orElseThrow();
        UpstreamChannelsTest.Waiter holder = new UpstreamChannelsTest.Waiter();
        UpstreamChannelsTest.Waiter waiting = new UpstreamChannelsTest.Waiter();
        onLoop(() -> {
            env.channels.acquire(pool, fullBackend, holder);
            env.channels.acquire(pool, fullBackend, waiting);
            return null;
        });
        holder.await();
        assertThat(waiting.settled()).isFalse();

        Client c = get("/api/x", "X-Key", keyPicking(env, primary)).start();
        c.awaitFinished();

        // The hedge found no room at the other backend: that is no reason to drop the try still running.
        assertThat(env.attempts).containsExactly(primary.id(), full.id() + " retry");
        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.body()).isEqualTo("primary");
        assertThat(env.record().status()).isEqualTo(200);
    }

    // ==== the response ========================================================================================

    @Test
    void aBackendDyingAfterTheHeadBeforeAnyBodyGivesA502() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> {
            c.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n");
            c.close();
        };
        env("", "", "", b.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        // The head was given to the transport, which held it: the client gets a clean 502 instead.
        assertThat(c.calls).containsExactly("head 200", "answer 502", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.error()).isEqualTo("UPSTREAM_RESET");
        assertThat(env.health).contains("fail " + b.id() + " reset mid-response");
    }

    @Test
    void aBackendDyingMidBodyAbortsTheResponse() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> {
            c.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
            c.close();
        };
        env("", "", "", b.port());
        Client c = get("/api/x").start();
        assertThat(c.awaitFinished()).as("the connection must close").isTrue();

        assertThat(c.calls).containsExactly("head 200", "body", "abort", "finished close");
        assertThat(c.body()).isEqualTo("hello");
        assertThat(c.ended).isFalse();
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("RESPONSE_INCOMPLETE");
        assertThat(r.bytesOut()).isEqualTo(5);
    }

    @Test
    void aHeadRequestGetsABodilessHead() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.HEAD, "/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.bodiless).isTrue();
        assertThat(c.responseHeaders.get("content-length")).isEqualTo("100");
        assertThat(b.nextRequest()).startsWith("HEAD /api/x ");
        assertThat(env.record().status()).isEqualTo(200);
        // Nothing was waited for past the head: the connection is reusable.
        Client again = new Client(HttpMethod.HEAD, "/api/y").start();
        again.awaitFinished();
        assertThat(b.conns).hasSize(1);
    }

    @Test
    void interimResponsesAreSkipped() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n" + ok("final"));
        env("", "", "", b.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(c.body()).isEqualTo("final");
        assertThat(c.responseHeaders.contains("link")).isFalse();
        assertThat(env.record().status()).isEqualTo(200);
    }

    @Test
    void aBadUpstreamContentLengthIs502AndAHealthFailure() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write("HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\nhello");
        env("", "", "", b.port());
        Client c = get("/api/x").start();
        c.awaitFinished();

        assertThat(c.calls).containsExactly("answer 502", "finished");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.error()).isEqualTo("UPSTREAM_PROTOCOL");
        assertThat(env.health).containsExactly("fail " + b.id() + " protocol error");
        b.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
    }

    // ==== the request body ====================================================================================

    @Test
    void bodyPiecesQueuedBeforeTheConnectionIsReadyAreSentInOrder() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write(ok(bodyOf(r)));
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.POST, "/api/x").body(13);
        // All three pieces in the loop task that starts the exchange: no connection can be ready yet.
        c.start(() -> {
            c.feed("one-", false);
            c.feed("two-", false);
            c.feed("three", true);
        });
        c.awaitFinished();

        String request = b.nextRequest();
        assertThat(request.toLowerCase()).contains("\r\ncontent-length: 13\r\n");
        assertThat(bodyOf(request)).isEqualTo("one-two-three");
        assertThat(c.body()).isEqualTo("one-two-three");
        ExchangeRecord r = env.record();
        assertThat(r.bytesIn()).isEqualTo(13);
    }

    @Test
    void aChunkedRequestBodyArrivesChunkEncodedAndComplete() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write(ok("got"));
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.POST, "/api/x").body(-1);
        c.start(() -> c.feed("abc", false));
        // The rest once the backend has the head: those pieces go straight up.
        b.firstHead.get(WAIT, TimeUnit.SECONDS);
        c.feedOnLoop("defgh", false);
        c.feedOnLoop("", true);
        c.awaitFinished();

        String request = b.nextRequest();
        assertThat(request.toLowerCase()).contains("\r\ntransfer-encoding: chunked\r\n")
                .doesNotContain("content-length");
        assertThat(bodyOf(request)).isEqualTo("3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n");
        assertThat(c.calls).containsExactly("head 200", "end", "finished");
        assertThat(env.record().bytesIn()).isEqualTo(8);
    }

    @Test
    void aBodyLongerThanDeclaredIs400() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> c.write(ok("nope"));
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.PUT, "/api/x").body(5);
        c.start(() -> c.feed("toolong", true));
        assertThat(c.awaitFinished()).isTrue();

        assertThat(c.calls).containsExactly("answer 400 close", "finished close");
        ExchangeRecord r = env.record();
        assertThat(r.error()).isEqualTo("BAD_REQUEST");
        for (Conn conn : b.conns) {
            assertThat(conn.received()).doesNotContain("toolong");
        }
    }

    @Test
    void aBodyShorterThanDeclaredIs400() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        env("", "", "", b.port());
        Client c = new Client(HttpMethod.PUT, "/api/x").body(10);
        c.start(() -> c.feed("short", true));
        assertThat(c.awaitFinished()).isTrue();

        assertThat(c.calls).containsExactly("answer 400 close", "finished close");
        assertThat(env.record().error()).isEqualTo("BAD_REQUEST");
        assertThat(b.requests).isEmpty();
    }

    @Test
    void aStreamedBodyPastTheLimitIs413() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> { };
        env("max-body-size: 8B", "", "", b.port());
        Client c = new Client(HttpMethod.POST, "/api/x").body(-1);
        c.start(() -> c.feed("12345", false));
        b.firstHead.get(WAIT, TimeUnit.SECONDS);
        c.feedOnLoop("6789", false);
        assertThat(c.awaitFinished()).isTrue();

        assertThat(c.calls).containsExactly("answer 413 close", "finished close");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).isEqualTo("PAYLOAD_TOO_LARGE");
        // The upstream connection holds half a request: it is closed, never pooled.
        b.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
        assertThat(b.conns.get(0).received()).doesNotContain("6789");
    }

    // ==== the client going away ===============================================================================

    @Test
    void aClientGoneMidRequestIsLogged499AndTheUpstreamConnectionDiscarded() throws Exception {
        ScriptedBackend b = new ScriptedBackend();
        b.script = (c, r) -> { };
        env("", "", "", b.port());
        Client c = get("/api/x").start();
        b.nextRequest();
        onLoop(() -> {
            c.exchange.clientClosed();
            return null;
        });
        assertThat(c.awaitFinished()).isTrue();

        assertThat(c.calls).containsExactly("finished close");
        ExchangeRecord r = env.record();
        assertThat(r.status()).isEqualTo(499);
        assertThat(r.error()).isEqualTo("CLIENT_CLOSED");
        assertThat(r.attempts()).isEqualTo(1);
        b.conns.get(0).closed.get(WAIT, TimeUnit.SECONDS);
        assertThat(env.health).isEmpty();
    }
}
