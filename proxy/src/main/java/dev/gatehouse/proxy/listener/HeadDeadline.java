package dev.gatehouse.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.concurrent.TimeUnit;

/**
 * {@code header-timeout} for every request after the first on an HTTP/1 keep-alive connection ({@link ConnectionGuard}
 * times the first, from accept on). Like nginx's {@code client_header_timeout} and HAProxy's
 * {@code timeout http-request}, the clock starts with the first byte of the next request, received after the previous
 * request (head and body) was read in full; a connection that sends nothing is left to {@code idle-timeout}. Bytes of
 * a next head that arrived in the same read as the end of the previous request start no clock: the next byte does, or
 * {@code idle-timeout} closes the connection if none comes. A head not complete in time closes the connection without a
 * response: the previous request's response may still be on its way, and a 408 written into it would corrupt it.
 *
 * <p>Two handlers share the state: one in front of the request decoder sees bytes arrive, one behind it sees heads and
 * request ends. A head that arrives whole in one read costs two field reads; a timer is scheduled only for a head
 * that spans reads, and one pending timer is reused. Runs on the connection's event loop.
 */
final class HeadDeadline implements Runnable {

    private final Channel channel;
    private final long timeoutNanos;
    /** The request decoder's context: once it is gone (h2c upgrade, WebSocket) there are no heads to time. */
    private final ChannelHandlerContext decoder;
    private final Bytes bytes = new Bytes();
    private final Messages messages = new Messages();
    /** The previous request was read in full and the next head is not complete yet. */
    private boolean betweenRequests;
    /** Request heads decoded so far. */
    private int heads;
    private boolean timing;
    private long headStart;
    private boolean scheduled;

    private HeadDeadline(Channel channel, long timeoutNanos, ChannelHandlerContext decoder) {
        this.channel = channel;
        this.timeoutNanos = timeoutNanos;
        this.decoder = decoder;
    }

    /** Puts the two handlers around the request decoder named {@code decoderName}, while its first head is read. */
    static void install(ChannelPipeline pipeline, String decoderName, long timeoutMillis) {
        ChannelHandlerContext decoder = pipeline.context(decoderName);
        if (decoder == null) {
            return;
        }
        HeadDeadline d = new HeadDeadline(pipeline.channel(), TimeUnit.MILLISECONDS.toNanos(timeoutMillis), decoder);
        pipeline.addBefore(decoderName, "gatehouseHeadBytes", d.bytes);
        pipeline.addAfter(decoderName, "gatehouseHeadMessages", d.messages);
    }

    private void start() {
        if (decoder.isRemoved()) {
            // The connection left HTTP/1 (h2c upgrade, WebSocket): nothing more to time.
            ChannelPipeline p = channel.pipeline();
            p.remove(bytes);
            if (!messages.removed) {
                p.remove(messages);
            }
            betweenRequests = false;
            return;
        }
        timing = true;
        headStart = System.nanoTime();
        arm(timeoutNanos);
    }

    private void arm(long delayNanos) {
        // A timer still pending from an earlier head fires before this head's deadline and re-arms itself.
        if (!scheduled) {
            scheduled = true;
            channel.eventLoop().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void run() {
        scheduled = false;
        if (!timing || !channel.isActive()) {
            return;
        }
        long left = headStart + timeoutNanos - System.nanoTime();
        if (left > 0) {
            arm(left);
            return;
        }
        timing = false;
        channel.close();
    }

    /** In front of the decoder: a read between requests that leaves the next head incomplete starts the clock. */
    private final class Bytes extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!betweenRequests || timing) {
                ctx.fireChannelRead(msg);
                return;
            }
            int before = heads;
            ctx.fireChannelRead(msg);
            if (heads == before && betweenRequests && !timing && channel.isActive()) {
                start();
            }
        }
    }

    /** Behind the decoder: a head stops the clock, a request's end opens the wait for the next. */
    private final class Messages extends ChannelInboundHandlerAdapter {

        boolean removed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                heads++;
                betweenRequests = false;
                timing = false;
            }
            if (msg instanceof LastHttpContent) {
                betweenRequests = true;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            removed = true;
        }
    }
}
