package dev.gatehouse.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Upstream response framing through the real decoder, fed whole and one byte at a time. */
class ResponseFramingTest {

    private static final String GOOD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=\"a;b\"\r\nhello\r\n000000006 \r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";

    /** What the decoder made of {@code bytes}: a line per message, or the failure. */
    private static List<String> decode(String bytes, boolean byteByByte) {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamChannels.ResponseDecoder());
        byte[] b = bytes.getBytes(StandardCharsets.ISO_8859_1);
        List<String> seen = new ArrayList<>();
        try {
            if (byteByByte) {
                for (byte x : b) {
                    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {x}));
                }
            } else {
                ch.writeInbound(Unpooled.wrappedBuffer(b));
            }
        } finally {
            Object m;
            while ((m = ch.readInbound()) != null) {
                seen.add(describe(m));
                ReferenceCountUtil.release(m);
            }
            ch.finishAndReleaseAll();
        }
        return seen;
    }

    private static String describe(Object m) {
        if (m instanceof HttpResponse r) {
            return "head " + r.status().code() + (r.decoderResult().isSuccess() ? "" : " failed");
        }
        HttpContent c = (HttpContent) m;
        ByteBuf body = c.content();
        String s = body.toString(StandardCharsets.ISO_8859_1);
        return (m instanceof LastHttpContent ? "last " : "content ") + s
                + (c.decoderResult().isSuccess() ? "" : " failed");
    }

    private static String joined(List<String> parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            if (p.startsWith("content ") || p.startsWith("last ")) {
                sb.append(p.substring(p.indexOf(' ') + 1));
            } else {
                sb.append('|').append(p).append('|');
            }
        }
        return sb.toString();
    }

    @Test
    void validResponsesDecodeAlikeWholeAndByteByByte() {
        String whole = joined(decode(GOOD, false));
        assertThat(whole).isEqualTo("|head 200|hello worldt|head 204||head 200|abc|head 100||head 200|"
                .replace("t|head 204", "|head 204"));
        assertThat(joined(decode(GOOD, true))).isEqualTo(whole);
    }

    @Test
    void aChunkSizeThatWouldWrapAroundFailsTheConnection() {
        // 2^64 and 2^32: Netty's int arithmetic reads them as 0 (a last chunk), and what follows as the next response
        for (String size : List.of("10000000000000000", "100000000", "10000000000000005", "80000000", "ffffffffff")) {
            String smuggle = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nX-Smuggled: yes\r\n\r\nsmuggled!";
            for (boolean byByte : new boolean[] {false, true}) {
                assertThatThrownBy(() -> decode(smuggle, byByte)).as(size)
                        .isInstanceOf(DecoderException.class).hasMessageContaining("invalid chunked response");
            }
        }
    }

    @Test
    void malformedChunksFailTheConnectionInsteadOfEndingTheResponse() {
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (String body : List.of("zz\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n",
                "5\nhello\r\n0\r\n\r\n", "5\r\nhelloXX\r\n0\r\n\r\n", "3\r\nhello\r\n0\r\n\r\n", "\r\n0\r\n\r\n",
                "5 x\r\nhello\r\n0\r\n\r\n")) {
            assertThatThrownBy(() -> decode(head + body, false)).as(body).isInstanceOf(DecoderException.class);
        }
    }

    /** Heads Netty parses but a proxy must not relay: the head arrives failed, and the engine answers 502. */
    @Test
    void headsWithAForeignVersionOrTransferCodingOrBothFramingsAreFailed() {
        for (String head : List.of("HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")) {
            List<String> seen;
            try {
                seen = decode(head, false);
            } catch (DecoderException e) {
                continue; // refused while decoding: as good
            }
            assertThat(seen.get(0)).as(head).isEqualTo("head 200 failed");
        }
        assertThat(decode("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false))
                .containsExactly("head 200", "content ok", "last ");
        assertThat(decode("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false)).first().isEqualTo("head 200");
    }

    @Test
    void chunkSizeParsing() {
        ByteBuf b = Unpooled.copiedBuffer("7fffffff\r\n", StandardCharsets.ISO_8859_1);
        assertThat(ResponseFraming.chunkSize(b, 0, b.writerIndex() - 1)).isEqualTo(Integer.MAX_VALUE);
        ByteBuf big = Unpooled.copiedBuffer("80000000\r\n", StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> ResponseFraming.chunkSize(big, 0, big.writerIndex() - 1))
                .hasMessageContaining("too large");
    }
}
