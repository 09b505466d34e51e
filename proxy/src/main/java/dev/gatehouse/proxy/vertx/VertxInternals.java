package dev.gatehouse.proxy.vertx;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.NetServerInternal;
import io.vertx.core.net.impl.ShutdownEvent;

import java.util.function.BiConsumer;

/**
 * The one adapter over Vert.x internals: every use of a Vert.x class that is not public API goes through here, so a
 * Vert.x upgrade that moves one breaks this class (and {@code VertxInternalsTest}, which checks each hook by
 * reflection and on a real server's pipeline) and nothing else. The header map type {@code HeadersMultiMap}, which
 * Vert.x's own codecs encode directly, is the one internal type the data plane uses elsewhere, as a plain data type.
 */
public final class VertxInternals {

    /** The HTTP/2 client preface, as Vert.x's protocol sniffer matches it. */
    public static final String HTTP2_PREFACE = Http1xOrH2CHandler.HTTP_2_PREFACE;

    private VertxInternals() {
    }

    /**
     * An HTTP server that hands each accepted connection's pipeline (and whether it is TLS) to {@code init} once
     * Vert.x has set it up, before any byte is read: the hook for the connection guard and the raw transport.
     */
    public static HttpServer hookedServer(Vertx vertx, HttpServerOptions options,
                                   BiConsumer<ChannelPipeline, Boolean> init) {
        VertxInternal real = (VertxInternal) vertx;
        VertxInternal hooked = new VertxWrapper(real) {
            @Override
            public NetServerInternal createNetServer(NetServerOptions tcpOptions) {
                return new NetServerImpl(real, tcpOptions.copy()) {
                    @Override
                    protected void initChannel(ChannelPipeline pipeline, boolean ssl) {
                        super.initChannel(pipeline, ssl);
                        init.accept(pipeline, ssl);
                    }
                };
            }
        };
        return new HttpServerImpl(hooked, options);
    }

    /** Whether Vert.x is still sniffing the protocol (HTTP/1.x or h2c by prior knowledge) of this connection. */
    public static boolean sniffingProtocol(ChannelPipeline p) {
        return p.get(Http1xOrH2CHandler.class) != null;
    }

    /** Vert.x's HTTP/1.x request decoder in {@code p}, or null. */
    public static ChannelHandler http1Decoder(ChannelPipeline p) {
        return p.get(VertxHttpRequestDecoder.class);
    }

    /** Vert.x's HTTP/1.x request decoder (its headers are Vert.x's), for a stricter one to extend. */
    public abstract static class Http1Decoder extends VertxHttpRequestDecoder {
        public Http1Decoder(HttpServerOptions options) {
            super(options);
        }
    }

    /** The Netty event loop of a Vert.x event-loop context. */
    public static EventLoop eventLoop(Context context) {
        return ((ContextInternal) context).nettyEventLoop();
    }

    /** A client bootstrap on {@code loop} with Vert.x's transport (epoll, io_uring or NIO) and name resolver. */
    public static Bootstrap bootstrap(Vertx vertx, EventLoop loop) {
        VertxInternal v = (VertxInternal) vertx;
        return new Bootstrap()
                .group(loop)
                .channelFactory(v.transport().channelFactory(false))
                .resolver(v.nameResolver().nettyAddressResolverGroup());
    }

    /** The client address the PROXY protocol gave for this connection, or null. */
    public static String proxiedSource(Channel channel) {
        SocketAddress override = channel.attr(ConnectionBase.REMOTE_ADDRESS_OVERRIDE).get();
        return override == null ? null : override.host();
    }

    /** Whether a pipeline event is Vert.x telling a connection that its server is shutting down. */
    public static boolean isShutdown(Object event) {
        return event instanceof ShutdownEvent;
    }

    /** The grace period of a shutdown event, in its own unit (0: none). */
    public static long shutdownTimeout(Object event) {
        return ((ShutdownEvent) event).timeout();
    }

    /** The Netty buffer under a Vert.x buffer (heap, not pooled: releasing it is harmless). */
    public static ByteBuf byteBuf(Buffer buffer) {
        return ((BufferInternal) buffer).getByteBuf();
    }

    /** The Netty pipeline of a server connection, or null. */
    public static ChannelPipeline pipeline(HttpConnection connection) {
        return connection instanceof HttpServerConnection c ? c.channelHandlerContext().pipeline() : null;
    }
}
