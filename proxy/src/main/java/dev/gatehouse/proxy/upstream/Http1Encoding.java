package dev.gatehouse.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 messages of the fast path encoded straight into one buffer: a request head, or a whole response (head and
 * body). One buffer is one write(2) instead of a writev of head and body, and the codec's per-message machinery is
 * skipped. Headers are written as they are; the callers only put well-formed ones in.
 */
public final class Http1Encoding {

    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final short CRLF = ('\r' << 8) | '\n';
    /** "HTTP/1.1 200 OK\r\n" and so on, made once per status code (a benign race at worst makes one twice). */
    private static final byte[][] STATUS_LINES = new byte[600][];

    private Http1Encoding() {
    }

    /** A request head with no body. */
    public static ByteBuf request(ByteBufAllocator alloc, HttpMethod method, String uri, HeadersMultiMap headers) {
        return endHead(requestLine(alloc, method, uri), headers);
    }

    /** A buffer holding a request line, for header lines to follow and {@link #endHead} to end. */
    public static ByteBuf requestLine(ByteBufAllocator alloc, HttpMethod method, String uri) {
        ByteBuf buf = alloc.directBuffer(384 + uri.length());
        ByteBufUtil.writeAscii(buf, method.name());
        buf.writeByte(' ');
        ByteBufUtil.writeAscii(buf, uri);
        buf.writeBytes(HTTP_1_1);
        return buf;
    }

    /** Writes {@code headers} and the empty line that ends the head into {@code buf}. */
    public static ByteBuf endHead(ByteBuf buf, HeadersMultiMap headers) {
        headers.encode(buf, false);
        buf.writeShort(CRLF);
        return buf;
    }

    /** A whole response; {@code body} is copied in and released. */
    public static ByteBuf response(ByteBufAllocator alloc, HttpResponseStatus status, HeadersMultiMap headers, ByteBuf body) {
        int length = body.readableBytes();
        ByteBuf buf = alloc.directBuffer(384 + length);
        buf.writeBytes(statusLine(status.code()));
        headers.encode(buf, false);
        buf.writeShort(CRLF);
        buf.writeBytes(body);
        body.release();
        return buf;
    }

    private static byte[] statusLine(int code) {
        byte[] line = code >= 100 && code < STATUS_LINES.length ? STATUS_LINES[code] : null;
        if (line == null) {
            HttpResponseStatus s = HttpResponseStatus.valueOf(code);
            line = ("HTTP/1.1 " + s.code() + " " + s.reasonPhrase() + "\r\n").getBytes(StandardCharsets.US_ASCII);
            if (code >= 100 && code < STATUS_LINES.length) {
                STATUS_LINES[code] = line;
            }
        }
        return line;
    }
}
