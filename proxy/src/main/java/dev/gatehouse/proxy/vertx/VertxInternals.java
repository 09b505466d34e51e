package dev.gatehouse.proxy.vertx;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.internal.PlatformDependent;
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
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.NetServerInternal;
import io.vertx.core.net.impl.ShutdownEvent;
import io.vertx.core.spi.transport.Transport;

import java.util.Map;
import java.util.concurrent.ThreadFactory;
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
        Transport leanTransport = new LeanServerTransport(real.transport());
        VertxInternal hooked = new VertxWrapper(real) {
            @Override
            public NetServerInternal createNetServer(NetServerOptions tcpOptions) {
                // The server binds through a view of Vert.x whose transport leaves out child socket options that
                // restate what every accepted socket already has: four system calls fewer per connection.
                VertxInternal lean = new VertxWrapper(real) {
                    @Override
                    public Transport transport() {
                        return leanTransport; // read per connection (initChannel): one instance
                    }
                };
                return new NetServerImpl(lean, tcpOptions.copy()) {
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

    /**
     * Vert.x's transport for a server, except that accepted sockets are not given options they already have. Vert.x
     * sets {@code SO_KEEPALIVE}, {@code TCP_NODELAY}, {@code TCP_CORK} and {@code TCP_QUICKACK} on every accepted
     * socket whatever their values: keep-alive, cork and quick-ack off are the kernel's defaults for a new socket, and
     * Netty's socket configs turn {@code TCP_NODELAY} on themselves. Each is a system call per connection (about 2 µs
     * here, a few percent of a TLS handshake); only the options that change something are kept.
     */
    static final class LeanServerTransport implements Transport {

        private final Transport delegate;

        LeanServerTransport(Transport delegate) {
            this.delegate = delegate;
        }

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            delegate.configure(options, domainSocket, bootstrap);
            for (Map.Entry<ChannelOption<?>, Object> e : bootstrap.config().childOptions().entrySet()) {
                if (restatesDefault(e.getKey(), e.getValue())) {
                    bootstrap.childOption(e.getKey(), null); // null removes the option
                }
            }
        }

        /** Whether setting {@code option} to {@code value} on a freshly accepted socket changes nothing. */
        static boolean restatesDefault(ChannelOption<?> option, Object value) {
            return switch (simpleName(option)) {
                case "SO_KEEPALIVE", "TCP_CORK", "TCP_QUICKACK" -> Boolean.FALSE.equals(value);
                case "TCP_NODELAY" -> Boolean.TRUE.equals(value) && PlatformDependent.canEnableTcpNoDelayByDefault();
                default -> false;
            };
        }

        /** The option's own name: a native transport's are qualified ("...EpollChannelOption#TCP_CORK"). */
        static String simpleName(ChannelOption<?> option) {
            String name = option.name();
            return name.substring(name.lastIndexOf('#') + 1);
        }

        @Override
        public boolean supportsDomainSockets() {
            return delegate.supportsDomainSockets();
        }

        @Override
        public boolean supportFileRegion() {
            return delegate.supportFileRegion();
        }

        @Override
        public boolean isAvailable() {
            return delegate.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return delegate.unavailabilityCause();
        }

        @Override
        public java.net.SocketAddress convert(SocketAddress address) {
            return delegate.convert(address);
        }

        @Override
        public SocketAddress convert(java.net.SocketAddress address) {
            return delegate.convert(address);
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return delegate.ioHandlerFactory();
        }

        @Override
        public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
            return delegate.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
        }

        @Override
        public DatagramChannel datagramChannel() {
            return delegate.datagramChannel();
        }

        @Override
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            return delegate.datagramChannel(family);
        }

        @Override
        public ChannelFactory<? extends io.netty.channel.Channel> channelFactory(boolean domainSocket) {
            return delegate.channelFactory(domainSocket);
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            return delegate.serverChannelFactory(domainSocket);
        }

        @Override
        public void configure(DatagramChannel channel, DatagramSocketOptions options) {
            delegate.configure(channel, options);
        }

        @Override
        public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
            delegate.configure(options, connectTimeout, domainSocket, bootstrap);
        }
    }
}
