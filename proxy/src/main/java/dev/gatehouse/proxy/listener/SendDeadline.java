package dev.gatehouse.proxy.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.TimeUnit;

/**
 * {@code send-timeout}: a client connection that stays unwritable for longer is closed, which aborts the upstream
 * request still streaming into it (both paths reset or close the upstream connection of an exchange whose client
 * went away; it is not returned to the pool mid-response).
 *
 * <p>A connection turns unwritable when more than the high watermark (64 KiB) of response bytes wait in its send
 * buffer, the kernel's being full, and writable again once the client has taken enough of them to get below the low
 * watermark (32 KiB). So each stall must be cleared by at least 32 KiB read within {@code send-timeout}: a client
 * that takes one small chunk per period, which resets the idle timeout, is cut off all the same. Every response
 * write goes through the channel's outbound buffer (the fast path's, Vert.x's, TLS records, HTTP/2 frames), so this
 * covers all of them; for HTTP/2 it is the connection as a whole that must drain (a stream stalled only by its own
 * flow-control window is not seen here).
 *
 * <p>Costs nothing until a connection first stalls: one timer then, re-armed only while the stall lasts. Runs on the
 * connection's event loop.
 */
final class SendDeadline extends ChannelInboundHandlerAdapter implements Runnable {

    static final String NAME = "gatehouseSendDeadline";

    private final ConnectionLimits limits;
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private boolean blocked;
    private long blockedSince;
    private boolean scheduled;

    SendDeadline(ConnectionLimits limits, long timeoutNanos) {
        this.limits = limits;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            blocked = false;
        } else if (!blocked) {
            blocked = true;
            blockedSince = System.nanoTime();
            // A timer still pending from an earlier stall fires before this one's deadline and re-arms itself.
            arm(timeoutNanos);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void arm(long delayNanos) {
        if (!scheduled) {
            scheduled = true;
            ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The timer: close if the current stall has lasted {@code send-timeout}, else wait for the rest of it. */
    @Override
    public void run() {
        scheduled = false;
        if (!blocked || !ctx.channel().isActive()) {
            return;
        }
        long left = blockedSince + timeoutNanos - System.nanoTime();
        if (left > 0) {
            arm(left);
            return;
        }
        limits.sendTimedOut();
        ctx.channel().close();
    }
}
