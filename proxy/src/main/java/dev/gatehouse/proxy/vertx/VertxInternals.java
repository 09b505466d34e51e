package dev.gatehouse.proxy.vertx;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.AttributeKey;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.NetServerInternal;
import io.vertx.core.net.impl.ServerID;
import io.vertx.core.net.impl.ShutdownEvent;
import io.vertx.core.spi.transport.Transport;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
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
     *
     * <p>On a native transport each event loop accepts its own connections: the servers bound to one address on one
     * event loop share a listening socket of that loop ({@code SO_REUSEPORT}; the kernel spreads new connections over
     * the loops' sockets), instead of Vert.x's single socket on its accept thread handing every connection to a loop.
     * That saves a thread hand-off and a wake-up per connection. Binding an address that this Vert.x does not already
     * listen on first checks that no other process holds it, so a second node started on a port in use still fails
     * with "Address already in use" rather than silently sharing the port. Elsewhere (the JDK transport) Vert.x's
     * own sharing applies.
     */
    public static HttpServer hookedServer(Vertx vertx, HttpServerOptions options,
                                   BiConsumer<ChannelPipeline, Boolean> init) {
        VertxInternal real = (VertxInternal) vertx;
        LoopSockets sockets = real.isNativeTransportEnabled() ? LoopSockets.of(real) : null;
        Transport leanTransport = new LeanServerTransport(real.transport(), sockets);
        if (sockets != null) {
            options.setReusePort(true);
        }
        VertxInternal hooked = new VertxWrapper(real) {
            @Override
            public NetServerInternal createNetServer(NetServerOptions tcpOptions) {
                // The event loop that accepts for this server: its listen context's, known once listen is called.
                EventLoop[] acceptor = new EventLoop[1];
                // The server binds through a view of Vert.x whose transport leaves out child socket options that
                // restate what every accepted socket already has (four system calls fewer per connection) and,
                // with a native transport, accepts on the server's own event loop.
                VertxInternal lean = new VertxWrapper(real) {
                    @Override
                    public Transport transport() {
                        return leanTransport; // read per connection (initChannel): one instance
                    }

                    @Override
                    public EventLoopGroup acceptorEventLoopGroup() {
                        return acceptor[0] != null ? acceptor[0] : real.acceptorEventLoopGroup();
                    }

                    @Override
                    public Map<ServerID, NetServerInternal> sharedTcpServers() {
                        return acceptor[0] != null ? sockets.servers(acceptor[0]) : real.sharedTcpServers();
                    }
                };
                return new NetServerImpl(lean, tcpOptions.copy()) {
                    @Override
                    protected void initChannel(ChannelPipeline pipeline, boolean ssl) {
                        super.initChannel(pipeline, ssl);
                        init.accept(pipeline, ssl);
                    }

                    @Override
                    public Future<NetServer> listen(ContextInternal context, SocketAddress address) {
                        if (!address.isInetSocket()) {
                            return super.listen(context, address);
                        }
                        if (address.port() == 0) {
                            // Vert.x shares no socket bound to port 0, so the other event loops' servers could not
                            // join it; and with SO_REUSEPORT, port 0 may be given a port another such socket of this
                            // user holds. Take a free port first, then bind it like any other.
                            return context.executeBlocking(() -> LoopSockets.freePort(address.host()))
                                    .compose(port -> bind(context, SocketAddress.inetSocketAddress(port, address.host()),
                                            true));
                        }
                        return bind(context, address, false);
                    }

                    private Future<NetServer> bind(ContextInternal context, SocketAddress address, boolean free) {
                        if (sockets == null) {
                            return super.listen(context, address);
                        }
                        acceptor[0] = context.nettyEventLoop();
                        if (free || sockets.listening(address.port())) {
                            return super.listen(context, address);
                        }
                        return context.<Void>executeBlocking(() -> {
                            LoopSockets.checkFree(address.host(), address.port());
                            return null;
                        }).compose(v -> super.listen(context, address));
                    }
                };
            }
        };
        return new HttpServerImpl(hooked, options);
    }

    /**
     * The listening sockets of one Vert.x when each event loop accepts for itself: per event loop, Vert.x's map of
     * shared servers (so the servers bound to one address on one loop share its socket, as Vert.x shares one socket
     * among all loops otherwise), and every listening socket, to tell an address this Vert.x holds from one another
     * process holds.
     */
    static final class LoopSockets {

        private static final Map<VertxInternal, LoopSockets> ALL =
                java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

        private final Map<EventLoop, Map<ServerID, NetServerInternal>> perLoop = new ConcurrentHashMap<>();
        private final Set<Channel> listening = ConcurrentHashMap.newKeySet();

        static LoopSockets of(VertxInternal vertx) {
            return ALL.computeIfAbsent(vertx, v -> new LoopSockets());
        }

        /** Vert.x synchronizes on this map itself: a plain one. */
        Map<ServerID, NetServerInternal> servers(EventLoop loop) {
            return perLoop.computeIfAbsent(loop, l -> new HashMap<>());
        }

        /** Tracks a listening socket from registration to close. */
        void track(Channel serverChannel) {
            serverChannel.attr(OPEN).set(new AtomicInteger());
            listening.add(serverChannel);
            serverChannel.closeFuture().addListener(f -> listening.remove(serverChannel));
        }

        /** Whether one of this Vert.x's sockets listens on {@code port} (any address). */
        boolean listening(int port) {
            return !listeningOn(port).isEmpty();
        }

        /** This Vert.x's sockets listening on {@code port} (any address). */
        java.util.List<Channel> listeningOn(int port) {
            return listening.stream()
                    .filter(c -> c.isActive() && c.localAddress() instanceof InetSocketAddress a && a.getPort() == port)
                    .toList();
        }

        /** How many connections a listening socket handed to its event loop are open. */
        static int open(Channel listening) {
            AtomicInteger open = listening.attr(OPEN).get();
            return open == null ? 0 : open.get();
        }

        /**
         * The socket that should take a connection {@code accepted} on: itself, unless another loop's socket on the
         * same address holds at least two fewer open connections. The kernel spreads connections over the sockets by
         * a hash of their addresses, so 64 keep-alive connections can land 38 to 26, leaving one loop short of work
         * while the other queues; moving the surplus evens it out (as HAProxy dispatches to its least loaded
         * thread), and costs a hand-off only for the connections moved. A looser bound (one eighth) still cost 9%
         * of 1 KiB keep-alive throughput after warm-up, with 34 to 30.
         */
        Channel balance(Channel accepted) {
            int mine = accepted.attr(OPEN).get().get();
            Channel least = accepted;
            int fewest = mine;
            java.net.SocketAddress address = accepted.localAddress();
            for (Channel c : listening) {
                AtomicInteger open = c.attr(OPEN).get();
                if (c != accepted && open != null && c.isActive() && address.equals(c.localAddress())
                        && open.get() < fewest) {
                    least = c;
                    fewest = open.get();
                }
            }
            return mine > fewest + 1 ? least : accepted;
        }

        /** A port free on {@code host} now, as a bind to port 0 without {@code SO_REUSEPORT} picks it. Blocking. */
        static int freePort(String host) throws IOException {
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.bind(new InetSocketAddress(host, 0));
                return probe.getLocalPort();
            }
        }

        /**
         * Fails with a {@link BindException} if another socket listens on {@code host:port}: a bind without
         * {@code SO_REUSEPORT} (but with {@code SO_REUSEADDR}, as Vert.x binds) conflicts with any listener there.
         * Blocking (name resolution): off the event loop.
         */
        static void checkFree(String host, int port) throws IOException {
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(host, port));
            } catch (BindException e) {
                BindException named = new BindException("Address already in use: " + host + ":" + port);
                named.initCause(e);
                throw named;
            }
        }
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

    /** How many connections a loop's listening socket accepts in one turn of its loop, at most. */
    static final int ACCEPTS_PER_TURN = 64;

    /** How many connections a listening socket has open (those it handed to its event loop). */
    private static final AttributeKey<AtomicInteger> OPEN = AttributeKey.valueOf("gatehouse.open");

    /**
     * The first handler of each loop's listening socket: tracks the socket, and hands each accepted connection to
     * the socket (and so the event loop) that {@link LoopSockets#balance} picks, before Netty registers it.
     */
    static final class LoopAcceptor extends ChannelInboundHandlerAdapter {

        private final LoopSockets sockets;

        LoopAcceptor(LoopSockets sockets) {
            this.sockets = sockets;
        }

        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            sockets.track(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof Channel child)) {
                ctx.fireChannelRead(msg);
                return;
            }
            Channel target = sockets.balance(ctx.channel());
            ChannelHandlerContext there = target == ctx.channel() ? ctx : target.pipeline().context(LoopAcceptor.class);
            if (there == null) { // closed meanwhile
                there = ctx;
            }
            AtomicInteger open = there.channel().attr(OPEN).get();
            open.incrementAndGet();
            child.closeFuture().addListener(f -> open.decrementAndGet());
            // On another socket, Netty runs the rest of its pipeline (its registration of the child) on its loop.
            there.fireChannelRead(child);
        }
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
        private final LoopSockets sockets;

        LeanServerTransport(Transport delegate) {
            this(delegate, null);
        }

        LeanServerTransport(Transport delegate, LoopSockets sockets) {
            this.delegate = delegate;
            this.sockets = sockets;
        }

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            delegate.configure(options, domainSocket, bootstrap);
            for (Map.Entry<ChannelOption<?>, Object> e : bootstrap.config().childOptions().entrySet()) {
                if (restatesDefault(e.getKey(), e.getValue())) {
                    bootstrap.childOption(e.getKey(), null); // null removes the option
                }
            }
            if (sockets != null && !domainSocket) {
                bootstrap.handler(new LoopAcceptor(sockets));
                // A loop accepts between serving its connections. Netty's epoll listening socket takes one
                // connection per turn of the loop (it stops when the accepted descriptor is not "1 byte read"),
                // fine for an accept thread that does nothing else, not for a loop whose turns take milliseconds
                // under load: 1,000 connections opened at once waited seconds in the kernel's queue. Accept until
                // the queue is empty, up to this many per turn.
                bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new ServerChannelRecvByteBufAllocator()
                        .respectMaybeMoreData(false).maxMessagesPerRead(ACCEPTS_PER_TURN));
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
