package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.vertx.VertxInternals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Guards each accepted connection (after TLS and the PROXY header) before Vert.x's HTTP codecs see a byte:
 * <ul>
 *   <li>header deadline: a connection whose first request head is not complete within {@code header-timeout} gets
 *   408 and is closed (slowloris); later heads are timed by {@link HeadDeadline}; HTTP/2 connections are let through
 *   at their preface (an idle one is closed by {@code idle-timeout});</li>
 *   <li>HTTP/2 request validation ({@link Http2RequestValidator}), however the connection reached HTTP/2;</li>
 *   <li>strict framing: the HTTP/1 decoder is swapped for one that fails a request carrying both Content-Length and
 *   Transfer-Encoding, which Netty would otherwise accept by silently dropping Content-Length, so the proxy's own
 *   framing check could never see it.</li>
 * </ul>
 * Vert.x has no public per-connection hook that early: with h2c on, even {@code connectionHandler} only runs once the
 * first request head is in. So {@link #createServer} builds the HTTP server the way {@code Vertx.createHttpServer}
 * does, over a TCP server whose channel initialisation adds this guard. Runs on the connection's event loop.
 */
public final class ConnectionGuard extends ChannelInboundHandlerAdapter {

    private static final String NAME = "gatehouseGuard";
    private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
            + "request timeout\n").getBytes(StandardCharsets.US_ASCII);

    private static final byte[] BAD_REQUEST = ("HTTP/1.1 400 Bad Request\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
            + "bad request\n").getBytes(StandardCharsets.US_ASCII);

    private boolean firstByteSeen;

    private static final byte[] PREFACE = VertxInternals.HTTP2_PREFACE.getBytes(StandardCharsets.US_ASCII);
    /** "PRI * HTTP/2.0\r\n", the request line of the HTTP/2 client preface. */
    private static final int PREFACE_REQUEST_LINE = 16;
    /** GOAWAY(last stream 0, PROTOCOL_ERROR), after an empty SETTINGS as the server preface must come first. */
    private static final byte[] BAD_PREFACE_GOAWAY = {
        0, 0, 0, 4, 0, 0, 0, 0, 0,
        0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private final HttpServerOptions options;
    /** Bytes fed one at a time to Vert.x's h2c preface detection. */
    private int sniffed;
    private final long headerTimeoutMillis;
    /** Makes the fast path of each HTTP/1 connection; {@code null} for none. */
    private final java.util.function.Supplier<Http1Downstream> http1;
    private ScheduledFuture<?> deadline;

    private ConnectionGuard(HttpServerOptions options, long headerTimeoutMillis,
                            java.util.function.Supplier<Http1Downstream> http1) {
        this.options = options;
        this.headerTimeoutMillis = headerTimeoutMillis;
        this.http1 = http1;
    }

    /** An HTTP server like {@code vertx.createHttpServer(options)} whose connections are guarded from accept on. */
    public static HttpServer createServer(Vertx vertx, HttpServerOptions options, long headerTimeoutMillis) {
        return createServer(vertx, options, headerTimeoutMillis, null);
    }

    /** As above, with {@code http1} making the {@link Http1Downstream} of each HTTP/1 connection ({@code null}: none). */
    public static HttpServer createServer(Vertx vertx, HttpServerOptions options, long headerTimeoutMillis,
                                   java.util.function.Supplier<Http1Downstream> http1) {
        return createServer(vertx, options, headerTimeoutMillis, http1, null);
    }

    /** As above, with the listener's connection cap and send deadline ({@code limits}; {@code null}: none). */
    public static HttpServer createServer(Vertx vertx, HttpServerOptions options, long headerTimeoutMillis,
                                   java.util.function.Supplier<Http1Downstream> http1, ConnectionLimits limits) {
        return VertxInternals.hookedServer(vertx, options, (pipeline, ssl) -> {
            if (limits == null || limits.admit(pipeline)) {
                install(pipeline, new ConnectionGuard(options, headerTimeoutMillis, http1));
            }
        });
    }

    /**
     * Vert.x adds its HTTP codecs later, in front of "chunkedWriter", else "idle", else at the end: going in front of
     * those (and after any TLS handler) puts the guard ahead of the codecs in every case.
     */
    private static void install(ChannelPipeline pipeline, ConnectionGuard guard) {
        if (pipeline.get("idle") != null) {
            pipeline.addBefore("idle", NAME, guard);
        } else if (pipeline.get("chunkedWriter") != null) {
            pipeline.addBefore("chunkedWriter", NAME, guard);
        } else {
            pipeline.addLast(NAME, guard);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        deadline = ctx.executor().schedule(() -> expire(channel), headerTimeoutMillis, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> headComplete());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        if (!firstByteSeen && buf.isReadable()) {
            firstByteSeen = true;
            // Vert.x's decoder skips leading whitespace and control bytes before the strict decoder is in place (see
            // below), so they are refused here: a request line starts with a method's token character.
            if (!Http1RequestValidator.isTokenChar(buf.getByte(buf.readerIndex()))
                    && p.get(Http2ConnectionHandler.class) == null) {
                buf.release();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(BAD_REQUEST)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        // With h2c on, Vert.x adds its HTTP/1 decoder only once the first bytes rule out the HTTP/2 preface. Feed them
        // one at a time until it has decided (the first byte unlike the preface decides), so the decoder is swapped
        // before it parses anything.
        while (buf.isReadable() && VertxInternals.sniffingProtocol(p)) {
            if (sniffed >= PREFACE_REQUEST_LINE && buf.getByte(buf.readerIndex()) != PREFACE[sniffed]) {
                // "PRI * HTTP/2.0" then not the rest of the preface: an HTTP/2 client with a broken preface, a
                // connection error of type PROTOCOL_ERROR (RFC 9113 §3.4), not an HTTP/1.1 request to answer.
                buf.release();
                headComplete();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(BAD_PREFACE_GOAWAY)).addListener(ChannelFutureListener.CLOSE);
                p.remove(this);
                return;
            }
            ctx.fireChannelRead(buf.readRetainedSlice(1));
            sniffed++;
        }
        boolean settled = false;
        if (!VertxInternals.sniffingProtocol(p)) {
            ChannelHandler decoder = VertxInternals.http1Decoder(p);
            if (decoder != null) {
                // Bytes the old decoder already holds are handed on to the new one by replace().
                p.replace(decoder, "httpDecoder", new StrictRequestDecoder(options, this::headComplete));
                // Every later head on this connection gets header-timeout too.
                HeadDeadline.install(p, "httpDecoder", headerTimeoutMillis);
                if (p.get("h2c") != null) {
                    p.addAfter("httpDecoder", H2cUpgradeWatch.NAME, new H2cUpgradeWatch());
                }
                if (http1 != null) {
                    Http1Downstream.install(p, http1.get());
                }
                settled = true;
            } else if (p.get(Http2ConnectionHandler.class) != null) {
                // HTTP/2 by prior knowledge or ALPN: validated before the first frame reaches the codec.
                // By prior knowledge the preface went through the sniffing above already.
                Http2RequestValidator.install(p, sniffed > 0);
                headComplete();
                settled = true;
            }
        }
        if (buf.isReadable()) {
            ctx.fireChannelRead(buf);
        } else {
            buf.release();
        }
        if (settled) {
            p.remove(this);
        }
    }

    /** The first request head is complete (or the connection speaks HTTP/2, or closed): the deadline is off. */
    private void headComplete() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    /**
     * Writes a whole 400 (connection: close) below the HTTP encoder of {@code pipeline}, for a request refused after its
     * head was decoded and before any of its response was written; false when there is no HTTP/1 encoder.
     */
    static boolean answerBadRequest(ChannelPipeline pipeline) {
        ChannelHandlerContext encoder = pipeline.context(HttpResponseEncoder.class);
        if (encoder == null) {
            return false;
        }
        encoder.writeAndFlush(Unpooled.wrappedBuffer(BAD_REQUEST)).addListener(ChannelFutureListener.CLOSE);
        return true;
    }

    private void expire(Channel channel) {
        deadline = null;
        if (!channel.isActive()) {
            return;
        }
        ChannelHandlerContext encoder = channel.pipeline().context(HttpResponseEncoder.class);
        if (encoder == null) {
            channel.close();
            return;
        }
        // Written below the HTTP encoder (and any compressor), which have seen no request to answer.
        encoder.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Until the first request shows whether it upgrades to h2c: Vert.x's upgrade handler then removes the HTTP/1
     * decoder, whose remaining bytes (the client preface and first frames) pass here on their way to the HTTP/2 codec,
     * which is in place by then. The validator goes on before the first of them; a request that does not upgrade
     * removes this watch.
     */
    static final class H2cUpgradeWatch extends ChannelInboundHandlerAdapter {

        static final String NAME = "gatehouseH2cWatch";

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.handler.codec.http.HttpRequest request) {
                // The very test Vert.x's upgrade handler makes, so no upgrade gets by without the validator.
                if (!request.headers().contains(io.netty.handler.codec.http.HttpHeaderNames.UPGRADE, "h2c", true)) {
                    ctx.pipeline().remove(this);
                }
            } else if (msg instanceof ByteBuf) {
                Http2RequestValidator.install(ctx.pipeline(), false);
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Vert.x's request decoder behind an {@link Http1RequestValidator}: the decoder sees only bytes the validator
     * accepted. At a violation, the messages before it are decoded as usual, then a failed message takes the bad
     * one's place (a failed request for a bad head, answered 400/505 in turn by the invalid-request handler; a failed
     * last content for a bad body, which aborts the request in flight), and nothing more is read from the connection.
     */
    public static final class StrictRequestDecoder extends VertxInternals.Http1Decoder {

        private final Runnable onFirstHead;
        private final Http1RequestValidator validator = new Http1RequestValidator();
        /** Stream bytes the decoder has consumed: the cumulation buffer starts at this offset. */
        private long consumed;
        private boolean headSeen;
        private boolean rejected;

        StrictRequestDecoder(HttpServerOptions options, Runnable onFirstHead) {
            super(options);
            this.onFirstHead = onFirstHead;
        }

        @Override
        protected io.netty.util.AsciiString splitHeaderName(byte[] sb, int start, int length) {
            io.netty.util.AsciiString known = dev.gatehouse.proxy.upstream.HeadWords.name(sb, start, length);
            return known != null ? known : super.splitHeaderName(sb, start, length);
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            super.handleTransferEncodingChunkedWithContentLength(message);
            // The validator refuses this first; kept so the decoder never goes on with chunked on its own.
            message.setDecoderResult(DecoderResult.failure(
                    new IllegalArgumentException("Content-Length together with Transfer-Encoding")));
            rejected = true;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (rejected) {
                // As Netty does after a bad message: nothing more is read from this connection, least of all a
                // request smuggled in behind the rejected one.
                buffer.skipBytes(buffer.readableBytes());
                return;
            }
            int reader = buffer.readerIndex();
            int writer = buffer.writerIndex();
            if (!validator.failed()) {
                int from = reader + (int) (validator.position() - consumed);
                if (from < writer) {
                    validator.feed(buffer, from, writer);
                }
            }
            int outBefore = out.size();
            if (!validator.failed()) {
                super.decode(ctx, buffer, out);
                consumed += buffer.readerIndex() - reader;
            } else {
                refuse(ctx, buffer, out, reader, writer);
            }
            for (int i = outBefore; i < out.size(); i++) {
                Object o = out.get(i);
                if (o instanceof HttpObject m && !m.decoderResult().isSuccess()) {
                    rejected = true;
                }
                if (o instanceof HttpRequest r && r.decoderResult().isSuccess()) {
                    H2cUpgrade.sanitize(r);
                }
                if (!headSeen && o instanceof HttpMessage) {
                    headSeen = true;
                    onFirstHead.run();
                }
            }
        }

        /** Decodes what precedes the violation, then puts the failed message in the refused one's place. */
        private void refuse(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out, int reader, int writer)
                throws Exception {
            long good = validator.safeEnd() - consumed;
            buffer.writerIndex(reader + (int) Math.max(0, Math.min(good, writer - reader)));
            try {
                while (buffer.isReadable()) {
                    int before = buffer.readerIndex();
                    int n = out.size();
                    super.decode(ctx, buffer, out);
                    if (buffer.readerIndex() == before && out.size() == n) {
                        break;
                    }
                }
            } finally {
                buffer.writerIndex(writer);
            }
            consumed += buffer.readerIndex() - reader;
            buffer.skipBytes(buffer.readableBytes());
            rejected = true;
            for (Object o : out) {
                if (o instanceof HttpObject m && !m.decoderResult().isSuccess()) {
                    return; // the decoder refused it itself
                }
            }
            HttpObject failed = validator.failedInBody()
                    ? new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER)
                    : new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request",
                            Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(validator.violation()));
            out.add(failed);
        }
    }
}
