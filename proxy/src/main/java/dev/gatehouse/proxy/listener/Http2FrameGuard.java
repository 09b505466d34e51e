package dev.gatehouse.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * HTTP/2 checks Netty's codec does not make (or not with the error the RFC names), taken from the frame headers going
 * by just in front of it:
 * <ul>
 *   <li>RFC 9113 §5.1.1: HEADERS on a stream identifier lower than one the client already opened, for a stream it
 *   never opened, is a connection error of type PROTOCOL_ERROR. Netty cannot tell such a stream from one that existed
 *   and closed (it keeps no closed streams), so it answers RST_STREAM(STREAM_CLOSED) and carries on. The identifiers
 *   the client skipped are remembered here.</li>
 *   <li>§5.1: HEADERS on a half-closed (remote) stream is a stream error of type STREAM_CLOSED.</li>
 *   <li>CONTINUATION floods (the CVE-2024-27316 class): Netty bounds the bytes of a header block, not its frames, so
 *   endless empty CONTINUATION frames keep a connection busy for ever. A header block of more than
 *   {@value #MAX_CONTINUATIONS} CONTINUATION frames is a connection error of type ENHANCE_YOUR_CALM.</li>
 * </ul>
 * The connection error goes through Netty's handler (GOAWAY, then close); every byte before the offending frame is
 * handled as usual, nothing after it. Runs on the connection's event loop.
 */
final class Http2FrameGuard extends ChannelInboundHandlerAdapter {

    static final String NAME = "gatehouseH2Guard";
    /** CONTINUATION frames allowed in one header block: far more than a header list within the limits needs. */
    static final int MAX_CONTINUATIONS = 64;
    /** Ranges of skipped identifiers remembered; clients hardly skip, and past this the oldest are forgotten. */
    private static final int MAX_RANGES = 32;

    private final Http2ConnectionHandler http2;
    private ChannelPipeline pipeline;
    /** Bytes still to pass before the next frame header: the client preface first, then each frame's payload. */
    private long skip;
    private final byte[] head = new byte[Http2CodecUtil.FRAME_HEADER_LENGTH];
    private int headFill;
    /** The highest client stream identifier opened by HEADERS. */
    private int highest;
    /** Skipped identifier ranges as pairs (from, to), oldest first; {@code rangeCount} pairs are in use. */
    private final int[] ranges = new int[MAX_RANGES * 2];
    private int rangeCount;
    private boolean failed;
    /** CONTINUATION frames in the header block being received. */
    private int continuations;

    private Http2FrameGuard(Http2ConnectionHandler http2, boolean prefacePassed) {
        this.http2 = http2;
        this.skip = prefacePassed ? 0 : Http2CodecUtil.connectionPrefaceBuf().readableBytes();
    }

    /** Puts a guard in front of {@code http2}; {@code prefacePassed}: the client preface already went by. */
    static void install(ChannelPipeline pipeline, Http2ConnectionHandler http2, boolean prefacePassed) {
        if (pipeline.get(NAME) == null) {
            pipeline.addBefore(pipeline.context(http2).name(), NAME, new Http2FrameGuard(http2, prefacePassed));
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        pipeline = ctx.pipeline();
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
        // Bytes from here on have not been passed to the codec yet.
        int from = start;
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
            Http2Exception error = null;
            if (head[3] == Http2FrameTypes.HEADERS) {
                continuations = 0;
                if (frameStart > from) {
                    // The codec handles the frames before this one first, so the stream state below is current.
                    ctx.fireChannelRead(buf.retainedSlice(from, frameStart - from));
                    from = frameStart;
                }
                if (!opens(streamId)) {
                    error = Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR,
                            "HEADERS on stream %d, lower than stream %d, never opened", streamId, highest);
                } else {
                    halfClosed(streamId);
                }
            } else if (head[3] == Http2FrameTypes.CONTINUATION && ++continuations > MAX_CONTINUATIONS) {
                error = Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM,
                        "header block of more than %d CONTINUATION frames", MAX_CONTINUATIONS);
            }
            if (error != null) {
                failed = true;
                // The frames before this one are handled as usual (a frame header split over reads started in an
                // earlier buffer, already passed on: then this buffer is dropped whole).
                if (frameStart > from) {
                    ctx.fireChannelRead(buf.retainedSlice(from, frameStart - from));
                }
                buf.release();
                http2.onError(ctx.pipeline().context(http2), false, error);
                return;
            }
        }
        if (from == start) {
            ctx.fireChannelRead(buf);
        } else {
            if (from < end) {
                ctx.fireChannelRead(buf.retainedSlice(from, end - from));
            }
            buf.release();
        }
    }

    /**
     * §5.1: HEADERS on a half-closed (remote) stream is a stream error of type STREAM_CLOSED. Netty raises it, yet the
     * client got RST_STREAM(PROTOCOL_ERROR) (a reset out of Vert.x's handling of the stream error). Resetting the
     * stream here, before the frame reaches the codec, sends the code the RFC names; the codec then ignores the frame
     * (its header block is still decoded, so HPACK stays in step).
     */
    private void halfClosed(int id) {
        Http2Stream stream = http2.connection().stream(id);
        if (stream != null && stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE && !stream.isResetSent()) {
            ChannelHandlerContext h2 = pipeline.context(http2);
            http2.resetStream(h2, id, Http2Error.STREAM_CLOSED.code(), h2.newPromise());
        }
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
