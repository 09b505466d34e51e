package dev.gatehouse.proxy.vertx;

import dev.gatehouse.proxy.Await;
import dev.gatehouse.proxy.listener.ConnectionGuard;
import io.netty.channel.Channel;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each event loop accepting on a listening socket of its own ({@link VertxInternals#hookedServer} on a native
 * transport): real servers on two event loops, real connections from 127.0.0.1.
 */
class LoopAcceptTest {

    private Vertx vertx;
    private final List<Vertx> others = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
        Assumptions.assumeTrue(vertx.isNativeTransportEnabled(), "needs the native transport (Linux)");
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        for (Vertx v : others) {
            Await.result(v.close());
        }
        Await.result(vertx.close());
    }

    @Test
    void eachEventLoopListensOnItsOwnSocketAndServesTheConnectionsItAccepts() throws IOException {
        List<HttpServer> servers = bindOnEveryLoop(vertx, 0, req -> Thread.currentThread().getName());
        int port = servers.get(0).actualPort();
        assertThat(servers.get(1).actualPort()).isEqualTo(port);
        assertThat(listening(vertx, port)).hasSize(2);

        Map<String, Integer> byLoop = new TreeMap<>();
        for (int i = 0; i < 48; i++) {
            byLoop.merge(get(connect(port)), 1, Integer::sum);
        }
        // Both loops serve, and neither holds more than the balancing allows (the kernel alone may split 30 to 18).
        assertThat(byLoop).as("connections per event loop").hasSize(2);
        int fewest = byLoop.values().stream().min(Integer::compare).orElseThrow();
        int most = byLoop.values().stream().max(Integer::compare).orElseThrow();
        assertThat(most).as("connections per event loop: " + byLoop).isLessThanOrEqualTo(fewest + 2);
        // Each socket counts the connections it handed to its loop: 48 open ones in all.
        assertThat(listening(vertx, port).stream().mapToInt(LoopAcceptTest::open).sum()).isEqualTo(48);
    }

    @Test
    void aClosedConnectionNoLongerCountsForItsLoop() throws IOException {
        int port = bindOnEveryLoop(vertx, 0, req -> "ok").get(0).actualPort();
        Socket s = connect(port);
        get(s);
        s.close();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                listening(vertx, port).stream().mapToInt(LoopAcceptTest::open).sum() == 0);
    }

    @Test
    void listeningSocketsTakeEveryWaitingConnectionInOneTurn() {
        int port = bindOnEveryLoop(vertx, 0, req -> "ok").get(0).actualPort();
        for (Channel c : listening(vertx, port)) {
            var allocator = (DefaultMaxMessagesRecvByteBufAllocator) c.config().getRecvByteBufAllocator();
            // Netty's default stops after one connection per turn of the loop; a loop busy serving would then
            // leave a burst of new connections waiting in the kernel's queue for seconds.
            assertThat(allocator.respectMaybeMoreData()).isFalse();
            assertThat(allocator.maxMessagesPerRead()).isEqualTo(VertxInternals.ACCEPTS_PER_TURN);
        }
    }

    @Test
    void aPortAnotherProcessListensOnIsRefusedAsInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            assertThatThrownBy(() -> bindOnEveryLoop(vertx, taken.getLocalPort(), req -> "ok"))
                    .hasRootCauseInstanceOf(BindException.class)
                    .hasMessageContaining("Address already in use");
        }
    }

    @Test
    void aPortAnotherNodeSharesWithReusePortIsStillRefusedAsInUse() {
        // Another node (a second Vert.x, as a second process would be) listens with SO_REUSEPORT: the kernel would
        // let this one join and split the traffic silently; the check before binding refuses instead.
        Vertx other = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
        others.add(other);
        int port = bindOnEveryLoop(other, 0, req -> "other").get(0).actualPort();
        assertThatThrownBy(() -> bindOnEveryLoop(vertx, port, req -> "this"))
                .hasRootCauseInstanceOf(BindException.class)
                .hasMessageContaining("Address already in use: 127.0.0.1:" + port);
        assertThat(listening(vertx, port)).isEmpty();
    }

    @Test
    void aServerBoundWhereThisNodeListensSharesEachLoopsSocket() throws IOException {
        // What a listener change on the same address does: the new servers join the old ones' sockets (no gap, no
        // bind error), and keep them when the old servers close.
        List<HttpServer> old = bindOnEveryLoop(vertx, 0, req -> "old");
        int port = old.get(0).actualPort();
        List<Channel> before = listening(vertx, port);
        List<HttpServer> next = bindOnEveryLoop(vertx, port, req -> "new");
        assertThat(listening(vertx, port)).containsExactlyInAnyOrderElementsOf(before);
        for (HttpServer s : old) {
            Await.result(s.close());
        }
        assertThat(listening(vertx, port)).containsExactlyInAnyOrderElementsOf(before);
        for (int i = 0; i < 8; i++) {
            assertThat(get(connect(port))).isEqualTo("new");
        }
        for (HttpServer s : next) {
            Await.result(s.close());
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> listening(vertx, port).isEmpty());
    }

    /** One server per event loop on {@code port}, as the proxy's listener set binds: the first resolves port 0. */
    private static List<HttpServer> bindOnEveryLoop(Vertx v, int port,
                                                    Function<io.vertx.core.http.HttpServerRequest, String> body) {
        VertxInternal internal = (VertxInternal) v;
        List<Context> loops = new ArrayList<>();
        internal.nettyEventLoopGroup().forEach(loop ->
                loops.add(internal.contextBuilder().withEventLoop((io.netty.channel.EventLoop) loop).build()));
        assertThat(loops).hasSize(2);
        List<HttpServer> servers = new ArrayList<>();
        int bound = port;
        for (Context ctx : loops) {
            HttpServer s = Await.result(listen(v, ctx, bound, body));
            servers.add(s);
            bound = s.actualPort();
        }
        return servers;
    }

    private static Future<HttpServer> listen(Vertx v, Context ctx, int port,
                                             Function<io.vertx.core.http.HttpServerRequest, String> body) {
        Promise<HttpServer> bound = Promise.promise();
        ctx.runOnContext(x -> {
            HttpServer server = ConnectionGuard.createServer(v,
                    new HttpServerOptions().setHost("127.0.0.1").setPort(port), 10_000);
            server.requestHandler(req -> req.response().end(body.apply(req)));
            server.listen().onComplete(bound);
        });
        return bound.future();
    }

    private static List<Channel> listening(Vertx v, int port) {
        return VertxInternals.LoopSockets.of((VertxInternal) v).listeningOn(port);
    }

    private static int open(Channel listening) {
        return VertxInternals.LoopSockets.open(listening);
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    /** One keep-alive GET on {@code s}; its body. */
    private static String get(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.append((char) b);
        }
        int length = head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim())).findFirst().orElseThrow();
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
