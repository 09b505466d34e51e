package dev.gatehouse.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Checks the framing of upstream responses before Netty's decoder sees their bytes, and hands it only bytes already
 * checked. Netty's decoder is lenient where a proxy must not be: a chunk size of 2^32 or more wraps around (so
 * {@code 10000000000000000} reads as a last chunk of 0, and the bytes that follow pass as the answer to the next
 * request on the pooled connection: one client's upstream bytes answering another), and after a chunk's data it
 * skips whatever comes before the next line feed. Here a chunk-size line must be hex digits worth at most
 * {@link Integer#MAX_VALUE}, optionally followed by whitespace and extensions, and a chunk's data must be followed
 * by CRLF; anything else fails the decoder, which closes the connection (RFC 9112 §7.1, nginx's "invalid chunked
 * response").
 *
 * <p>It follows each response: its head up to the empty line (Netty decides the framing from it, and this reads
 * that decision from the decoded head), then a fixed length, chunks and trailers, or everything to the close.
 */
final class ResponseFraming {

    private enum State { HEAD, FIXED, SIZE, DATA, DATA_END, TRAILERS, TO_CLOSE }

    /** A head larger than the decoder allows is its to refuse: past this, bytes go through unchecked. */
    private static final int MAX_HEAD = 8192 + 64 * 1024 + 4;
    /** Longer chunk-size lines (extensions included) are refused. */
    private static final int MAX_SIZE_LINE = 4096;

    private State state = State.HEAD;
    /** Bytes left in the current fixed-length body or chunk. */
    private long remaining;
    /** The size on the chunk-size line offered last. */
    private long pendingSize;

    void reset() {
        state = State.HEAD;
        remaining = 0;
    }

    /** How many bytes from {@code in}'s reader index the decoder may have now (0: wait for more). */
    int checked(ByteBuf in) {
        int from = in.readerIndex();
        int end = in.writerIndex();
        switch (state) {
            case HEAD -> {
                int e = headEnd(in, from, end);
                return e < 0 ? (end - from > MAX_HEAD ? end - from : 0) : e - from;
            }
            case FIXED, DATA -> {
                return (int) Math.min(remaining, end - from);
            }
            case SIZE -> {
                int lf = in.indexOf(from, Math.min(end, from + MAX_SIZE_LINE + 1), (byte) '\n');
                if (lf < 0) {
                    if (end - from > MAX_SIZE_LINE) {
                        throw new DecoderException("invalid chunked response: chunk-size line too long");
                    }
                    return 0;
                }
                pendingSize = chunkSize(in, from, lf);
                return lf + 1 - from;
            }
            case DATA_END -> {
                if (end - from < 2) {
                    if (end > from && in.getByte(from) != '\r') {
                        throw new DecoderException("invalid chunked response: chunk data longer than its size");
                    }
                    return 0;
                }
                if (in.getByte(from) != '\r' || in.getByte(from + 1) != '\n') {
                    throw new DecoderException("invalid chunked response: chunk data longer than its size");
                }
                return 2;
            }
            case TRAILERS -> {
                // Trailer lines up to the empty one; the decoder judges the lines themselves.
                int e = trailersEnd(in, from, end);
                return e < 0 ? (end - from > MAX_HEAD ? end - from : 0) : e - from;
            }
            default -> {
                return end - from;
            }
        }
    }

    /** The decoder took {@code n} of the {@code offered} checked bytes and produced what {@code out} holds from {@code first}. */
    void consumed(int offered, int n, java.util.List<Object> out, int first, boolean bodiless) {
        switch (state) {
            case FIXED -> {
                remaining -= n;
                if (remaining == 0) {
                    state = State.HEAD;
                }
            }
            case DATA -> {
                remaining -= n;
                if (remaining == 0) {
                    state = State.DATA_END;
                }
            }
            case TRAILERS -> {
                if (n == offered) {
                    state = State.HEAD;
                }
            }
            case SIZE -> {
                if (n == offered) {
                    remaining = pendingSize;
                    state = pendingSize == 0 ? State.TRAILERS : State.DATA;
                }
            }
            case DATA_END -> {
                if (n == offered) {
                    state = State.SIZE;
                }
            }
            case HEAD -> {
                for (int i = first; i < out.size(); i++) {
                    if (out.get(i) instanceof HttpResponse res) {
                        afterHead(res, bodiless);
                    }
                }
            }
            default -> {
            }
        }
    }

    private void afterHead(HttpResponse res, boolean bodiless) {
        int code = res.status().code();
        String refused = res.decoderResult().isSuccess() ? refusal(res) : null;
        if (refused != null) {
            // Failed here rather than thrown: the engine answers 502 and closes the connection (nginx: "upstream sent
            // unknown Transfer-Encoding" / "...both Content-Length and Transfer-Encoding").
            res.setDecoderResult(io.netty.handler.codec.DecoderResult.failure(new DecoderException(refused)));
        }
        if (!res.decoderResult().isSuccess() || code == 101) {
            state = State.TO_CLOSE; // refused, or no longer HTTP/1: nothing more to check
        } else if (code < 200 || bodiless || code == 204 || code == 304) {
            state = State.HEAD;
        } else if (HttpUtil.isTransferEncodingChunked(res)) {
            state = State.SIZE;
        } else {
            long length = HttpUtil.getContentLength(res, -1L);
            if (length > 0) {
                state = State.FIXED;
                remaining = length;
            } else {
                state = length == 0 ? State.HEAD : State.TO_CLOSE;
            }
        }
    }

    /**
     * Why a response head that parsed cannot be relayed, or null: a version other than HTTP/1.x (Netty takes any
     * {@code NAME/x.y}), a transfer coding other than {@code chunked} alone (a body in gzip framed by chunked would
     * reach the client as gzip without saying so; {@code chunked, gzip} is not even chunked), or both Transfer-Encoding
     * and Content-Length (RFC 9112 §6.3: "ought to be handled as an error").
     */
    static String refusal(HttpResponse res) {
        io.netty.handler.codec.http.HttpVersion v = res.protocolVersion();
        if (!"HTTP".equals(v.protocolName()) || v.majorVersion() != 1) {
            return "upstream sent a response of protocol " + v.text();
        }
        java.util.List<String> te = res.headers().getAll(io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING);
        if (te.isEmpty()) {
            return null;
        }
        if (res.headers().contains(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH)) {
            return "upstream sent both Content-Length and Transfer-Encoding";
        }
        if (te.size() != 1 || !te.get(0).trim().equalsIgnoreCase("chunked")) {
            return "upstream sent a transfer coding other than chunked: " + String.join(", ", te);
        }
        return null;
    }

    /** The index just past the empty line that ends a head starting at {@code from}, or -1. */
    private static int headEnd(ByteBuf in, int from, int end) {
        return emptyLineEnd(in, from, end, true);
    }

    /** The index just past the empty line that ends the trailer section, or -1. */
    private static int trailersEnd(ByteBuf in, int from, int end) {
        return emptyLineEnd(in, from, end, false);
    }

    /**
     * The index just past the first empty line (CRLF or a lone LF) from {@code from}, or -1; with {@code notFirst},
     * an empty line at {@code from} itself does not count (stray line ends before a status line).
     */
    private static int emptyLineEnd(ByteBuf in, int from, int end, boolean notFirst) {
        int i = from;
        while (i < end) {
            int lf = in.indexOf(i, end, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            int lineLength = lf - i;
            if ((lineLength == 0 || (lineLength == 1 && in.getByte(i) == '\r')) && !(notFirst && i == from)) {
                return lf + 1;
            }
            i = lf + 1;
        }
        return -1;
    }

    /** The chunk size on the line [from, lf): hex digits, then nothing, whitespace or ';' extensions; CRLF ended. */
    static long chunkSize(ByteBuf in, int from, int lf) {
        int end = lf;
        if (end > from && in.getByte(end - 1) == '\r') {
            end--;
        } else {
            throw new DecoderException("invalid chunked response: chunk-size line not ended by CRLF");
        }
        long size = 0;
        int i = from;
        for (; i < end; i++) {
            int d = Character.digit((char) (in.getByte(i) & 0xff), 16);
            if (d < 0) {
                break;
            }
            size = size * 16 + d;
            if (size > Integer.MAX_VALUE) {
                throw new DecoderException("invalid chunked response: chunk size too large");
            }
        }
        if (i == from) {
            throw new DecoderException("invalid chunked response: no chunk size");
        }
        for (; i < end; i++) {
            byte b = in.getByte(i);
            if (b == ';') {
                return size;
            }
            if (b != ' ' && b != '\t') {
                throw new DecoderException("invalid chunked response: bad chunk size");
            }
        }
        return size;
    }
}
