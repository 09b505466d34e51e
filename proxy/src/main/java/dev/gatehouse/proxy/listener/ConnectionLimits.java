package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.observe.ProxyMetrics;

import dev.gatehouse.config.ListenerConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connection limits of one listener, shared by its server instances on every event loop: {@code max-connections}
 * (open connections, counted across all event loops) and {@code send-timeout} (see {@link SendDeadline}).
 *
 * <p>A connection beyond the cap is accepted and closed at once, without a response: nothing is parsed and, on a
 * cleartext listener, nothing is written (an HTTP/1 503 would be garbage to an h2c client, and the point is to spend
 * nothing on it). Vert.x has no per-connection hook before the TLS handshake or PROXY header, so on such listeners the
 * connection is counted, and refused, once those are done; connections still in the handshake are bounded by its
 * timeout instead.
 */
public final class ConnectionLimits implements ChannelFutureListener {

    private final String listener;
    private final int max;
    private final long sendTimeoutNanos;
    private final ProxyMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimits(String listener, int max, long sendTimeoutNanos, ProxyMetrics metrics) {
        this.listener = listener;
        this.max = max;
        this.sendTimeoutNanos = sendTimeoutNanos;
        this.metrics = metrics;
    }

    /** One per listener, by name. */
    public static Map<String, ConnectionLimits> of(List<ListenerConfig> listeners, ProxyMetrics metrics) {
        Map<String, ConnectionLimits> out = new HashMap<>();
        for (ListenerConfig l : listeners) {
            out.put(l.name(), new ConnectionLimits(l.name(), l.maxConnections(), l.sendTimeout().toNanos(), metrics));
        }
        return Map.copyOf(out);
    }

    /**
     * Called as a connection's pipeline is set up, on its event loop. Returns {@code true} when it is admitted (and
     * is then counted until it closes and watched by a {@link SendDeadline}), {@code false} when it is refused and
     * will be closed right after Vert.x is done setting it up: closing in the middle of that would leave Vert.x
     * building a connection whose close it never sees.
     */
    boolean admit(ChannelPipeline pipeline) {
        Channel channel = pipeline.channel();
        if (!tryOpen()) {
            if (metrics != null) {
                metrics.connectionRefused(listener);
            }
            pipeline.addFirst("gatehouseRefused", Refused.INSTANCE);
            channel.eventLoop().execute(channel::close);
            return false;
        }
        channel.closeFuture().addListener(this);
        pipeline.addFirst(SendDeadline.NAME, new SendDeadline(this, sendTimeoutNanos));
        return true;
    }

    private boolean tryOpen() {
        if (max <= 0) {
            open.incrementAndGet();
            return true;
        }
        for (;;) {
            int n = open.get();
            if (n >= max) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** An admitted connection closed: its slot frees. */
    @Override
    public void operationComplete(ChannelFuture future) {
        open.decrementAndGet();
    }

    /** Connections open now (admitted and not yet closed). */
    int open() {
        return open.get();
    }

    void sendTimedOut() {
        if (metrics != null) {
            metrics.sendTimedOut(listener);
        }
    }

    /** Swallows whatever a refused connection sends until it is closed. */
    @ChannelHandler.Sharable
    static final class Refused extends ChannelInboundHandlerAdapter {

        static final Refused INSTANCE = new Refused();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
