package dev.gatehouse.proxy.vertx;

import dev.gatehouse.proxy.Await;
import dev.gatehouse.proxy.TestCertificates;

import dev.gatehouse.proxy.listener.ConnectionGuard;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.AttributeKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.spi.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Fails loudly when a Vert.x upgrade breaks the internal hooks the proxy relies on (see
 * {@code ArchitectureTest#VERTX_INTERNALS_USERS} for who uses them): the internal classes and members, checked by
 * reflection, and the Netty pipeline Vert.x builds for an accepted connection (handler names and types), checked on a
 * real server made by {@link ConnectionGuard#createServer} with a real client on 127.0.0.1.
 *
 * <p>Most signatures are also checked by the compiler; what it cannot see is behaviour: that Vert.x still calls the
 * hooked {@code initChannel}, names its handlers as {@link ConnectionGuard} and {@link Http1Downstream} expect, and tells a
 * connection of a shutdown with a {@code ShutdownEvent}. Those are the checks that matter on an upgrade.
 */
class VertxInternalsTest {

    private Vertx vertx;
    private HttpClientAgent client;
    private HttpServer server;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    }

    @AfterEach
    void stop() {
        if (client != null) {
            Await.result(client.close());
        }
        Await.result(vertx.close());
    }

    // ---- classes and members, by reflection -------------------------------------------------------------------

    @Test
    void httpServerCanBeBuiltOverAHookedVertx() throws Exception {
        Class<?> vertxInternal = type("io.vertx.core.internal.VertxInternal");
        Class<?> httpServerImpl = type("io.vertx.core.http.impl.HttpServerImpl");
        assertAccessible(httpServerImpl.getDeclaredConstructor(vertxInternal, HttpServerOptions.class), true);
        assertThat(HttpServer.class).isAssignableFrom(httpServerImpl);

        Class<?> wrapper = type("io.vertx.core.internal.VertxWrapper");
        assertThat(Modifier.isFinal(wrapper.getModifiers())).as("VertxWrapper is final").isFalse();
        assertAccessible(wrapper.getDeclaredConstructor(vertxInternal), false);
        Method createNetServer = wrapper.getMethod("createNetServer", NetServerOptions.class);
        assertThat(createNetServer.getReturnType().getName()).isEqualTo("io.vertx.core.net.impl.NetServerInternal");
        assertThat(Modifier.isFinal(createNetServer.getModifiers())).isFalse();
    }

    @Test
    void netServerHasAnOverridableInitChannel() throws Exception {
        Class<?> netServerImpl = type("io.vertx.core.net.impl.NetServerImpl");
        assertThat(Modifier.isFinal(netServerImpl.getModifiers())).as("NetServerImpl is final").isFalse();
        assertAccessible(netServerImpl.getDeclaredConstructor(type("io.vertx.core.internal.VertxInternal"),
                NetServerOptions.class), false);
        assertThat(type("io.vertx.core.net.impl.NetServerInternal")).isAssignableFrom(netServerImpl);
        Method init = netServerImpl.getDeclaredMethod("initChannel", ChannelPipeline.class, boolean.class);
        assertThat(Modifier.isProtected(init.getModifiers())).as("initChannel is protected").isTrue();
        assertThat(Modifier.isFinal(init.getModifiers())).as("initChannel is final").isFalse();
    }

    @Test
    void http1DecoderCanBeSubclassed() throws Exception {
        Class<?> decoder = type("io.vertx.core.http.impl.VertxHttpRequestDecoder");
        assertThat(Modifier.isFinal(decoder.getModifiers())).as("VertxHttpRequestDecoder is final").isFalse();
        assertAccessible(decoder.getDeclaredConstructor(HttpServerOptions.class), true);
        assertProtectedOrPublic(findMethod(decoder, "handleTransferEncodingChunkedWithContentLength", HttpMessage.class));
        assertProtectedOrPublic(findMethod(decoder, "decode", ChannelHandlerContext.class, ByteBuf.class, List.class));
        assertThat(ChannelHandler.class).isAssignableFrom(type("io.vertx.core.http.impl.Http1xOrH2CHandler"));
    }

    @Test
    void shutdownEventCarriesItsGracePeriod() throws Exception {
        Method timeout = type("io.vertx.core.net.impl.ShutdownEvent").getMethod("timeout");
        assertThat(timeout.getReturnType()).isEqualTo(long.class);
    }

    @Test
    void remoteAddressOverrideIsAnAttributeKey() throws Exception {
        Field f = type("io.vertx.core.net.impl.ConnectionBase").getField("REMOTE_ADDRESS_OVERRIDE");
        assertThat(Modifier.isStatic(f.getModifiers())).isTrue();
        assertThat(f.getType()).isEqualTo(AttributeKey.class);
        assertThat(f.getGenericType().getTypeName()).contains("io.vertx.core.net.SocketAddress");
    }

    @Test
    void otherInternalMembersExist() throws Exception {
        type("io.vertx.core.http.impl.HttpServerConnection").getMethod("channelHandlerContext");
        Class<?> headers = type("io.vertx.core.http.impl.headers.HeadersMultiMap");
        assertThat(Modifier.isStatic(headers.getMethod("httpHeaders").getModifiers())).isTrue();
        type("io.vertx.core.internal.ContextInternal").getMethod("nettyEventLoop");
        Class<?> vertxInternal = type("io.vertx.core.internal.VertxInternal");
        vertxInternal.getMethod("transport").getReturnType().getMethod("channelFactory", boolean.class);
        vertxInternal.getMethod("nameResolver").getReturnType().getMethod("nettyAddressResolverGroup");
    }

    // ---- socket options of accepted connections ------------------------------------------------------------------

    @Test
    void acceptedSocketsAreNotGivenOptionsTheyAlreadyHave() {
        // The transport a node runs on: native (epoll, which sets TCP_CORK and TCP_QUICKACK too) where available.
        Vertx nativeVertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
        try {
            checkLeanTransport(((VertxInternal) nativeVertx).transport(), nativeVertx.isNativeTransportEnabled());
        } finally {
            Await.result(nativeVertx.close());
        }
        checkLeanTransport(((VertxInternal) vertx).transport(), false);
    }

    private static void checkLeanTransport(Transport real, boolean nativeTransport) {
        VertxInternals.LeanServerTransport lean = new VertxInternals.LeanServerTransport(real);
        ServerBootstrap plain = new ServerBootstrap();
        lean.configure(new NetServerOptions().setTcpNoDelay(true).setTcpKeepAlive(false).setTcpCork(false)
                .setTcpQuickAck(false), false, plain);
        assertThat(childOptionNames(plain)).doesNotContain("SO_KEEPALIVE", "TCP_NODELAY", "TCP_CORK", "TCP_QUICKACK");
        ServerBootstrap unfiltered = new ServerBootstrap();
        real.configure(new NetServerOptions().setTcpNoDelay(true), false, unfiltered);
        assertThat(childOptionNames(unfiltered)).as("what Vert.x sets").contains("SO_KEEPALIVE", "TCP_NODELAY");
        if (nativeTransport) {
            assertThat(childOptionNames(unfiltered)).as("what Vert.x sets").contains("TCP_CORK", "TCP_QUICKACK");
        }

        // Values that change something are kept, whatever Vert.x sets them through.
        ServerBootstrap changed = new ServerBootstrap();
        lean.configure(new NetServerOptions().setTcpNoDelay(false).setTcpKeepAlive(true).setTcpQuickAck(true)
                .setSoLinger(5), false, changed);
        Map<String, Object> kept = new java.util.HashMap<>();
        changed.config().childOptions().forEach((o, v) -> kept.put(VertxInternals.LeanServerTransport.simpleName(o), v));
        assertThat(kept).containsEntry("SO_KEEPALIVE", true).containsEntry("TCP_NODELAY", false)
                .containsEntry("SO_LINGER", 5);
        ServerBootstrap direct = new ServerBootstrap();
        real.configure(new NetServerOptions().setTcpQuickAck(true), false, direct);
        if (childOptionNames(direct).contains("TCP_QUICKACK")) { // a native transport
            assertThat(kept).containsEntry("TCP_QUICKACK", true);
        }
    }

    @Test
    void anAcceptedConnectionStillHasNagleOffAndKeepAliveOff() {
        CompletableFuture<ChannelPipeline> accepted = new CompletableFuture<>();
        server = ConnectionGuard.createServer(vertx, new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setTcpNoDelay(true).setTcpQuickAck(false), 10_000);
        server.requestHandler(req -> {
            accepted.complete(pipelineOf(req));
            req.response().end("ok");
        });
        int port = Await.result(server.listen()).actualPort();
        client = vertx.createHttpClient(new HttpClientOptions());
        assertThat(get(port)).isEqualTo(200);
        io.netty.channel.ChannelConfig config = accepted.join().channel().config();
        assertThat(config.getOption(ChannelOption.TCP_NODELAY)).isTrue();
        assertThat(config.getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
    }

    private static java.util.Set<String> childOptionNames(ServerBootstrap b) {
        java.util.Set<String> names = new java.util.HashSet<>();
        b.config().childOptions().keySet().forEach(o -> names.add(VertxInternals.LeanServerTransport.simpleName(o)));
        return names;
    }

    // ---- a real server: the pipeline of an accepted connection --------------------------------------------------

    @Test
    void guardedHttp1PipelineWithH2cIdleTimeoutAndCompression() {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setIdleTimeout(30).setHttp2ClearTextEnabled(true)
                .setCompressionSupported(true).addCompressor(StandardCompressionOptions.gzip());
        Map<String, ChannelHandler> p = guardedPipeline(options, new HttpClientOptions());
        assertThat(p).containsKeys("idle", "httpDecoder", "httpEncoder", "deflater", "handler");
        assertCommon(p);
    }

    @Test
    void guardedHttp1PipelineWithNothingElse() {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setHttp2ClearTextEnabled(false);
        Map<String, ChannelHandler> p = guardedPipeline(options, new HttpClientOptions());
        assertThat(p).doesNotContainKeys("idle", "deflater");
        assertCommon(p);
    }

    @Test
    void guardedHttp1PipelineOverTls(@TempDir Path dir) {
        TestCertificates.Written leaf = TestCertificates.in(dir, "Internals CA").leaf("server", "localhost");
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setIdleTimeout(30)
                .setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(leaf.cert().toString()).setKeyPath(leaf.key().toString()));
        Map<String, ChannelHandler> p = guardedPipeline(options,
                new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));
        // With TLS Vert.x adds a chunked writer; ConnectionGuard and Vert.x's codecs both place themselves by it.
        assertThat(p).containsKeys("idle", "chunkedWriter");
        List<String> names = List.copyOf(p.keySet());
        assertThat(names.indexOf("httpEncoder")).isLessThan(names.indexOf("chunkedWriter"));
        assertCommon(p);
    }

    /** What every guarded HTTP/1 connection has, once ConnectionGuard has settled and left. */
    private static void assertCommon(Map<String, ChannelHandler> p) {
        List<String> names = List.copyOf(p.keySet());
        assertThat(p.get("httpDecoder")).as("ConnectionGuard swapped Vert.x's decoder (names: %s)", names)
                .isInstanceOf(ConnectionGuard.StrictRequestDecoder.class);
        assertThat(p.get("httpEncoder")).isInstanceOf(HttpResponseEncoder.class);
        assertThat(p.entrySet().stream().filter(e -> e.getValue() instanceof HttpResponseEncoder)
                .map(Map.Entry::getKey)).as("the one HTTP encoder ConnectionGuard writes a 408 below")
                .containsExactly("httpEncoder");
        assertThat(p.get("handler")).as("Http1Downstream goes in front of \"handler\"").isNotNull();
        if (names.contains("gatehouseGuard")) {
            // First request: the guard leaves once this read is through; it must sit ahead of every codec.
            assertThat(names.indexOf("gatehouseGuard")).isLessThan(names.indexOf("gatehouseHeadBytes"));
        }
        assertThat(names.indexOf("gatehouseHeadBytes")).isGreaterThanOrEqualTo(0)
                .isLessThan(names.indexOf("httpDecoder"));
        assertThat(names.indexOf("httpDecoder")).isLessThan(names.indexOf("httpEncoder"));
        assertThat(names.indexOf("httpEncoder")).isLessThan(names.indexOf("handler"));
        if (names.contains("deflater")) {
            assertThat(names.indexOf("httpEncoder")).isLessThan(names.indexOf("deflater"));
            assertThat(names.indexOf("deflater")).isLessThan(names.indexOf("handler"));
        }
        if (names.contains("idle")) {
            assertThat(names.indexOf("idle")).isLessThan(names.indexOf("handler"));
        }
    }

    @Test
    void serverShutdownReachesTheConnectionAsAShutdownEventWithItsGracePeriod() throws Exception {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
        CompletableFuture<Object> event = new CompletableFuture<>();
        server = ConnectionGuard.createServer(vertx, options, 10_000);
        server.requestHandler(req -> {
            pipelineOf(req).addFirst("shutdownProbe", new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt.getClass().getName().equals("io.vertx.core.net.impl.ShutdownEvent")) {
                        event.complete(evt);
                    }
                    ctx.fireUserEventTriggered(evt);
                }
            });
            req.response().end("ok");
        });
        int port = Await.result(server.listen()).actualPort();
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
        assertThat(get(port)).isEqualTo(200);

        // The connection stays open (keep-alive), so the shutdown has one to tell.
        Future<Void> shutdown = server.shutdown(3, TimeUnit.SECONDS);
        Object evt = event.get(20, TimeUnit.SECONDS);
        long timeout = (long) evt.getClass().getMethod("timeout").invoke(evt);
        TimeUnit unit = (TimeUnit) evt.getClass().getMethod("timeUnit").invoke(evt);
        assertThat(unit.toMillis(timeout)).as("grace period Http1Downstream reads from ShutdownEvent#timeout")
                .isEqualTo(3000);
        Await.result(shutdown);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * Starts a guarded server and sends two GETs on one connection; checks the first request's pipeline (the guard
     * still in it, ahead of the codecs) and returns the second's (names to handlers, in order: the guard has left).
     */
    private Map<String, ChannelHandler> guardedPipeline(HttpServerOptions options,
                                                             HttpClientOptions clientOptions) {
        BlockingQueue<ChannelPipeline> pipelines = new LinkedBlockingQueue<>();
        BlockingQueue<Map<String, ChannelHandler>> seen = new LinkedBlockingQueue<>();
        server = ConnectionGuard.createServer(vertx, options, 10_000);
        server.requestHandler(req -> {
            // Taken on the connection's event loop, while the request is in flight.
            pipelines.add(pipelineOf(req));
            seen.add(pipelineOf(req).toMap());
            req.response().end("ok");
        });
        int port = Await.result(server.listen()).actualPort();
        client = vertx.createHttpClient(clientOptions.setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
        assertThat(get(port)).isEqualTo(200);
        assertThat(get(port)).isEqualTo(200);
        try {
            ChannelPipeline first = pipelines.poll(20, TimeUnit.SECONDS);
            assertThat(pipelines.poll(20, TimeUnit.SECONDS)).as("both requests on one connection").isSameAs(first);
            Map<String, ChannelHandler> atFirst = seen.poll(20, TimeUnit.SECONDS);
            assertThat(atFirst).containsKey("gatehouseGuard");
            assertCommon(atFirst);
            Map<String, ChannelHandler> atSecond = seen.poll(20, TimeUnit.SECONDS);
            assertThat(atSecond).doesNotContainKey("gatehouseGuard");
            return atSecond;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private int get(int port) {
        return Await.result(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                        .setPort(port).setURI("/"))
                .compose(r -> r.send().compose(res -> res.body().map(b -> res)))
                .map(HttpClientResponse::statusCode));
    }

    private static ChannelPipeline pipelineOf(HttpServerRequest req) {
        if (!(req.connection() instanceof io.vertx.core.http.impl.HttpServerConnection c)) {
            return fail("not an internal HttpServerConnection: " + req.connection().getClass());
        }
        return c.channelHandlerContext().pipeline();
    }

    private static Class<?> type(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            return fail("Vert.x internal class " + name + " is gone: the proxy's hooks need it", e);
        }
    }

    private static Method findMethod(Class<?> type, String name, Class<?>... params) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                return c.getDeclaredMethod(name, params);
            } catch (NoSuchMethodException e) {
                // look further up
            }
        }
        return fail(type.getName() + " has no " + name + List.of(params) + ": the proxy's hooks need it");
    }

    private static void assertAccessible(Constructor<?> c, boolean mustBePublic) {
        if (mustBePublic) {
            assertThat(Modifier.isPublic(c.getModifiers())).as(c + " is public").isTrue();
        } else {
            assertProtectedOrPublicModifiers(c.getModifiers(), c.toString());
        }
    }

    private static void assertProtectedOrPublic(Method m) {
        assertProtectedOrPublicModifiers(m.getModifiers(), m.toString());
        assertThat(Modifier.isFinal(m.getModifiers())).as(m + " is final").isFalse();
    }

    private static void assertProtectedOrPublicModifiers(int modifiers, String what) {
        assertThat(Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers))
                .as(what + " is visible to subclasses in another package").isTrue();
    }
}
