package dev.gatehouse.proxy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * The HTTP/1.1 fast path of one client connection. It sits in the Netty pipeline just in front of Vert.x's HTTP
 * connection and takes the requests that need nothing but routing, balancing, header hygiene, retries and a streamed
 * response (see {@link FastExchange#eligible}), proxying them over {@link UpstreamChannels} without Vert.x's
 * request, response and client objects: those cost more CPU than everything else on the request path together.
 *
 * <p>The first request it cannot take (a body, an upgrade, a filter, h2c...) hands the connection to Vert.x for
 * good: that request and every later one flow through untouched to the full {@link Exchange} path. Until then,
 * requests a client pipelines behind one in flight are held back and taken in order, so responses never overtake.
 * Runs on the connection's event loop.
 */
final class FastPath extends ChannelDuplexHandler {

    static final String NAME = "gatehouseFast";
    /** Pipelined requests held while one is in flight; past this the connection stops reading until it catches up. */
    private static final int MAX_HELD = 16;

    /** Whether listeners install the fast path at all ({@code -Dgatehouse.fast-path=false} turns it off). */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("gatehouse.fast-path"));

    /** Requests the fast path has taken, over all connections (for tests and diagnostics). */
    static final java.util.concurrent.atomic.LongAdder TAKEN = new java.util.concurrent.atomic.LongAdder();

    final ProxyHandler proxy;
    final UpstreamChannels upstreams;
    final String hsts;
    ChannelHandlerContext ctx;
    private FastExchange active;
    /** The request head was taken; its (empty) end is still to come from the decoder. */
    private boolean requestOpen;
    private boolean slow;
    private ArrayDeque<Object> held;
    private boolean pausedReading;
    /** The exchange whose request body is still arriving (it may already be answered), or null. */
    private FastExchange bodyOwner;
    private boolean bodyPaused;
    /** The server's shutdown, once it began. */
    private io.vertx.core.net.impl.ShutdownEvent shutdown;
    /** Something was written since the last flush. */
    boolean unflushed;

    FastPath(ProxyHandler proxy, UpstreamChannels upstreams, String hsts) {
        this.proxy = proxy;
        this.upstreams = upstreams;
        this.hsts = hsts;
    }

    /** Puts a fast path in front of Vert.x's HTTP/1 connection handler of {@code pipeline}. */
    static void install(ChannelPipeline pipeline, FastPath fastPath) {
        // Upstream channels live on one event loop; a connection on another (never expected) keeps the full path.
        if (pipeline.get("handler") != null && pipeline.get(NAME) == null
                && pipeline.channel().eventLoop() == fastPath.upstreams.loop()) {
            pipeline.addBefore("handler", NAME, fastPath);
        }
    }

    private String remotePeer;

    /**
     * The HTTP encoder's context, to write already-encoded responses below it; {@code null} when a compressor sits in
     * between (it must see every response).
     */
    private ChannelHandlerContext below;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.pipeline().get("deflater") == null) {
            below = ctx.pipeline().context("httpEncoder");
        }
    }

    /** Whether {@link #writeEncoded} may be used. */
    boolean canWriteEncoded() {
        return below != null;
    }

    /** Writes bytes that are already a whole HTTP/1.1 response, past the encoder (which stays between messages). */
    void writeEncoded(io.netty.buffer.ByteBuf response) {
        below.write(response, below.voidPromise());
        unflushed = true;
    }

    /** The TCP peer's address, once per connection. */
    String remotePeer() {
        if (remotePeer == null && ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a) {
            remotePeer = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        }
        return remotePeer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (slow) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean nothingHeld = held == null || held.isEmpty();
        if (requestOpen && nothingHeld && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
            bodyPart(content);
            return;
        }
        if (active != null || requestOpen || !nothingHeld) {
            // Behind a request in flight (or behind pieces already held): kept in arrival order.
            hold(msg);
            return;
        }
        take(msg);
    }

    private void take(Object msg) {
        if (msg instanceof HttpRequest request && shutdown == null) {
            FastExchange e = FastExchange.eligible(this, request);
            if (e != null) {
                TAKEN.increment();
                active = e;
                bodyOwner = e;
                requestOpen = !(msg instanceof LastHttpContent);
                e.start();
                return;
            }
        }
        toVertx(msg);
    }

    /**
     * A piece of the body of the request taken last: its exchange streams it upstream, or, when that exchange is
     * already answered (an early error, or the backend answered first), it is read and dropped so the connection
     * stays usable.
     */
    private void bodyPart(HttpContent content) {
        if (!content.decoderResult().isSuccess()) {
            // The body broke the grammar: the request in flight is cut off (its upstream connection discarded, never
            // reused with half a request in it) and the connection ends.
            content.release();
            FastExchange owner = bodyOwner;
            bodyOwner = null;
            requestOpen = false;
            slow = true;
            releaseHeld();
            if (owner != null) {
                owner.badBody();
            }
            ctx.close();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        requestOpen = !last;
        FastExchange owner = bodyOwner;
        if (owner != null && owner.requestBody(content, last)) {
            if (last) {
                bodyOwner = null;
            }
            return;
        }
        content.release();
        if (last) {
            bodyOwner = null;
            pauseBody(false);
        }
    }

    /** The request body's reading stops while its exchange cannot take more (no upstream yet, or a full one). */
    void pauseBody(boolean pause) {
        if (bodyPaused != pause) {
            bodyPaused = pause;
            updateAutoRead();
        }
    }

    private void updateAutoRead() {
        boolean read = !pausedReading && !bodyPaused;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    /** Hands this connection to Vert.x from {@code msg} on: it and everything after flow through untouched. */
    private void toVertx(Object msg) {
        slow = true;
        pausedReading = false;
        bodyPaused = false;
        updateAutoRead();
        ctx.fireChannelRead(msg);
        if (held != null) {
            Object m;
            while ((m = held.poll()) != null) {
                ctx.fireChannelRead(m);
            }
        }
        ctx.fireChannelReadComplete();
    }

    private void hold(Object msg) {
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(msg);
        if (held.size() >= MAX_HELD && !pausedReading) {
            pausedReading = true;
            updateAutoRead();
        }
    }

    private void resumeReading() {
        if (pausedReading) {
            pausedReading = false;
            updateAutoRead();
        }
    }

    /**
     * The server is shutting down: no new request is taken here. With one in flight and a grace period, Vert.x
     * (which knows nothing of it) hears of the shutdown only once it is answered, so it is not cut off.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.vertx.core.net.impl.ShutdownEvent s && !slow) {
            shutdown = s;
            if (active != null && s.timeout() > 0) {
                return;
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The exchange in flight is over; {@code close}: the connection ends with it. Takes the next held request. */
    void finished(FastExchange e, boolean close) {
        if (active != e) {
            return;
        }
        active = null;
        if (close) {
            releaseHeld();
            return;
        }
        if (shutdown != null) {
            // Passed on once the response is on the wire: Vert.x closes an idle connection at once.
            Object evt = shutdown;
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> ctx.fireUserEventTriggered(evt));
            releaseHeld();
            return;
        }
        // In arrival order: the body pieces of the request taken last go to it (even while it is in flight), and the
        // next request is taken once none is in flight.
        while (!slow && held != null && !held.isEmpty()) {
            Object m = held.peek();
            if (requestOpen && m instanceof HttpContent content && !(m instanceof HttpRequest)) {
                held.poll();
                bodyPart(content);
            } else if (active == null && !requestOpen) {
                held.poll();
                take(m);
            } else {
                break;
            }
        }
        if (held == null || held.isEmpty()) {
            resumeReading();
        }
    }

    void write(Object msg) {
        ctx.write(msg, ctx.voidPromise());
        unflushed = true;
    }

    void flush() {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (active != null && ctx.channel().isWritable()) {
            active.downstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        FastExchange e = active;
        active = null;
        bodyOwner = null;
        if (e != null) {
            e.clientClosed();
        }
        releaseHeld();
        ctx.fireChannelInactive();
    }

    private void releaseHeld() {
        if (held != null) {
            Object m;
            while ((m = held.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
    }
}
