package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Downstream;
import dev.gatehouse.proxy.engine.Exchange;
import dev.gatehouse.proxy.engine.ProxyHandler;
import dev.gatehouse.proxy.upstream.Http1Encoding;
import dev.gatehouse.proxy.vertx.VertxInternals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import javax.net.ssl.SSLSession;
import java.util.ArrayDeque;

/**
 * The raw HTTP/1.1 transport of one client connection: it sits in the Netty pipeline just in front of Vert.x's HTTP
 * connection and hands every HTTP/1.1 request to the {@link Exchange} engine, bodies (Content-Length or chunked),
 * {@code Expect: 100-continue}, HEAD and pipelining included, without Vert.x's request and response objects: those
 * cost more CPU than everything else on the request path together.
 *
 * <p>An upgrade request (WebSocket, h2c), an HTTP/1.0 request or one the decoder refused hands the connection to
 * Vert.x for good: it and every later request flow through untouched to {@link VertxDownstream} (or Vert.x's own
 * error handling). Requests a client pipelines behind one in flight are held back and taken in order, so responses
 * never overtake. Runs on the connection's event loop; one request is in flight at a time, so the request and
 * response state of {@link Downstream} lives in this object's fields.
 */
public final class Http1Downstream extends ChannelDuplexHandler implements Downstream {

    static final String NAME = "gatehouseHttp1";
    /** Pipelined requests held while one is in flight; past this the connection stops reading until it catches up. */
    private static final int MAX_HELD = 16;

    /** Whether listeners install the raw transport at all ({@code -Dgatehouse.fast-path=false} turns it off). */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("gatehouse.fast-path"));

    /** Requests the raw transport has taken, over all connections (for tests and diagnostics). */
    public static final java.util.concurrent.atomic.LongAdder TAKEN = new java.util.concurrent.atomic.LongAdder();

    final ProxyHandler proxy;
    ChannelHandlerContext ctx;
    private Exchange active;
    /** The request head was taken; its end is still to come from the decoder. */
    private boolean requestOpen;
    private boolean slow;
    private ArrayDeque<Object> held;
    private boolean pausedReading;
    /** The exchange whose request body is still arriving (it may already be answered), or null. */
    private Exchange bodyOwner;
    private boolean bodyPaused;
    /** The server's shutdown, once it began. */
    private Object shutdown;
    /** Something was written since the last flush. */
    private boolean unflushed;
    private String remotePeer;
    private String clientAddress;
    private SSLSession session;
    private boolean sessionLooked;
    private boolean peerCertificates;
    /**
     * The HTTP encoder's context, to write already-encoded responses below it; {@code null} when a compressor sits in
     * between (it must see every response).
     */
    private ChannelHandlerContext below;
    /** Direct bodies above this size are written after the head instead of copied into its buffer. */
    private static final int SEPARATE_BODY = 8 * 1024;

    // The request in flight.
    private HttpRequest request;
    private HeadersMultiMap headers;
    private HttpMethod method;
    private boolean keepAlive;
    private long contentLength;
    private boolean bodyFollows;

    // Its response.
    private HttpResponseStatus pendingStatus;
    private HeadersMultiMap pendingHeaders;
    /** Body pieces held with the head within one upstream read, or null. */
    private ByteBuf pendingBody;
    private boolean headWritten;
    private boolean closeNow;
    /** Between a channelRead and its channelReadComplete. */
    private boolean inRead;

    Http1Downstream(ProxyHandler proxy) {
        this.proxy = proxy;
    }

    /** Puts the transport in front of Vert.x's HTTP/1 connection handler of {@code pipeline}. */
    static void install(ChannelPipeline pipeline, Http1Downstream transport) {
        // Upstream channels live on one event loop; a connection on another (never expected) stays with Vert.x.
        if (pipeline.get("handler") != null && pipeline.get(NAME) == null
                && pipeline.channel().eventLoop() == transport.proxy.channels.loop()) {
            pipeline.addBefore("handler", NAME, transport);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.pipeline().get("deflater") == null) {
            below = ctx.pipeline().context("httpEncoder");
        }
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
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

    /** Whether the engine takes {@code request} here; anything else goes to Vert.x with the connection. */
    private static boolean takes(HttpRequest request) {
        return request.decoderResult().isSuccess() && request.protocolVersion() == HttpVersion.HTTP_1_1
                && request.headers() instanceof HeadersMultiMap h && !h.contains(io.vertx.core.http.HttpHeaders.UPGRADE);
    }

    private void take(Object msg) {
        if (msg instanceof HttpRequest r && shutdown == null && takes(r)) {
            TAKEN.increment();
            request = r;
            headers = (HeadersMultiMap) r.headers();
            method = HttpMethod.fromNetty(r.method());
            keepAlive = HttpUtil.isKeepAlive(r);
            // One valid Content-Length or chunked: Http1RequestValidator refused anything else before the decoder.
            String length = headers.get(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH);
            contentLength = length == null ? -1 : parseLength(length);
            bodyFollows = contentLength > 0 || headers.contains(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
            pendingStatus = null;
            pendingHeaders = null;
            headWritten = false;
            closeNow = false;
            Exchange e = new Exchange(proxy, this);
            active = e;
            bodyOwner = e;
            requestOpen = !(msg instanceof LastHttpContent);
            e.start();
            return;
        }
        toVertx(msg);
    }

    /** A Content-Length value: digits only, or -1. */
    static long parseLength(String v) {
        return Exchange.decimal(v);
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
            Exchange owner = bodyOwner;
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
        Exchange owner = bodyOwner;
        if (last) {
            bodyOwner = null;
        }
        if (owner != null && owner.requestBody(content.content(), last)) {
            return;
        }
        content.release();
        if (last) {
            pauseBody(false);
        }
    }

    private void pauseBody(boolean pause) {
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
        if (VertxInternals.isShutdown(evt) && !slow) {
            shutdown = evt;
            if (active != null && VertxInternals.shutdownTimeout(evt) > 0) {
                return;
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        Exchange owner = bodyOwner != null ? bodyOwner : active;
        if (owner != null) {
            owner.requestReadEnd();
        }
        ctx.fireChannelReadComplete();
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
        Exchange e = active;
        active = null;
        bodyOwner = null;
        if (e != null) {
            e.clientClosed();
        }
        releasePending();
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

    // ---- Downstream: the request --------------------------------------------------------------------------------

    @Override
    public HttpMethod method() {
        return method;
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String protocol() {
        return "HTTP/1.1";
    }

    @Override
    public String viaProtocol() {
        return "1.1";
    }

    @Override
    public MultiMap headers() {
        return headers;
    }

    @Override
    public String authority() {
        return headers.get(io.vertx.core.http.HttpHeaders.HOST);
    }

    @Override
    public String remotePeer() {
        if (remotePeer == null && ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a) {
            remotePeer = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        }
        return remotePeer;
    }

    @Override
    public String clientAddress() {
        if (clientAddress == null) {
            String proxied = VertxInternals.proxiedSource(ctx.channel());
            clientAddress = proxied != null ? proxied : remotePeer();
        }
        return clientAddress;
    }

    @Override
    public SSLSession sslSession() {
        if (!sessionLooked) {
            sessionLooked = true;
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            session = ssl == null ? null : ssl.engine().getSession();
            // The engine's own client-auth mode (the SNI-selected context's): without one, no peer certificate.
            peerCertificates = ssl != null && (ssl.engine().getNeedClientAuth() || ssl.engine().getWantClientAuth());
        }
        return session;
    }

    @Override
    public SSLSession peerCertificateSession() {
        SSLSession s = sslSession();
        return peerCertificates ? s : null;
    }

    @Override
    public long contentLength() {
        return contentLength;
    }

    @Override
    public boolean bodyFollows() {
        return bodyFollows;
    }

    @Override
    public void readBody(boolean read) {
        pauseBody(!read);
    }

    @Override
    public boolean signalsReadEnd() {
        // Only from within a read: outside one (a connect that completed later, held pieces taken after a response)
        // no read end may come soon, or at all while reading is paused.
        return inRead && !slow;
    }

    @Override
    public void sendContinue() {
        if (!headWritten) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
    }

    @Override
    public void interim(int status, HeadersMultiMap headers) {
        if (!headWritten) {
            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.EMPTY_BUFFER);
            r.headers().set(headers);
            ctx.writeAndFlush(r, ctx.voidPromise());
        }
    }

    // ---- Downstream: the response -------------------------------------------------------------------------------

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public void head(int status, HeadersMultiMap out, boolean bodiless) {
        if (!bodiless && !out.contains(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH)) {
            out.set(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING, io.vertx.core.http.HttpHeaders.CHUNKED);
        }
        if (!keepAlive) {
            out.set(io.vertx.core.http.HttpHeaders.CONNECTION, io.vertx.core.http.HttpHeaders.CLOSE);
        }
        // Held back: when the whole body follows in the same read, head and body leave as one buffer in one write.
        pendingStatus = HttpResponseStatus.valueOf(status);
        pendingHeaders = out;
    }

    @Override
    public void body(ByteBuf piece) {
        if (pendingHeaders != null && below != null) {
            holdBody(piece);
            return;
        }
        writeHead();
        write(new DefaultHttpContent(piece));
    }

    private void holdBody(ByteBuf piece) {
        if (pendingBody == null) {
            pendingBody = piece;
        } else {
            if (!(pendingBody instanceof CompositeByteBuf)) {
                pendingBody = ctx.alloc().compositeBuffer().addComponent(true, pendingBody);
            }
            ((CompositeByteBuf) pendingBody).addComponent(true, piece);
        }
    }

    /** Writes the held response head, and any body held with it. */
    private void writeHead() {
        if (pendingHeaders != null) {
            write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, pendingStatus, pendingHeaders));
            pendingHeaders = null;
            headWritten = true;
            if (pendingBody != null) {
                write(new DefaultHttpContent(pendingBody));
                pendingBody = null;
            }
        }
    }

    @Override
    public void end(ByteBuf lastPiece, HttpHeaders trailers) {
        LastHttpContent last;
        if (pendingBody != null) {
            // The held pieces and the last one make the whole body.
            holdBody(lastPiece);
            last = new DefaultLastHttpContent(pendingBody, trailers);
            pendingBody = null;
        } else {
            last = trailers.isEmpty() && !lastPiece.isReadable() && lastPiece == Unpooled.EMPTY_BUFFER
                    ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultLastHttpContent(lastPiece, trailers);
        }
        if (pendingHeaders != null) {
            HeadersMultiMap h = pendingHeaders;
            pendingHeaders = null;
            headWritten = true;
            if (last.trailingHeaders().isEmpty() && h.contains(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING)) {
                // The whole body is here: its length replaces the chunked framing the head was given.
                h.remove(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
                h.set(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, String.valueOf(last.content().readableBytes()));
            }
            if (below != null && last.trailingHeaders().isEmpty() && last.content().isDirect()
                    && last.content().readableBytes() > SEPARATE_BODY) {
                // A large body already in direct memory (a cache hit's) goes out as it is, after the head: no copy.
                writeEncoded(Http1Encoding.response(ctx.alloc(), pendingStatus, h, Unpooled.EMPTY_BUFFER));
                writeEncoded(last.content());
            } else if (below != null && last.trailingHeaders().isEmpty()) {
                writeEncoded(Http1Encoding.response(ctx.alloc(), pendingStatus, h, last.content()));
            } else {
                write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, pendingStatus, last.content(), h,
                        last.trailingHeaders()));
            }
        } else {
            write(last);
        }
    }

    private void writeEncoded(ByteBuf response) {
        below.write(response, below.voidPromise());
        unflushed = true;
    }

    private void write(Object msg) {
        ctx.write(msg, ctx.voidPromise());
        unflushed = true;
    }

    @Override
    public void flush() {
        // A head alone stays held until body bytes (or the end) come: a backend that dies in between gets the
        // client a clean 502.
        if (pendingBody != null) {
            writeHead();
        }
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public boolean headSent() {
        return headWritten;
    }

    @Override
    public void answer(int status, HeadersMultiMap h, ByteBuf body, boolean close) {
        releasePending();
        pendingHeaders = null;
        h.set(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, String.valueOf(body.readableBytes()));
        if (close || !keepAlive) {
            h.set(io.vertx.core.http.HttpHeaders.CONNECTION, io.vertx.core.http.HttpHeaders.CLOSE);
        }
        headWritten = true;
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        if (below != null) {
            writeEncoded(Http1Encoding.response(ctx.alloc(), s, h, body));
        } else {
            write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body, h, EmptyHttpHeaders.INSTANCE));
        }
        flush();
    }

    @Override
    public void abort() {
        closeNow = true;
    }

    private void releasePending() {
        if (pendingBody != null) {
            pendingBody.release();
            pendingBody = null;
        }
    }

    /** The exchange in flight is over; the connection closes when it must, else the next held request is taken. */
    @Override
    public void finished(Exchange e, boolean close) {
        if (active != e) {
            return;
        }
        releasePending();
        pendingHeaders = null;
        if (!e.bodyEnded()) {
            // The rest of the body is read and dropped (bodyPart), so the connection stays usable.
            pauseBody(false);
        }
        active = null;
        if (close || closeNow || !keepAlive) {
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            releaseHeld();
            return;
        }
        if (shutdown != null) {
            // Passed on once the response is on the wire: Vert.x closes an idle connection at once.
            Object evt = shutdown;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ctx.fireUserEventTriggered(evt));
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
        // Body pieces taken from the held ones came outside a read of the connection: no read end will flush them.
        Exchange owner = bodyOwner != null ? bodyOwner : active;
        if (owner != null) {
            owner.requestReadEnd();
        }
        if (held == null || held.isEmpty()) {
            resumeReading();
        }
    }
}
