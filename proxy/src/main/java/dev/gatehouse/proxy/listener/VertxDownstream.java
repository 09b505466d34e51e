package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Downstream;
import dev.gatehouse.proxy.engine.Exchange;
import dev.gatehouse.proxy.engine.ProxyHandler;
import dev.gatehouse.proxy.vertx.VertxInternals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Stream;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

import javax.net.ssl.SSLSession;
import java.util.List;

/**
 * The transport over Vert.x's HTTP server: HTTP/2 streams, and HTTP/1.x connections the raw transport handed to
 * Vert.x (an upgrade, HTTP/1.0). One per request. Body pieces cross as Netty buffers; response pieces are copied
 * into Vert.x buffers (a pooled upstream buffer handed to Vert.x would never be released).
 */
final class VertxDownstream implements Downstream {

    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final ProxyHandler proxy;
    private Exchange exchange;
    private long contentLength = -1;
    private boolean bodyFollows;
    private String framingProblem;
    private boolean reading;
    private boolean handlersSet;
    private boolean bodiless;
    /** The client connection's channel, flushed at the end of each upstream read (see {@link #flush}). */
    private final io.netty.channel.Channel channel;

    VertxDownstream(ProxyHandler proxy, HttpServerRequest request) {
        this.proxy = proxy;
        this.request = request;
        this.response = request.response();
        io.netty.channel.ChannelPipeline p = VertxInternals.pipeline(request.connection());
        this.channel = p == null ? null : p.channel();
        checkFraming(request.headers());
    }

    /** Starts the engine on this request; from here on a client that goes away ends the exchange. */
    void start() {
        Exchange e = new Exchange(proxy, this);
        exchange = e;
        response.closeHandler(v -> e.clientClosed());
        request.exceptionHandler(this::requestFailed);
        if (!bodyFollows) {
            // Nothing to hold back: Vert.x completes an HTTP/1 request (and takes the next) once it has read its end.
            readBody(true);
        }
        e.start();
    }

    /** Ambiguous framing is refused before anything reaches a backend (request smuggling). */
    private void checkFraming(MultiMap h) {
        List<String> te = h.getAll(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
        List<String> cl = h.getAll(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH);
        if (!te.isEmpty()) {
            if (!cl.isEmpty() || te.size() > 1 || !te.get(0).trim().equalsIgnoreCase("chunked")) {
                framingProblem = "conflicting or unsupported transfer-encoding";
            }
            bodyFollows = true;
            return;
        }
        if (cl.size() > 1) {
            framingProblem = "duplicate content-length";
            return;
        }
        if (cl.size() == 1) {
            contentLength = Http1Downstream.parseLength(cl.get(0).trim());
            if (contentLength < 0) {
                framingProblem = "bad content-length";
                return;
            }
            bodyFollows = contentLength > 0;
            return;
        }
        // HTTP/2 frames its body itself: no Content-Length does not mean no body, but END_STREAM on HEADERS does.
        bodyFollows = request.version() == HttpVersion.HTTP_2 && !request.isEnded() && !remoteEnded(request);
    }

    /**
     * Whether the client already ended this HTTP/2 stream. The request is paused, so Vert.x has not delivered the end
     * yet (isEnded() is false), but Netty's stream state has it. Without this every bodiless h2 request went upstream
     * as an empty chunked body, and chunked requests are never retried.
     */
    private static boolean remoteEnded(HttpServerRequest request) {
        io.netty.channel.ChannelPipeline p = VertxInternals.pipeline(request.connection());
        Http2ConnectionHandler h2 = p == null ? null : p.get(Http2ConnectionHandler.class);
        Http2Stream stream = h2 == null ? null : h2.connection().stream(request.streamId());
        return stream != null
                && (stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE || stream.state() == Http2Stream.State.CLOSED);
    }

    /** The client's request failed mid-way: its connection is going, or its body broke the chunk grammar. */
    private void requestFailed(Throwable err) {
        if (err instanceof Http1RequestValidator.Violation && !response.headWritten() && !response.ended()
                && VertxInternals.pipeline(request.connection()) != null
                && ConnectionGuard.answerBadRequest(VertxInternals.pipeline(request.connection()))) {
            // Vert.x closes the connection right after this handler: the 400 went out below its response.
            exchange.badBody();
            return;
        }
        exchange.clientClosed();
    }

    // ---- the request ------------------------------------------------------------------------------------------

    @Override
    public HttpMethod method() {
        return request.method();
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String protocol() {
        HttpVersion v = request.version();
        return v == HttpVersion.HTTP_2 ? "HTTP/2.0" : v == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1";
    }

    @Override
    public String viaProtocol() {
        HttpVersion v = request.version();
        return v == HttpVersion.HTTP_2 ? "2" : v == HttpVersion.HTTP_1_0 ? "1.0" : "1.1";
    }

    @Override
    public MultiMap headers() {
        return request.headers();
    }

    @Override
    public String authority() {
        HostAndPort a = request.authority();
        if (a == null) {
            return null;
        }
        return a.port() > 0 ? a.host() + ":" + a.port() : a.host();
    }

    @Override
    public String remotePeer() {
        SocketAddress a = request.connection().remoteAddress(true);
        return a == null ? null : a.host();
    }

    @Override
    public String clientAddress() {
        SocketAddress a = request.remoteAddress();
        return a == null ? null : a.host();
    }

    @Override
    public SSLSession sslSession() {
        return request.isSSL() && request.connection() != null ? request.connection().sslSession() : null;
    }

    @Override
    public String framingProblem() {
        return framingProblem;
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
        if (!handlersSet) {
            handlersSet = true;
            Exchange e = exchange;
            request.handler(buf -> e.requestBody(VertxInternals.byteBuf(buf), false));
            request.endHandler(v -> e.requestBody(Unpooled.EMPTY_BUFFER, true));
        }
        if (read != reading) {
            reading = read;
            if (read) {
                request.resume();
            } else {
                request.pause();
            }
        }
    }

    @Override
    public void sendContinue() {
        response.writeContinue();
    }

    @Override
    public void interim(int status, HeadersMultiMap headers) {
        // Vert.x writes 103 on HTTP/1.1 and HTTP/2; an HTTP/1.0 client gets no 1xx (RFC 9110 §15.2).
        if (status == 103 && request.version() != HttpVersion.HTTP_1_0 && !response.headWritten()) {
            response.writeEarlyHints(headers);
        }
    }

    // ---- the response -----------------------------------------------------------------------------------------

    @Override
    public ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    public void head(int status, HeadersMultiMap headers, boolean bodiless) {
        this.bodiless = bodiless;
        response.setStatusCode(status);
        response.headers().setAll(headers);
        if (!bodiless && request.version() == HttpVersion.HTTP_1_1
                && !headers.contains(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH)) {
            response.setChunked(true);
        }
        response.drainHandler(v -> exchange.downstreamWritable());
    }

    private static Buffer copy(ByteBuf piece) {
        Buffer b = Buffer.buffer(ByteBufUtil.getBytes(piece));
        piece.release();
        return b;
    }

    @Override
    public void body(ByteBuf piece) {
        if (bodiless) {
            piece.release();
            return;
        }
        response.write(copy(piece));
    }

    @Override
    public void end(ByteBuf last, HttpHeaders trailers) {
        if (!trailers.isEmpty() && !bodiless) {
            for (var e : trailers) {
                response.trailers().add(e.getKey(), e.getValue());
            }
        }
        if (last.isReadable() && !bodiless) {
            response.end(copy(last));
        } else {
            last.release();
            response.end();
        }
    }

    @Override
    public void flush() {
        // Vert.x holds back its own flush while it is reading the client connection; these writes come from upstream
        // reads instead, so the end of each one flushes them itself rather than rely on Vert.x's bookkeeping (a flush
        // with nothing pending costs nothing).
        if (channel != null) {
            channel.flush();
        }
    }

    @Override
    public boolean writable() {
        return !response.writeQueueFull();
    }

    @Override
    public boolean headSent() {
        return response.headWritten() || response.ended();
    }

    @Override
    public void answer(int status, HeadersMultiMap headers, ByteBuf body, boolean close) {
        if (response.ended() || response.closed()) {
            body.release();
            return;
        }
        response.headers().clear();
        response.setChunked(false);
        response.headers().setAll(headers);
        response.setStatusCode(status);
        Buffer b = copy(body);
        if (close && request.version() != HttpVersion.HTTP_2) {
            response.putHeader(io.vertx.core.http.HttpHeaders.CONNECTION, io.vertx.core.http.HttpHeaders.CLOSE);
            response.end(b).onComplete(v -> request.connection().close());
        } else {
            response.end(b);
        }
        flush();
    }

    @Override
    public void abort() {
        if (!response.ended() && !response.closed()) {
            response.reset();
        }
    }

    @Override
    public void finished(Exchange e, boolean close) {
        // Nothing left to do: an answer that closes did so (answer), a cut-off response was reset (abort), and a
        // stream the client or the codec reset (a malformed body: RST_STREAM(PROTOCOL_ERROR)) keeps that reset.
    }

    @Override
    public boolean tunnel(Exchange e) {
        new Tunnel(e, proxy, request).start();
        return true;
    }
}
