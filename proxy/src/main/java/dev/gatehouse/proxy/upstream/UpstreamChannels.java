package dev.gatehouse.proxy.upstream;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.vertx.VertxInternals;

import dev.gatehouse.proxy.balance.Backend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The upstream connections of one event loop: HTTP/1.1 keep-alive channels per backend (TLS for https backends, see
 * {@link UpstreamSsl}), registered on the same event loop as the client connections they serve, so a request and its
 * upstream never change thread. Every request of every transport goes through them: one pool per backend per loop.
 * Limits mirror the Vert.x pools: at most the loop's share of {@code max-connections} per backend, at most its share of
 * {@code circuit-breaker.max-pending-requests} waiting for one; past that a request is refused at once.
 *
 * <p>Not thread-safe: used only from its event loop.
 */
public final class UpstreamChannels {

    /** Told when a connection is ready for it, or why none will be. */
    public interface Waiter {
        void connected(Connection connection, boolean reused);

        void connectFailed(Throwable cause);

        void overloaded();
    }

    /** Upstream response heads with Vert.x's header map, so the proxy copies and encodes them without conversion. */
    static final class ResponseDecoder extends HttpResponseDecoder {
        ResponseDecoder() {
            super(8192, 64 * 1024, UpstreamClients.MAX_CHUNK_SIZE);
        }

        /** The request in flight was a HEAD: its response has no body, whatever its framing headers say. */
        boolean bodiless;
        private final ResponseFraming framing = new ResponseFraming();

        /** Netty's decoder gets only bytes whose framing {@link ResponseFraming} checked. */
        @Override
        protected void decode(io.netty.channel.ChannelHandlerContext ctx, io.netty.buffer.ByteBuf in,
                              java.util.List<Object> out) throws Exception {
            int n = framing.checked(in);
            if (n == 0) {
                return;
            }
            int first = out.size();
            // The decoder sees the checked bytes only: the cumulation's end is moved for the call, not sliced.
            int end = in.writerIndex();
            int from = in.readerIndex();
            in.writerIndex(from + n);
            try {
                super.decode(ctx, in, out);
            } finally {
                in.writerIndex(end);
            }
            framing.consumed(n, in.readerIndex() - from, out, first, bodiless);
        }

        @Override
        public void reset() {
            super.reset();
            framing.reset();
        }

        /** Kept, not removed as Netty does: a response with both is refused ({@link ResponseFraming#refusal}). */
        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            return bodiless || super.isContentAlwaysEmpty(msg);
        }

        /** Bytes past the response just read: a backend that sent more than one answer for one request. */
        boolean holdsInput() {
            return actualReadableBytes() > 0;
        }

        @Override
        protected io.netty.util.AsciiString splitHeaderName(byte[] sb, int start, int length) {
            io.netty.util.AsciiString known = HeadWords.name(sb, start, length);
            return known != null ? known : super.splitHeaderName(sb, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] sb, int start, int length) {
            String known = HeadWords.code(sb, start, length);
            return known != null ? known : super.splitSecondWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
            String known = HeadWords.reason(sb, start, length);
            return known != null ? known : super.splitThirdWordInitialLine(sb, start, length);
        }

        @Override
        protected HttpMessage createMessage(String[] initialLine) {
            return new DefaultHttpResponse(HttpVersion.valueOf(initialLine[0]),
                    HttpResponseStatus.valueOf(Integer.parseInt(initialLine[1]), initialLine[2]),
                    HeadersMultiMap.httpHeaders());
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamChannels.class);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int eventLoops;
    private final Map<Backend, Slot> slots = new IdentityHashMap<>();
    private final io.netty.util.concurrent.ScheduledFuture<?> sweeper;
    /** TLS contexts for https backends; one instance should be shared by every loop's UpstreamChannels. */
    private final UpstreamSsl ssl;

    /** With its own TLS context cache; prefer sharing one {@link UpstreamSsl} across loops. */
    public UpstreamChannels(io.vertx.core.Vertx vertx, EventLoop loop, int eventLoops) {
        this(vertx, loop, eventLoops, new UpstreamSsl(vertx));
    }

    public UpstreamChannels(io.vertx.core.Vertx vertx, EventLoop loop, int eventLoops, UpstreamSsl ssl) {
        this.loop = loop;
        this.ssl = java.util.Objects.requireNonNull(ssl, "ssl");
        this.eventLoops = Math.max(1, eventLoops);
        this.bootstrap = VertxInternals.bootstrap(vertx, loop)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        // Idle keep-alive connections past the pool's idle-timeout are closed once a second.
        this.sweeper = loop.scheduleAtFixedRate(this::closeExpired, 1, 1, TimeUnit.SECONDS);
    }

    public EventLoop loop() {
        return loop;
    }

    /** Hands {@code waiter} a connection to {@code backend}: an idle one, a new one, or its turn in the queue. */
    public void acquire(BackendPool pool, Backend backend, Waiter waiter) {
        Slot slot = slots.get(backend);
        if (slot == null) {
            slot = new Slot(backend);
            slots.put(backend, slot);
        }
        slot.configure(pool);
        Connection idle = slot.takeIdle();
        if (idle != null) {
            waiter.connected(idle, true);
        } else if (slot.open < slot.maxOpen) {
            slot.connect(waiter);
        } else if (slot.waiters.size() < slot.maxWaiting) {
            slot.waiters.add(waiter);
        } else {
            waiter.overloaded();
        }
    }

    /** Withdraws a waiter that gave up (timeout, client gone) before it got a connection. */
    public void cancel(Backend backend, Waiter waiter) {
        Slot slot = slots.get(backend);
        if (slot != null) {
            slot.waiters.remove(waiter);
        }
    }

    private void closeExpired() {
        long now = System.nanoTime();
        for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
            Slot slot = it.next();
            slot.closeExpired(now);
            if (slot.open == 0 && slot.waiters.isEmpty()) {
                it.remove();
            }
        }
    }

    public void close() {
        sweeper.cancel(false);
        for (Slot slot : slots.values()) {
            for (Connection c : slot.idle) {
                c.channel.close();
            }
            slot.idle.clear();
        }
        slots.clear();
    }

    /** The connections to one backend on this loop. */
    private final class Slot {
        final Backend backend;
        final ArrayDeque<Connection> idle = new ArrayDeque<>();
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        int open;
        int maxOpen = 1;
        int maxWaiting = 1;
        long idleTimeoutNanos;
        int connectTimeoutMillis;
        private dev.gatehouse.config.PoolConfig config;

        Slot(Backend backend) {
            this.backend = backend;
        }

        void configure(BackendPool pool) {
            if (config == pool.config) {
                return; // the same pool version as last time: the limits stand
            }
            config = pool.config;
            maxOpen = Math.max(1, (pool.config.maxConnections() + eventLoops - 1) / eventLoops);
            maxWaiting = Math.max(1, (pool.config.circuitBreaker().maxPendingRequests() + eventLoops - 1) / eventLoops);
            idleTimeoutNanos = pool.config.idleTimeout().toNanos();
            connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, pool.config.connectTimeout().toMillis());
        }

        /** The most recently used idle connection still open and fresh (warm in the caches), or null. */
        Connection takeIdle() {
            long now = System.nanoTime();
            Connection c;
            while ((c = idle.pollLast()) != null) {
                if (c.channel.isActive() && now - c.idleSince < idleTimeoutNanos) {
                    return c;
                }
                c.channel.close();
            }
            return null;
        }

        void connect(Waiter waiter) {
            open++;
            if (backend.tls()) {
                connectTls(waiter);
                return;
            }
            ChannelFuture f = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(InetSocketAddress.createUnresolved(backend.host(), backend.port()));
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    open--;
                    waiter.connectFailed(done.cause());
                    serveNextWaiter();
                    return;
                }
                Channel ch = f.channel();
                ResponseDecoder decoder = new ResponseDecoder();
                Connection c = new Connection(this, ch, decoder);
                // Requests go out already encoded (Http1Encoding): no encoder in the pipeline.
                ch.pipeline().addLast("decoder", decoder).addLast("gatehouse", c);
                waiter.connected(c, false);
            });
        }

        /**
         * A TLS connection: the pool's context (built off the loop the first time), then TCP, then the handshake, all
         * within connect-timeout. The waiter hears {@code connected} only once the backend is verified; any failure
         * before that frees the slot as a failed TCP connect does.
         */
        private void connectTls(Waiter waiter) {
            long start = System.nanoTime();
            dev.gatehouse.config.PoolConfig pool = config;
            io.vertx.core.Future<SslContext> context = ssl.context(pool);
            if (context.isComplete()) {
                connectTls(waiter, pool, context, start);
            } else {
                // Completes on a worker or another loop's thread: continue on this one.
                context.onComplete(ar -> loop.execute(() -> connectTls(waiter, pool, context, start)));
            }
        }

        private void connectTls(Waiter waiter, dev.gatehouse.config.PoolConfig pool,
                                io.vertx.core.Future<SslContext> context, long start) {
            if (context.failed()) {
                connectFailed(waiter, context.cause());
                return;
            }
            String serverName = UpstreamSsl.serverName(pool, backend);
            boolean verify = UpstreamSsl.verifies(pool);
            long timeoutMillis = Math.max(1, connectTimeoutMillis - TimeUnit.NANOSECONDS.toMillis(
                    System.nanoTime() - start));
            ChannelFuture f = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
                    .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            SslHandler handler = UpstreamSsl.newHandler(context.result(), ch.alloc(), serverName,
                                    backend.port(), verify);
                            handler.setHandshakeTimeoutMillis(0); // the one deadline below covers it
                            ch.pipeline().addLast("ssl", handler).addLast("handshake", HandshakeErrors.INSTANCE);
                        }
                    })
                    .connect(InetSocketAddress.createUnresolved(backend.host(), backend.port()));
            // connect-timeout bounds TCP and handshake together.
            boolean[] timedOut = new boolean[1];
            io.netty.util.concurrent.ScheduledFuture<?> deadline = loop.schedule(() -> {
                timedOut[0] = true;
                f.channel().close();
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    deadline.cancel(false);
                    connectFailed(waiter, timedOut[0] ? timeout() : done.cause());
                    return;
                }
                Channel ch = f.channel();
                ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(handshake -> {
                    deadline.cancel(false);
                    if (!handshake.isSuccess() || !ch.isActive()) {
                        ch.close();
                        connectFailed(waiter, timedOut[0] ? timeout() : handshake.cause() != null ? handshake.cause()
                                : new java.nio.channels.ClosedChannelException());
                        return;
                    }
                    ResponseDecoder decoder = new ResponseDecoder();
                    Connection c = new Connection(this, ch, decoder);
                    ch.pipeline().remove("handshake");
                    ch.pipeline().addLast("decoder", decoder).addLast("gatehouse", c);
                    waiter.connected(c, false);
                });
            });
        }

        private io.netty.channel.ConnectTimeoutException timeout() {
            return new io.netty.channel.ConnectTimeoutException("TLS connection to " + backend.id()
                    + " not established within connect-timeout (" + connectTimeoutMillis + " ms)");
        }

        /** A connection that never reached its waiter: its place is free for the next one. */
        private void connectFailed(Waiter waiter, Throwable cause) {
            open--;
            waiter.connectFailed(cause);
            serveNextWaiter();
        }

        /** After a connection closed or failed: a queued waiter may connect now. */
        void serveNextWaiter() {
            Waiter next = waiters.poll();
            if (next != null) {
                connect(next);
            }
        }

        public void release(Connection c) {
            Waiter next = waiters.poll();
            if (next != null) {
                next.connected(c, true);
                return;
            }
            c.idleSince = System.nanoTime();
            idle.addLast(c);
        }

        void closed(Connection c) {
            open--;
            idle.remove(c);
            serveNextWaiter();
        }

        void closeExpired(long now) {
            Connection c;
            while ((c = idle.peekFirst()) != null && now - c.idleSince >= idleTimeoutNanos) {
                idle.pollFirst();
                c.channel.close();
            }
        }
    }

    /**
     * Until the handshake is done: its failure reaches the waiter through the handshake future, so the exception
     * SslHandler also fires stops here instead of being logged as unhandled at the pipeline's tail.
     */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class HandshakeErrors extends ChannelInboundHandlerAdapter {
        static final HandshakeErrors INSTANCE = new HandshakeErrors();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("upstream {} before its TLS handshake completed: {}", ctx.channel(), cause.toString());
        }
    }

    /**
     * One upstream channel; it forwards what arrives to its current owner (the attempt using it). An idle connection
     * has no owner: anything arriving then is a protocol error and closes it.
     */
    public static final class Connection extends ChannelInboundHandlerAdapter {

        /** Receives one upstream response. */
        public interface Owner {
            void upstreamRead(Object msg);

            void upstreamReadComplete();

            void upstreamClosed();

            /** The connection can take more writes again. */
            void upstreamWritable();
        }

        private final Slot slot;
        public final Channel channel;
        private Owner owner;
        private long idleSince;
        private boolean closed;

        private final ResponseDecoder decoder;

        private Connection(Slot slot, Channel channel, ResponseDecoder decoder) {
            this.slot = slot;
            this.channel = channel;
            this.decoder = decoder;
        }

        public void own(Owner o) {
            owner = o;
        }

        /** Whether the response to the request about to be written has no body (the request is a HEAD). */
        public void bodilessResponse(boolean bodiless) {
            decoder.bodiless = bodiless;
        }

        /** Whether this connection is TLS (an https backend): requests on it are encrypted by its SslHandler. */
        boolean tls() {
            return slot.backend.tls();
        }

        /** The response was read to its end and the connection may carry another request. */
        public void release() {
            owner = null;
            if (closed || !channel.isActive()) {
                return;
            }
            if (decoder.holdsInput()) {
                // More than the response arrived: pooled, it would answer the next client's request (a crossed
                // response). The connection goes instead.
                discard();
                return;
            }
            if (!channel.config().isAutoRead()) {
                channel.config().setAutoRead(true);
            }
            slot.release(this);
        }

        /** The connection may not be reused (abandoned mid-response, or the backend asked to close). */
        public void discard() {
            owner = null;
            channel.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Owner o = owner;
            if (o == null) {
                io.netty.util.ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            o.upstreamRead(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Owner o = owner;
            if (o != null) {
                o.upstreamReadComplete();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closed) {
                closed = true;
                slot.closed(this);
            }
            Owner o = owner;
            owner = null;
            if (o != null) {
                o.upstreamClosed();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Owner o = owner;
            if (o != null && ctx.channel().isWritable()) {
                o.upstreamWritable();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("upstream {}: {}", ctx.channel(), cause.toString());
            // A reset or a protocol error: the close that follows tells the owner.
            ctx.close();
        }
    }
}
