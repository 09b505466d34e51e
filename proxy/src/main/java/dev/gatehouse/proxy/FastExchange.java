package dev.gatehouse.proxy;

import dev.gatehouse.proxy.balance.Backend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * One request on the {@link FastPath}: the same trip as an {@link Exchange} (route, balancer pick, header hygiene,
 * retries with budget and backoff, timeouts, passive health, metrics and access log) for an HTTP/1.1 request with no
 * body or a Content-Length one, on a route without filters, over raw upstream channels. Both bodies are streamed with
 * backpressure, and what one upstream read brings goes out to the client in one flush.
 */
final class FastExchange extends RoutedRequest implements UpstreamChannels.Connection.Owner {

    private static final Logger LOG = LoggerFactory.getLogger(FastExchange.class);
    private static final String PROTOCOL = "HTTP/1.1";
    /** Body pieces past this much wait with the client's reading paused until an upstream connection takes them. */
    private static final int MAX_QUEUED_BODY = 64 * 1024;

    private final FastPath conn;
    private final HttpRequest request;
    private final HeadersMultiMap headers;
    private final HttpMethod method;
    private final String uri;
    private final String path;
    /** The target sent upstream: the normalised path, rewritten when the route does, with the query as sent. */
    private String upstreamUri;
    private final String hostHeader;
    private final long startNanos;
    private final boolean clientKeepAlive;
    private String requestId;
    private String traceparent;
    private boolean traceContinued;
    private String peer;

    private Backend backend;
    private Attempt current;
    private ProxyError lastError = ProxyError.NO_HEALTHY_BACKEND;
    private boolean staleRetried;

    private boolean responseStarted;
    /** The request body: its length, what of it waits for an upstream connection, and how far it got. */
    private long contentLength;
    private java.util.ArrayDeque<ByteBuf> queuedBody;
    private int queuedBytes;
    private long bytesIn;
    private boolean bodyEnded;
    /** Body bytes went upstream: the request can no longer be retried. */
    private boolean bodySent;
    private int status;
    private long bytesOut;
    private String errorName;
    private boolean clientGone;
    /** The response was cut off mid-way: the client connection must close so it sees it incomplete. */
    private boolean aborted;
    /** The response head not yet written (see {@link #responseHead}), or null. */
    private HttpResponseStatus pendingStatus;
    private HeadersMultiMap pendingHeaders;
    /** Body pieces held with the head within one upstream read, or null. */
    private ByteBuf pendingBody;
    /** An interim (1xx) upstream response is being skipped up to its end. */
    private boolean skippingInterim;

    private long deadlineNanos = Long.MAX_VALUE;
    private long attemptDeadlineNanos = Long.MAX_VALUE;

    private FastExchange(FastPath conn, HttpRequest request, HeadersMultiMap headers, HttpMethod method, String path,
                         String hostHeader, CompiledRoute route) {
        this.conn = conn;
        this.request = request;
        this.headers = headers;
        this.method = method;
        this.uri = request.uri();
        this.path = path;
        this.hostHeader = hostHeader;
        this.route = route;
        this.startNanos = System.nanoTime();
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
    }

    /**
     * A fast exchange for {@code request}, or {@code null} when it needs the full path: anything but a well-formed
     * bodiless HTTP/1.1 request in origin form, with a Host, on a route without filters or hedging to a plain-HTTP
     * pool. HEAD goes the full path too (its response framing needs the method). Allocates nothing for the common
     * refusals.
     */
    static FastExchange eligible(FastPath conn, HttpRequest request) {
        if (!request.decoderResult().isSuccess() || request.protocolVersion() != HttpVersion.HTTP_1_1
                || !(request.headers() instanceof HeadersMultiMap h)) {
            return null;
        }
        String uri = request.uri();
        if (uri.isEmpty() || uri.charAt(0) != '/' || uri.length() > conn.proxy.listener.maxUriLength()) {
            return null;
        }
        HttpMethod method = HttpMethod.fromNetty(request.method());
        if (method == HttpMethod.HEAD || method == HttpMethod.CONNECT) {
            return null;
        }
        if (h.contains(HttpHeaders.TRANSFER_ENCODING) || h.contains(HttpHeaders.EXPECT)
                || h.contains(HttpHeaders.UPGRADE)) {
            return null;
        }
        long contentLength = 0;
        String length = h.get(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            // One Content-Length and one Host: Http1RequestValidator refused anything else before the decoder.
            contentLength = parseLength(length);
            if (contentLength < 0) {
                return null;
            }
        }
        String hostHeader = h.get(HttpHeaders.HOST);
        if (hostHeader == null) {
            return null;
        }
        HostAndPort authority = HostAndPort.parseAuthority(hostHeader, -1);
        if (authority == null) {
            return null;
        }
        int q = uri.indexOf('?');
        // A path refused by normalisation, or a rewrite leaving its prefix, goes the full path, which answers 400.
        String path = conn.proxy.listener.path().normalize(q < 0 ? uri : uri.substring(0, q));
        if (path == null) {
            return null;
        }
        RuntimeSnapshot snapshot = conn.proxy.runtime.current();
        CompiledRoute route = snapshot.routes().match(normalizeHost(authority.host()), path, method, h);
        if (route == null || !route.filters.isEmpty() || route.hedgeDelayNanos > 0 || route.pool.config.tls() != null) {
            return null;
        }
        for (Backend b : route.pool.backends) {
            if (b.tls()) {
                return null;
            }
        }
        long limit = route.maxBodyBytes >= 0 ? route.maxBodyBytes : conn.proxy.listener.maxBodyBytes();
        if (limit > 0 && contentLength > limit) {
            return null; // the full path answers 413
        }
        String upstreamUri = route.upstreamUri(path, uri);
        if (upstreamUri == null) {
            return null;
        }
        FastExchange e = new FastExchange(conn, request, h, method, path, hostHeader, route);
        e.upstreamUri = upstreamUri;
        e.contentLength = contentLength;
        e.bodyEnded = contentLength == 0;
        return e;
    }

    /** A Content-Length value: digits only, or -1. */
    static long parseLength(String v) {
        if (v.isEmpty() || v.length() > 18) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }


    void start() {
        ProxyHandler p = conn.proxy;
        p.observer.requestStarted(p.listener);
        requestId = Forwarding.requestId(headers.get(Forwarding.X_REQUEST_ID));
        deadlineNanos = startNanos + route.timeoutMillis * 1_000_000L;
        p.track(this);
        attempt();
    }

    // ---- hash keys ------------------------------------------------------------------------------------------

    @Override
    public String path() {
        return path;
    }

    @Override
    public String header(CharSequence name) {
        return headers.get(name);
    }

    @Override
    String cookie(String name) {
        for (String header : headers.getAll(HttpHeaders.COOKIE)) {
            for (io.netty.handler.codec.http.cookie.Cookie c
                    : io.netty.handler.codec.http.cookie.ServerCookieDecoder.LAX.decode(header)) {
                if (c.name().equals(name)) {
                    return c.value();
                }
            }
        }
        return null;
    }

    @Override
    public String clientAddress() {
        if (peer == null) {
            io.vertx.core.net.SocketAddress override = conn.ctx.channel().attr(ConnectionBase.REMOTE_ADDRESS_OVERRIDE).get();
            peer = override != null && override.host() != null ? override.host() : remotePeer();
            if (peer == null) {
                peer = "unknown";
            }
        }
        return peer;
    }

    /** The TCP peer: the one whose forwarding headers we may trust. */
    private String remotePeer() {
        return conn.remotePeer();
    }

    // ---- upstream tries -------------------------------------------------------------------------------------

    /** One upstream try; it owns its connection while the response is read. */
    private final class Attempt extends Claim implements UpstreamChannels.Waiter {
        UpstreamChannels.Connection connection;
        boolean reused;
        /** The backend's response lets the connection carry another request. */
        boolean keepAlive;
        /** This try's connection has the request head; body pieces go straight to it. */
        boolean bodyFlowing;
        boolean waiting = true;

        Attempt(Backend backend, boolean retry) {
            super(backend, retry);
        }

        /** Stops this try: its connection (mid-exchange, so not reusable) is closed. */
        void abandon() {
            abandoned = true;
            release();
            if (waiting) {
                waiting = false;
                conn.upstreams.cancel(backend, this);
            }
            if (connection != null) {
                UpstreamChannels.Connection c = connection;
                connection = null;
                c.discard();
            }
        }

        @Override
        public void connected(UpstreamChannels.Connection c, boolean wasReused) {
            waiting = false;
            if (done || abandoned) {
                c.release();
                return;
            }
            connection = c;
            reused = wasReused;
            c.own(FastExchange.this);
            send(c);
        }

        @Override
        public void connectFailed(Throwable cause) {
            waiting = false;
            attemptFailed(this, ProxyError.UPSTREAM_CONNECT_FAILED, cause);
        }

        @Override
        public void overloaded() {
            waiting = false;
            release();
            if (!done && !abandoned) {
                fail(ProxyError.OVERLOADED, "pending requests to " + backend + " at their limit");
            }
        }
    }

    private void attempt() {
        skippingInterim = false;
        Backend b = pick();
        if (b == null) {
            fail(skippedFull ? ProxyError.OVERLOADED : attempts == 0 ? ProxyError.NO_HEALTHY_BACKEND : lastError,
                    "no backend left to try");
            return;
        }
        boolean retry = tryOn(b);
        backend = b;
        conn.proxy.observer.upstreamAttempt(route.name, b, retry);
        Attempt a = new Attempt(b, retry);
        current = a;
        attemptDeadlineNanos = route.perTryTimeoutNanos > 0 ? System.nanoTime() + route.perTryTimeoutNanos
                : Long.MAX_VALUE;
        conn.upstreams.acquire(route.pool, b, a);
    }

    /** Writes the upstream request: the client's end-to-end headers plus forwarding, Via, request id and trace. */
    private void send(UpstreamChannels.Connection c) {
        // Names and values were validated as they came in; what is added here is the proxy's own.
        HeadersMultiMap out = HeadersMultiMap.httpHeaders(null);
        Forwarding.copyEndToEnd(headers, out, true);
        out.set(HttpHeaders.HOST, hostHeader);
        // Framing from the parsed message, never the client's bytes: the body's length, and nothing without a body.
        if (contentLength > 0 || headers.contains(HttpHeaders.CONTENT_LENGTH)) {
            out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(contentLength));
        }
        // X-Client-Cert-* from the client never pass (the fast path serves no client-certificate listener).
        out.remove(ClientIdentity.SUBJECT);
        out.remove(ClientIdentity.FINGERPRINT);
        ListenerSettings l = conn.proxy.listener;
        Forwarding.addForwarding(headers, out, clientAddress(), l.trusted(remotePeer()), l.scheme(), hostHeader);
        Forwarding.addVia(headers, out, "1.1");
        out.set(Forwarding.X_REQUEST_ID, requestId);
        if (traceparent == null) {
            TraceContext t = TraceContext.continueOrStart(headers.get(TraceContext.TRACEPARENT));
            traceparent = t.traceparent();
            traceContinued = t.continued();
        }
        out.set(TraceContext.TRACEPARENT, traceparent);
        if (!traceContinued) {
            out.remove(TraceContext.TRACESTATE);
        }
        ByteBuf up = Http1Encoding.request(c.channel.alloc(), request.method(), upstreamUri, out);
        // A failed write fires exceptionCaught, which closes the connection; the close fails the try.
        if (contentLength == 0) {
            c.channel.writeAndFlush(up, c.channel.voidPromise());
            return;
        }
        c.channel.write(up, c.channel.voidPromise());
        bodySent = true;
        current.bodyFlowing = true;
        if (queuedBody != null) {
            ByteBuf b;
            while ((b = queuedBody.poll()) != null) {
                c.channel.write(b, c.channel.voidPromise());
            }
            queuedBytes = 0;
        }
        c.channel.flush();
        if (!bodyEnded) {
            conn.pauseBody(!c.channel.isWritable());
        }
    }

    /**
     * A piece of the request body from the client; false when this exchange is over (the caller drops it). It goes
     * straight upstream once a connection has the head, else it waits (reading pauses past {@link #MAX_QUEUED_BODY}).
     */
    boolean requestBody(HttpContent content, boolean last) {
        if (done) {
            return false;
        }
        ByteBuf b = content.content();
        int n = b.readableBytes();
        bytesIn += n;
        if (last) {
            bodyEnded = true;
        }
        if (n == 0) {
            content.release();
            return true;
        }
        Attempt a = current;
        if (a != null && a.bodyFlowing && a.connection != null) {
            io.netty.channel.Channel ch = a.connection.channel;
            ch.writeAndFlush(b, ch.voidPromise());
            if (!last && !ch.isWritable()) {
                conn.pauseBody(true);
            }
            return true;
        }
        if (queuedBody == null) {
            queuedBody = new java.util.ArrayDeque<>(4);
        }
        queuedBody.add(b);
        queuedBytes += n;
        if (!last && queuedBytes >= MAX_QUEUED_BODY) {
            conn.pauseBody(true);
        }
        return true;
    }

    @Override
    public void upstreamWritable() {
        Attempt a = current;
        if (!bodyEnded && !done && a != null && a.bodyFlowing && a.connection != null
                && a.connection.channel.isWritable()) {
            conn.pauseBody(false);
        }
    }

    // ---- upstream response ----------------------------------------------------------------------------------

    @Override
    public void upstreamRead(Object msg) {
        Attempt a = current;
        if (done || a == null || a.connection == null) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse res) {
            if (!res.decoderResult().isSuccess()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                conn.proxy.health.failure(a.backend, "protocol error");
                a.abandon();
                fail(ProxyError.UPSTREAM_PROTOCOL, "bad response from backend");
                return;
            }
            int code = res.status().code();
            if (code == 101) {
                io.netty.util.ReferenceCountUtil.release(msg);
                a.abandon();
                fail(ProxyError.UPSTREAM_PROTOCOL, "101 to a request that asked for no upgrade");
                return;
            }
            if (code < 200) {
                skippingInterim = true;
            } else if (!responseHead(a, res)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            if (skippingInterim) {
                skippingInterim = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (content instanceof LastHttpContent last) {
                responseEnd(a, last);
            } else if (pendingHeaders != null && conn.canWriteEncoded()) {
                // Held with the head until the end of this read: a body that ends in it goes out in one buffer.
                bytesOut += content.content().readableBytes();
                holdBody(content.content());
            } else {
                writeHead();
                bytesOut += content.content().readableBytes();
                conn.write(content);
                if (!conn.writable()) {
                    // Backpressure: the client is slower than the backend; stop reading until it drains.
                    a.connection.channel.config().setAutoRead(false);
                }
            }
        }
    }

    /** The head of the final response; false when it was consumed otherwise (a retry). */
    private boolean responseHead(Attempt a, HttpResponse res) {
        int code = res.status().code();
        Backend b = a.backend;
        if (code >= 500) {
            conn.proxy.health.failure(b, "status " + code);
        } else {
            conn.proxy.health.success(b);
        }
        if (route.retryOnStatus(code) && canRetry() && retryTargetLeft()) {
            a.abandon();
            lastError = ProxyError.UPSTREAM_RESET;
            retry();
            return false;
        }
        responseStarted = true;
        untrack();
        status = code;
        HeadersMultiMap in = (HeadersMultiMap) res.headers();
        HeadersMultiMap out = HeadersMultiMap.httpHeaders(null);
        Forwarding.copyEndToEnd(in, out, false);
        Forwarding.addVia(in, out, res.protocolVersion() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1");
        if (!out.contains(Forwarding.X_REQUEST_ID)) {
            out.set(Forwarding.X_REQUEST_ID, requestId);
        }
        if (conn.proxy.listener.compression() && !out.contains(HttpHeaders.CONTENT_ENCODING)
                && !(route.compression && Compressible.is(out.get(HttpHeaders.CONTENT_TYPE)))) {
            out.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
        boolean bodiless = code == 204 || code == 304;
        if (!bodiless && !out.contains(HttpHeaders.CONTENT_LENGTH)) {
            out.set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED);
        }
        decorate(out);
        // Held back one message: when the whole body follows in the same read, head and body leave as one message
        // (one buffer, one write) instead of two.
        pendingStatus = res.status();
        pendingHeaders = out;
        a.keepAlive = HttpUtil.isKeepAlive(res);
        return true;
    }

    /** Headers every answer of this listener carries: HSTS, and Connection: close when the client asked for it. */
    private void decorate(MultiMap out) {
        if (conn.hsts != null) {
            out.set(HttpsRedirect.STRICT_TRANSPORT_SECURITY, conn.hsts);
        }
        if (!clientKeepAlive) {
            out.set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
    }

    private void holdBody(ByteBuf piece) {
        if (pendingBody == null) {
            pendingBody = piece;
        } else {
            if (!(pendingBody instanceof io.netty.buffer.CompositeByteBuf)) {
                pendingBody = conn.ctx.alloc().compositeBuffer().addComponent(true, pendingBody);
            }
            ((io.netty.buffer.CompositeByteBuf) pendingBody).addComponent(true, piece);
        }
    }

    /** Writes the held response head, and any body held with it, as a head and a piece of body. */
    private void writeHead() {
        if (pendingHeaders != null) {
            conn.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, pendingStatus, pendingHeaders));
            pendingHeaders = null;
            if (pendingBody != null) {
                conn.write(new io.netty.handler.codec.http.DefaultHttpContent(pendingBody));
                pendingBody = null;
            }
        }
    }

    private void responseEnd(Attempt a, LastHttpContent last) {
        bytesOut += last.content().readableBytes();
        if (pendingBody != null) {
            // The held pieces and the last one make the whole body.
            holdBody(last.content());
            ByteBuf whole = pendingBody;
            pendingBody = null;
            last = new io.netty.handler.codec.http.DefaultLastHttpContent(whole, last.trailingHeaders());
        }
        if (pendingHeaders != null) {
            if (last.trailingHeaders().isEmpty() && pendingHeaders.contains(HttpHeaders.TRANSFER_ENCODING)) {
                // The whole body is here: its length replaces the chunked framing the head was given.
                pendingHeaders.remove(HttpHeaders.TRANSFER_ENCODING);
                pendingHeaders.set(HttpHeaders.CONTENT_LENGTH, String.valueOf(last.content().readableBytes()));
            }
            if (conn.canWriteEncoded() && last.trailingHeaders().isEmpty()) {
                conn.writeEncoded(Http1Encoding.response(conn.ctx.alloc(), pendingStatus, pendingHeaders,
                        last.content()));
            } else {
                conn.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, pendingStatus, last.content(),
                        pendingHeaders, last.trailingHeaders()));
            }
            pendingHeaders = null;
        } else {
            conn.write(last);
        }
        // Head, body and end of a response that came in one read leave in one flush.
        conn.flush();
        UpstreamChannels.Connection c = a.connection;
        a.connection = null;
        if (a.keepAlive && bodyEnded) {
            c.release();
        } else {
            c.discard();
        }
        complete();
    }

    @Override
    public void upstreamReadComplete() {
        // A head alone stays held until body bytes (or the end) come: a backend that dies before any body then gets
        // the client a clean 502, as on the full path, whose head also leaves with the first body bytes.
        if (pendingBody != null) {
            writeHead();
        }
        conn.flush();
    }

    void downstreamWritable() {
        Attempt a = current;
        if (a != null && a.connection != null && !a.connection.channel.config().isAutoRead()) {
            a.connection.channel.config().setAutoRead(true);
        }
    }

    @Override
    public void upstreamClosed() {
        Attempt a = current;
        if (a == null || a.connection == null) {
            return;
        }
        a.connection = null;
        attemptFailed(a, ProxyError.UPSTREAM_RESET, new java.io.IOException("connection closed by backend"));
    }

    // ---- retries, deadlines, the end ------------------------------------------------------------------------

    private boolean canRetry() {
        return attempts < route.attempts && !bodySent && Exchange.isIdempotent(method)
                && route.pool.retryWithinBudget();
    }

    private void retry() {
        afterBackoff(conn.proxy.vertx, this::attempt);
    }

    private void attemptFailed(Attempt a, ProxyError error, Throwable cause) {
        if (done || a.abandoned) {
            a.release();
            return;
        }
        Backend b = a.backend;
        if (responseStarted) {
            conn.proxy.health.failure(b, "reset mid-response");
            a.release();
            if (pendingHeaders != null) {
                // The head is still held back: the client can get a clean 502 instead of a cut-off response.
                pendingHeaders = null;
                fail(ProxyError.UPSTREAM_RESET, "backend closed after the response head");
                return;
            }
            // The head already went out: all that is left is to cut the client off mid-response.
            errorName = "RESPONSE_INCOMPLETE";
            aborted = true;
            complete();
            return;
        }
        if (error == ProxyError.UPSTREAM_RESET && a.reused && !staleRetried && !bodySent
                && Exchange.isIdempotent(method)) {
            // A pooled connection the backend had just closed (the keep-alive race): not a failure, not a try.
            staleRetried = true;
            a.release();
            attempts--;
            attempt();
            return;
        }
        conn.proxy.health.failure(b, error == ProxyError.UPSTREAM_CONNECT_FAILED ? "connect failed" : "reset");
        a.release();
        lastError = error;
        if (retriesOn(error) && canRetry()) {
            retry();
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {}: {} ({})", requestId, uri, b, error, cause.toString());
        }
        fail(error, String.valueOf(cause.getMessage()));
    }

    @Override
    void checkDeadlines(long now) {
        if (done || responseStarted) {
            untrack();
            return;
        }
        if (now >= deadlineNanos) {
            if (backend != null) {
                conn.proxy.health.failure(backend, "timeout");
            }
            Attempt a = current;
            fail(ProxyError.UPSTREAM_TIMEOUT, "no response within " + route.timeoutMillis + "ms");
            if (a != null) {
                a.abandon();
            }
            return;
        }
        if (now >= attemptDeadlineNanos && current != null && current.held && !current.abandoned) {
            attemptDeadlineNanos = Long.MAX_VALUE;
            Attempt a = current;
            conn.proxy.health.failure(a.backend, "per-try timeout");
            a.abandon();
            lastError = ProxyError.UPSTREAM_TIMEOUT;
            if (canRetry()) {
                retry();
            } else {
                fail(ProxyError.UPSTREAM_TIMEOUT, "per-try timeout and no retry left");
            }
        }
    }

    /** The request body broke the grammar mid-way: the try is cut off, and the client told when it still can be. */
    void badBody() {
        if (done) {
            return;
        }
        Attempt a = current;
        aborted = true;
        if (responseStarted) {
            errorName = "BAD_REQUEST";
            complete();
        } else {
            fail(ProxyError.BAD_REQUEST, "malformed request body");
        }
        if (a != null) {
            a.abandon();
        }
    }

    void clientClosed() {
        if (done) {
            return;
        }
        clientGone = true;
        Attempt a = current;
        complete();
        if (a != null) {
            a.abandon();
        }
    }

    private void untrack() {
        if (inFlight) {
            conn.proxy.untrack(this);
        }
    }

    /** The one place a failure becomes a response: status and short body, then the exchange is over. */
    private void fail(ProxyError error, String detail) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {}", requestId, method, uri, detail);
        }
        // One rule on both paths: a malformed or refused request, or one whose body was not read to its end,
        // closes the connection after its answer.
        if (error == ProxyError.BAD_REQUEST || error == ProxyError.PAYLOAD_TOO_LARGE
                || error == ProxyError.URI_TOO_LONG || !bodyEnded) {
            aborted = true;
        }
        errorName = error.name();
        status = error.status;
        ByteBuf content = ByteBufUtil.writeAscii(conn.ctx.alloc(), error.body);
        HeadersMultiMap h = HeadersMultiMap.httpHeaders();
        h.set(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
        h.set(HttpHeaders.CONTENT_LENGTH, String.valueOf(content.readableBytes()));
        h.set(Forwarding.X_REQUEST_ID, requestId);
        if (conn.proxy.listener.compression()) {
            h.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
        decorate(h);
        if (aborted) {
            h.set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        bytesOut = content.readableBytes();
        conn.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(error.status),
                content, h, EmptyHttpHeaders.INSTANCE));
        conn.flush();
        complete();
    }

    private void complete() {
        if (done) {
            return;
        }
        done = true;
        if (pendingBody != null) {
            pendingBody.release();
            pendingBody = null;
        }
        if (queuedBody != null) {
            ByteBuf b;
            while ((b = queuedBody.poll()) != null) {
                b.release();
            }
        }
        if (!bodyEnded) {
            // The rest of the body is read and dropped (FastPath), so the connection stays usable.
            conn.pauseBody(false);
        }
        untrack();
        if (current != null) {
            current.release();
        }
        boolean close = !clientKeepAlive || clientGone || aborted;
        if (close && !clientGone) {
            conn.ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        finished();
        conn.finished(this, close);
    }

    /** Hands the exchange to the observers (metrics, access log): once, when it is done. */
    private void finished() {
        ExchangeObserver observer = conn.proxy.observer;
        if (observer == ExchangeObserver.NONE) {
            return;
        }
        long nanos = System.nanoTime() - startNanos;
        int s = status;
        String error = errorName;
        if (clientGone) {
            s = 499;
            error = error == null ? "CLIENT_CLOSED" : error;
        }
        if (traceparent == null) {
            traceparent = TraceContext.continueOrStart(headers.get(TraceContext.TRACEPARENT)).traceparent();
        }
        observer.completed(new ExchangeRecord(System.currentTimeMillis() - nanos / 1_000_000, nanos,
                conn.proxy.listener.name(), requestId, clientAddress(), method.name(), path, PROTOCOL,
                route.name, route.pool.name, backend == null ? null : backend.id(), s, bytesIn, bytesOut, attempts,
                null, error, headers.get(HttpHeaders.USER_AGENT), traceparent));
    }
}
