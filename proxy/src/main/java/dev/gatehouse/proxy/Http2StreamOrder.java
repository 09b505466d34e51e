package dev.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameTypes;

/**
 * RFC 9113 §5.1.1: a HEADERS frame on a stream identifier lower than one the client already opened, for a stream it
 * never opened, is a connection error of type PROTOCOL_ERROR. Netty cannot tell such a stream from one that existed
 * and closed (it keeps no closed streams), so it answers RST_STREAM(STREAM_CLOSED) and carries on. This handler, just in
 * front of the HTTP/2 connection handler, reads the frame headers going by, remembers which identifiers the client
 * skipped, and turns HEADERS on one of those into the connection error (GOAWAY, then close); everything else, and every
 * byte before the offending frame, goes on unchanged. Runs on the connection's event loop.
 */
final class Http2StreamOrder extends ChannelInboundHandlerAdapter {

    static final String NAME = "gatehouseH2Order";
    /** Ranges of skipped identifiers remembered; clients hardly skip, and past this the oldest are forgotten. */
    private static final int MAX_RANGES = 32;

    private final Http2ConnectionHandler http2;
    /** Bytes still to pass before the next frame header: the client preface first, then each frame's payload. */
    private long skip = Http2CodecUtil.connectionPrefaceBuf().readableBytes();
    private final byte[] head = new byte[Http2CodecUtil.FRAME_HEADER_LENGTH];
    private int headFill;
    /** The highest client stream identifier opened by HEADERS. */
    private int highest;
    /** Skipped identifier ranges as pairs (from, to), oldest first; {@code rangeCount} pairs are in use. */
    private final int[] ranges = new int[MAX_RANGES * 2];
    private int rangeCount;
    private boolean failed;

    private Http2StreamOrder(Http2ConnectionHandler http2) {
        this.http2 = http2;
    }

    static void install(ChannelPipeline pipeline, Http2ConnectionHandler http2) {
        if (pipeline.get(NAME) == null) {
            pipeline.addBefore(pipeline.context(http2).name(), NAME, new Http2StreamOrder(http2));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed) {
            buf.release();
            return;
        }
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int i = start;
        while (i < end) {
            if (skip > 0) {
                int n = (int) Math.min(skip, end - i);
                skip -= n;
                i += n;
                continue;
            }
            int frameStart = i - headFill;
            head[headFill++] = buf.getByte(i++);
            if (headFill < head.length) {
                continue;
            }
            headFill = 0;
            skip = ((head[0] & 0xffL) << 16) | ((head[1] & 0xffL) << 8) | (head[2] & 0xffL);
            int streamId = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8)
                    | (head[8] & 0xff);
            if (head[3] == Http2FrameTypes.HEADERS && !opens(streamId)) {
                failed = true;
                // The frames before this one are handled as usual (a frame header split over reads started in an
                // earlier buffer, already passed on: then this buffer is dropped whole).
                if (frameStart > start) {
                    ctx.fireChannelRead(buf.retainedSlice(start, frameStart - start));
                }
                buf.release();
                http2.onError(ctx.pipeline().context(http2), false, Http2Exception.connectionError(
                        Http2Error.PROTOCOL_ERROR, "HEADERS on stream %d, lower than stream %d, never opened",
                        streamId, highest));
                return;
            }
        }
        ctx.fireChannelRead(buf);
    }

    /** Records HEADERS on client stream {@code id}; false when {@code id} is one the client skipped earlier. */
    private boolean opens(int id) {
        if ((id & 1) == 0 || id == 0) {
            return true; // Netty answers even and zero identifiers with PROTOCOL_ERROR itself
        }
        highest = Math.max(highest, http2.connection().remote().lastStreamCreated());
        if (id > highest) {
            int next = highest == 0 ? 1 : highest + 2;
            if (id > next) {
                addRange(next, id - 2);
            }
            highest = id;
            return true;
        }
        for (int r = 0; r < rangeCount; r++) {
            if (id >= ranges[2 * r] && id <= ranges[2 * r + 1]) {
                return false;
            }
        }
        return true;
    }

    private void addRange(int from, int to) {
        if (rangeCount == MAX_RANGES) {
            System.arraycopy(ranges, 2, ranges, 0, ranges.length - 2);
            rangeCount--;
        }
        ranges[2 * rangeCount] = from;
        ranges[2 * rangeCount + 1] = to;
        rangeCount++;
    }
}
