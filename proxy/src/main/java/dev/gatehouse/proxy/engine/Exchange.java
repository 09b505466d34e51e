package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.observe.ExchangeObserver;
import dev.gatehouse.proxy.observe.ExchangeRecord;
import dev.gatehouse.proxy.upstream.Http1Encoding;
import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.upstream.UpstreamChannels;

import dev.gatehouse.proxy.route.ListenerSettings;

import dev.gatehouse.proxy.filter.RequestView;
import dev.gatehouse.proxy.route.RuntimeSnapshot;

import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.cache.Invalidation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The request engine: one request's whole trip through the proxy, the same for every transport. Its phases run in a
 * fixed order: request checks → route → request filters → backend selection → upstream request (retries, hedging,
 * deadlines, passive health) → response head through the response filters → streamed body → log and metrics. The
 * client side is a {@link Downstream} (raw HTTP/1.1, or Vert.x for HTTP/2); the upstream side is always an
 * {@link UpstreamChannels} connection (HTTP/1.1 over TCP or TLS, one pool per backend per event loop).
 *
 * <p>Every answer the proxy makes itself (an error, a filter's rejection) goes through {@link #respond}: it runs the
 * response side of the filters the request passed, carries the request id, and is logged like a proxied answer. The
 * connection rule after such an answer is one: a malformed or refused request (400, 413, 414), or one whose body was
 * not read to its end, closes the connection; any other keeps it.
 *
 * <p>Lives on the event loop of its connection and is never shared: no locking. Implements {@link RequestView} for
 * the filters and, through {@link RoutedRequest}, the balancer's selection, so neither allocates.
 */
public final class Exchange extends RoutedRequest implements RequestView {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** Body pieces past this much wait with the client's reading paused until an upstream connection takes them. */
    private static final int MAX_QUEUED_BODY = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final ProxyHandler handler;
    final Downstream downstream;
    private final RuntimeSnapshot snapshot;
    private final long startNanos;
    private final HttpMethod method;
    private final MultiMap headers;
    private String requestId;
    private String path;
    private String upstreamUri;
    private String hostHeader;
    private String peer;
    private String traceparent;
    private boolean traceContinued;
    private JsonObject claims;

    /** The route's response cache stage; {@code null} on a route that does not cache. */
    private CacheStage cache;
    /** A background refresh of a stale cache entry: no client waits for it. */
    boolean refresh;

    /** How many of the route's filters let the request through: the proxy's own answers pass back through them. */
    private int filtersPassed;

    private Backend backend;
    /** The try whose response is (or will be) sent; a hedge may run beside it until one answers. */
    private Attempt current;
    private Attempt hedge;
    private ProxyError lastError = ProxyError.NO_HEALTHY_BACKEND;
    private boolean staleRetried;

    // The request body: its framing, what waits for an upstream connection, how far it got.
    private long contentLength = -1;
    private boolean hasBody;
    private boolean chunkedUp;
    private boolean expectContinue;
    private long bodyLimit;
    private long bytesIn;
    private boolean bodyEnded = true;
    /** Body bytes went upstream: the request can no longer be retried. */
    private boolean bodySent;
    private ArrayDeque<ByteBuf> queuedBody;
    /** Body pieces were written upstream and wait for the end of the client's read to be flushed. */
    private boolean upstreamUnflushed;
    /**
     * A try whose connection is ready and whose head waits for the end of the client's read: a body that arrives
     * whole in that read goes up with the head in one write (a chunked one with its Content-Length, as nginx's request
     * buffering sends it).
     */
    private Attempt headDeferred;
    private int queuedBytes;

    // The response.
    private boolean responseStarted;
    private boolean skippingInterim;
    private int status;
    private long bytesOut;
    private String errorName;
    private boolean clientGone;
    /** The whole answer was handed to the client: a stream closing after it is no client going away. */
    private boolean answered;
    /** The connection must close after this exchange (the response was cut off, or the request was refused). */
    private boolean closeAfter;

    // Deadlines, checked by the handler's sweep instead of a timer per request (one periodic timer per loop).
    private long deadlineNanos = Long.MAX_VALUE;
    private long attemptDeadlineNanos = Long.MAX_VALUE;
    private long hedgeAtNanos = Long.MAX_VALUE;

    public Exchange(ProxyHandler handler, Downstream downstream) {
        this.handler = handler;
        this.downstream = downstream;
        this.snapshot = handler.runtime.current();
        this.startNanos = System.nanoTime();
        this.method = downstream.method();
        this.headers = downstream.headers();
    }

    // ---- phase 1-3: request checks, route, filters ----------------------------------------------------------

    public void start() {
        handler.observer.requestStarted(handler.listener);
        requestId = Forwarding.requestId(headers.get(Forwarding.X_REQUEST_ID));
        String problem = downstream.framingProblem();
        if (problem != null) {
            fail(ProxyError.BAD_REQUEST, problem);
            return;
        }
        contentLength = downstream.contentLength();
        hasBody = downstream.bodyFollows();
        bodyEnded = !hasBody;
        chunkedUp = hasBody && contentLength < 0;
        String uri = downstream.uri();
        if (uri.length() > handler.listener.maxUriLength()) {
            // The decoder's line limit leaves room for method and version; the target limit is exact here.
            fail(ProxyError.URI_TOO_LONG, "uri of " + uri.length() + " chars");
            return;
        }
        if (method == HttpMethod.CONNECT) {
            fail(ProxyError.METHOD_NOT_ALLOWED, "CONNECT");
            return;
        }
        String authority = downstream.authority();
        HostAndPort parsed = authority == null ? null : HostAndPort.parseAuthority(authority, -1);
        if (parsed == null && !"HTTP/1.0".equals(downstream.protocol())) {
            fail(ProxyError.BAD_REQUEST, authority == null ? "missing Host" : "bad Host");
            return;
        }
        hostHeader = authority;
        String host = parsed == null ? null : normalizeHost(parsed.host());
        String rawPath = rawPath(uri);
        if (rawPath == null) {
            fail(ProxyError.BAD_REQUEST, "bad request target");
            return;
        }
        if (rawPath.equals("*")) {
            path = "*";
        } else {
            path = handler.listener.path().normalize(rawPath);
            if (path == null) {
                fail(ProxyError.BAD_REQUEST, "path: " + handler.listener.path().problem(rawPath));
                return;
            }
        }
        route = snapshot.routes().match(host, path, method, headers);
        if (route == null) {
            // OPTIONS * with Max-Forwards: 0 asks this proxy about itself, route or not.
            if ((method == HttpMethod.TRACE || method == HttpMethod.OPTIONS) && maxForwardsReached()) {
                return;
            }
            fail(ProxyError.NO_ROUTE, "no route for " + host + path);
            return;
        }
        runFilters(0);
    }

    /** The path of a request target: origin form up to the query, the path of an absolute form, or "*"; else null. */
    static String rawPath(String uri) {
        if (uri.isEmpty()) {
            return null;
        }
        int start;
        if (uri.charAt(0) == '/') {
            start = 0;
        } else if (uri.equals("*")) {
            return "*";
        } else {
            int scheme = uri.indexOf("://");
            if (scheme <= 0) {
                return null;
            }
            start = uri.indexOf('/', scheme + 3);
            if (start < 0) {
                return "/"; // an absolute form with an empty path
            }
        }
        int q = uri.indexOf('?', start);
        int hash = uri.indexOf('#', start);
        int end = q < 0 ? uri.length() : q;
        if (hash >= 0 && hash < end) {
            end = hash;
        }
        return uri.substring(start, end);
    }

    /** The query of a request target including its '?', or "". */
    private static String query(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? "" : uri.substring(q);
    }

    /**
     * Request filters in order from {@code from}. Synchronous ones run inline; an asynchronous one (a bcrypt check on
     * a worker, a JWKS fetch) suspends the chain, which resumes on this event loop when it answers.
     */
    private void runFilters(int from) {
        List<ProxyFilter> filters = route.filters;
        for (int i = from; i < filters.size(); i++) {
            ProxyFilter f = filters.get(i);
            filtersPassed = i;
            if (f.async()) {
                int next = i + 1;
                f.onRequestAsync(this).onComplete(ar -> {
                    if (done) {
                        return;
                    }
                    if (ar.failed()) {
                        fail(ProxyError.INTERNAL, "filter failed: " + ar.cause());
                    } else if (ar.result() != null) {
                        reject(ar.result());
                    } else {
                        runFilters(next);
                    }
                });
                return;
            }
            ProxyFilter.Rejection r = f.onRequest(this);
            if (r != null) {
                reject(r);
                return;
            }
        }
        filtersPassed = filters.size();
        proceed();
    }

    /** Past the filters: limits, then the upstream request (or a WebSocket tunnel). */
    private void proceed() {
        bodyLimit = route.maxBodyBytes >= 0 ? route.maxBodyBytes : handler.listener.maxBodyBytes();
        if (bodyLimit > 0 && contentLength > bodyLimit) {
            fail(ProxyError.PAYLOAD_TOO_LARGE, "content-length " + contentLength + " > " + bodyLimit);
            return;
        }
        String expect = headers.get(HttpHeaders.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                fail(ProxyError.EXPECTATION_FAILED, "expect " + expect);
                return;
            }
            // RFC 9110 §10.1.1: an HTTP/1.0 client gets no 100 Continue (it cannot expect one), the body just follows.
            expectContinue = hasBody && !downstream.http10();
        }
        if ((method == HttpMethod.TRACE || method == HttpMethod.OPTIONS) && maxForwardsReached()) {
            return;
        }
        String uri = downstream.uri();
        String originForm = uri.charAt(0) == '/' || uri.equals("*") ? uri : path + query(uri);
        upstreamUri = route.upstreamUri(path, originForm);
        if (upstreamUri == null) {
            fail(ProxyError.BAD_REQUEST, "prefix-rewrite would leave its prefix");
            return;
        }
        if (isWebSocketUpgrade()) {
            if (!downstream.tunnel(this)) {
                fail(ProxyError.BAD_REQUEST, "upgrade not available on this connection");
            }
            return;
        }
        // The route's deadline runs from here: a cache lookup or a collapsed wait that hangs is bounded by it too.
        deadlineNanos = startNanos + route.timeoutMillis * 1_000_000L;
        if (route.caching != null) {
            handler.track(this);
            cache = CacheStage.of(this, route.caching, handler.runtime.responseCache(), refresh);
            if (cache.begin()) {
                return; // the cache answers, or goes forward when it has looked
            }
        } else if (!Invalidation.isSafe(method.name()) && snapshot.routes().anyCaching() != null) {
            // An unsafe request on a route that does not cache still invalidates what another route stored.
            cache = CacheStage.of(this, snapshot.routes().anyCaching(), handler.runtime.responseCache(), false);
            cache.begin();
        }
        forward();
    }

    /**
     * {@link #forward} after waiting on another request's fill that did not answer this one (collapsed misses): the
     * route's timeout starts again for the origin, as after nginx's {@code proxy_cache_lock_timeout}, so the wait,
     * itself bounded by {@code collapse-wait}, is not taken out of the time the origin gets.
     */
    void forwardAfterWait() {
        deadlineNanos = System.nanoTime() + route.timeoutMillis * 1_000_000L;
        forward();
    }

    /**
     * A response head on a listener with a compressor. What this route must not compress is marked identity (the
     * compressor leaves marked responses alone). What it may compress depends on the client's Accept-Encoding, so it
     * says so with {@code Vary: Accept-Encoding} whether or not this client gets it compressed (nginx's
     * {@code gzip_vary}), else a cache in front could hand gzip to a client that cannot read it; and a strong ETag on a
     * body about to be compressed becomes weak, as nginx does: the bytes are no longer the origin's.
     */
    private void markCompression(HeadersMultiMap out) {
        if (!handler.listener.compression() || out.contains(HttpHeaders.CONTENT_ENCODING)) {
            return;
        }
        if (!(route.compression && Compressible.is(out.get(HttpHeaders.CONTENT_TYPE)))) {
            out.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
            return;
        }
        java.util.Set<String> vary = Forwarding.connectionTokens(out.getAll(HttpHeaders.VARY));
        if (!vary.contains("accept-encoding") && !vary.contains("*")) {
            out.add(HttpHeaders.VARY, "Accept-Encoding");
        }
        String etag = out.get(HttpHeaders.ETAG);
        if (etag != null && etag.startsWith("\"") && Compressible.accepted(headers.get(HttpHeaders.ACCEPT_ENCODING))) {
            out.set(HttpHeaders.ETAG, "W/" + etag);
        }
    }

    /** Phase 4-5: backend selection and the upstream request, under the route's deadline. */
    void forward() {
        if (!inFlight) {
            handler.track(this);
        }
        attempt();
    }

    /**
     * The cache asks the origin once more for a request it took the answer of (a 304 that selected nothing stored):
     * a new try, as unconditional as the cache now writes it. The request is a GET or HEAD without a body.
     */
    void refetch() {
        if (done) {
            return;
        }
        if (attempts >= MAX_ATTEMPTS || backend == null) {
            fail(ProxyError.UPSTREAM_PROTOCOL, "304 Not Modified does not match the stored response");
            return;
        }
        // The backend that answered: nothing failed there (a balancer's pick would avoid it as already tried).
        skippingInterim = false;
        current = start(backend);
    }

    /** Whether the request has a body (a cache never answers one). */
    boolean hasRequestBody() {
        return hasBody;
    }

    /** The normalised path with the query: the target the cache keys. */
    String pathAndQuery() {
        return path + query(downstream.uri());
    }

    private boolean isWebSocketUpgrade() {
        // RFC 6455 §4.1: a GET of HTTP/1.1 or later. Otherwise Upgrade is only a hop-by-hop field, dropped on the way
        // (RFC 9110 §7.8: a server ignores it on HTTP/1.0), and the request goes up as what it is.
        if (method != HttpMethod.GET || downstream.http10()) {
            return false;
        }
        String upgrade = headers.get(HttpHeaders.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket")
                && Forwarding.connectionTokens(headers.getAll(HttpHeaders.CONNECTION)).contains("upgrade");
    }

    // ---- the view filters and the balancer read -------------------------------------------------------------

    @Override
    public HttpMethod method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String header(CharSequence name) {
        return headers.get(name);
    }

    @Override
    public MultiMap headers() {
        return headers;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public Vertx vertx() {
        return handler.vertx;
    }

    @Override
    public JsonObject claims() {
        return claims;
    }

    @Override
    public void claims(JsonObject claims) {
        this.claims = claims;
    }

    @Override
    public String clientAddress() {
        if (peer == null) {
            peer = downstream.clientAddress();
            if (peer == null) {
                peer = "unknown";
            }
        }
        return peer;
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

    public String hostHeader() {
        return hostHeader;
    }

    RuntimeSnapshot snapshot() {
        return snapshot;
    }

    // ---- phase 4-5: backend selection and the upstream request ----------------------------------------------

    /** One upstream try: its backend, its connection once it has one, and whether it still holds the backend. */
    final class Attempt extends Claim implements UpstreamChannels.Waiter, UpstreamChannels.Connection.Owner {
        UpstreamChannels.Connection connection;
        boolean reused;
        boolean waiting = true;
        /** The backend's response lets the connection carry another request. */
        boolean keepAlive;
        /** This try's connection has the request head; body pieces go straight to it. */
        boolean bodyFlowing;
        /** The upstream request has not been sent to its end: its connection can never be reused. */
        boolean bodyOpen;

        Attempt(Backend backend, boolean retry) {
            super(backend, retry);
        }

        /** Stops this try; its connection, mid-exchange, is closed rather than reused. */
        void abandon() {
            abandoned = true;
            release();
            if (waiting) {
                waiting = false;
                handler.channels.cancel(backend, this);
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
            c.own(this);
            send(this, c);
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
            if (done || abandoned) {
                return;
            }
            Attempt other = otherInFlight(this);
            abandoned = true;
            if (other != null) {
                // A hedge refused for overload leaves the other try to answer (and the other way round).
                current = other;
                hedge = null;
                return;
            }
            fail(ProxyError.OVERLOADED, "pending requests to " + backend + " at their limit");
        }

        @Override
        public void upstreamRead(Object msg) {
            Exchange.this.upstreamRead(this, msg);
        }

        @Override
        public void upstreamReadComplete() {
            if (this == current && !done) {
                downstream.flush();
            }
        }

        @Override
        public void upstreamClosed() {
            if (connection == null) {
                return;
            }
            connection = null;
            attemptFailed(this, ProxyError.UPSTREAM_RESET, new java.io.IOException("connection closed by backend"));
        }

        @Override
        public void upstreamWritable() {
            if (this == current && !bodyEnded && !done && bodyFlowing && connection != null
                    && connection.channel.isWritable()) {
                downstream.readBody(true);
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
        current = start(b);
        if (route.hedgeDelayNanos > 0 && !hasBody && isIdempotent(method) && hedge == null) {
            hedgeAtNanos = System.nanoTime() + route.hedgeDelayNanos;
        }
    }

    private Attempt start(Backend b) {
        boolean retry = tryOn(b);
        backend = b;
        handler.observer.upstreamAttempt(route.name, b, retry);
        Attempt a = new Attempt(b, retry);
        attemptDeadlineNanos = route.perTryTimeoutNanos > 0 ? System.nanoTime() + route.perTryTimeoutNanos
                : Long.MAX_VALUE;
        handler.channels.acquire(route.pool, b, a);
        return a;
    }

    static String backendAuthority(Backend b) {
        String host = b.host().indexOf(':') >= 0 && !b.host().startsWith("[") ? "[" + b.host() + "]" : b.host();
        boolean defaultPort = b.port() == (b.tls() ? 443 : 80);
        return defaultPort ? host : host + ":" + b.port();
    }

    /** Writes the upstream request: the client's end-to-end headers plus forwarding, Via, request id and trace. */
    private void send(Attempt a, UpstreamChannels.Connection c) {
        if (hasBody && !bodyEnded && headDeferred == null && !bodySent && downstream.signalsReadEnd()) {
            headDeferred = a;
            return;
        }
        writeRequest(a, c);
    }

    private void writeRequest(Attempt a, UpstreamChannels.Connection c) {
        // A chunked body that is all here already goes up with its length: no chunk framing for the backend to parse.
        boolean whole = chunkedUp && bodyEnded;
        long upstreamLength = contentLength >= 0 ? contentLength : whole ? queuedBytes : -1;
        // Unless a filter or the cache edits the upstream headers, the client's pass-through fields are written
        // straight from its own map, and `out` holds only what the proxy sets: no copy of every field per request.
        boolean direct = cache == null && !route.filtersEditUpstreamRequest && headers instanceof HeadersMultiMap;
        HeadersMultiMap out = HeadersMultiMap.httpHeaders();
        if (!direct && headers instanceof HeadersMultiMap h) {
            Forwarding.copyEndToEnd(h, out, true);
        } else if (!direct) {
            Forwarding.copyEndToEnd(headers, out, true);
        }
        if (hostHeader != null) {
            out.set(HttpHeaders.HOST, hostHeader);
        } else {
            // An HTTP/1.0 request may come without Host, an HTTP/1.1 request upstream may not: the backend's own
            // authority then, as nginx's default $proxy_host.
            out.set(HttpHeaders.HOST, backendAuthority(a.backend));
        }
        // Framing from the parsed message, never the client's bytes: the body's length, chunked, or nothing.
        if (upstreamLength >= 0) {
            out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(upstreamLength));
            chunkedUp = false;
        } else if (chunkedUp) {
            out.set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED);
        }
        // X-Client-Cert-* from the client never pass; they are set only from a verified client certificate.
        ClientIdentity.apply(downstream.peerCertificateSession(), out);
        ListenerSettings l = handler.listener;
        boolean trusted = l.trusted(downstream.remotePeer());
        Forwarding.addForwarding(headers, out, clientAddress(), trusted, l.scheme(), hostHeader);
        Forwarding.addVia(headers, out, downstream.viaProtocol());
        out.set(Forwarding.X_REQUEST_ID, requestId);
        if (traceparent == null) {
            // W3C trace context: the proxy is a hop of the trace; the same span for every attempt.
            TraceContext t = TraceContext.continueOrStart(headers.get(TraceContext.TRACEPARENT));
            traceparent = t.traceparent();
            traceContinued = t.continued();
        }
        out.set(TraceContext.TRACEPARENT, traceparent);
        if (!traceContinued) {
            out.remove(TraceContext.TRACESTATE);
        }
        List<ProxyFilter> filters = route.filters;
        for (int i = 0; i < filters.size(); i++) {
            filters.get(i).onUpstreamRequest(this, out);
        }
        if (cache != null) {
            cache.upstreamRequest(out);
        }
        c.bodilessResponse(method == HttpMethod.HEAD);
        Channel ch = c.channel;
        ByteBuf up;
        if (direct) {
            up = Http1Encoding.requestLine(ch.alloc(), method.toNetty(), upstreamUri);
            Forwarding.encodeEndToEndRequest((HeadersMultiMap) headers, !traceContinued, trusted, up);
            Http1Encoding.endHead(up, out);
        } else {
            up = Http1Encoding.request(ch.alloc(), method.toNetty(), upstreamUri, out);
        }
        // A failed write fires exceptionCaught, which closes the connection; the close fails the try.
        if (!hasBody) {
            ch.writeAndFlush(up, ch.voidPromise());
            return;
        }
        a.bodyOpen = true;
        a.bodyFlowing = true;
        bodySent = true;
        if (bodyEnded && !chunkedUp && queuedBytes <= MAX_QUEUED_BODY) {
            // The whole (small) body is here: head and body leave as one buffer in one write.
            ByteBuf b;
            while (queuedBody != null && (b = queuedBody.poll()) != null) {
                up.writeBytes(b);
                b.release();
            }
            queuedBytes = 0;
            a.bodyOpen = false;
            ch.writeAndFlush(up, ch.voidPromise());
            return;
        }
        ch.write(up, ch.voidPromise());
        if (queuedBody != null) {
            ByteBuf b;
            while ((b = queuedBody.poll()) != null) {
                writeBodyPiece(ch, b);
            }
            queuedBytes = 0;
        }
        if (bodyEnded) {
            endBody(a, ch);
        }
        ch.flush();
        if (expectContinue) {
            expectContinue = false;
            downstream.sendContinue();
        }
        if (!bodyEnded) {
            downstream.readBody(ch.isWritable());
        }
    }

    private void writeBodyPiece(Channel ch, ByteBuf b) {
        if (chunkedUp) {
            // "size CRLF" in one small buffer, the data as it came, and CRLF: no copy of the data.
            int n = b.readableBytes();
            ByteBuf size = ch.alloc().buffer(10);
            ByteBufUtil.writeAscii(size, Integer.toHexString(n));
            size.writeBytes(CRLF);
            ch.write(size, ch.voidPromise());
            ch.write(b, ch.voidPromise());
            ch.write(Unpooled.wrappedBuffer(CRLF), ch.voidPromise());
        } else {
            ch.write(b, ch.voidPromise());
        }
    }

    private void endBody(Attempt a, Channel ch) {
        if (chunkedUp) {
            ch.write(Unpooled.wrappedBuffer(LAST_CHUNK), ch.voidPromise());
        }
        a.bodyOpen = false;
    }

    /**
     * A piece of the request body from the client ({@code last}: the end, possibly empty). It goes straight upstream
     * once a connection has the head, else it waits (reading pauses past {@link #MAX_QUEUED_BODY}). False when the
     * exchange is over: the caller drops it.
     */
    public boolean requestBody(ByteBuf b, boolean last) {
        if (done || bodyEnded) {
            return false;
        }
        int n = b.readableBytes();
        bytesIn += n;
        if (contentLength >= 0 && bytesIn > contentLength) {
            // More body than the declared length (an HTTP/2 client can send that): never let it reach a backend.
            b.release();
            fail(ProxyError.BAD_REQUEST, "body longer than content-length");
            return true;
        }
        if (bodyLimit > 0 && bytesIn > bodyLimit) {
            b.release();
            fail(ProxyError.PAYLOAD_TOO_LARGE, "body over " + bodyLimit);
            return true;
        }
        if (last) {
            if (contentLength >= 0 && bytesIn != contentLength) {
                b.release();
                fail(ProxyError.BAD_REQUEST, "body shorter than content-length");
                return true;
            }
            bodyEnded = true;
        }
        Attempt a = current;
        if (a != null && a.bodyFlowing && a.connection != null) {
            Channel ch = a.connection.channel;
            if (n > 0) {
                writeBodyPiece(ch, b);
            } else {
                b.release();
            }
            if (last) {
                endBody(a, ch);
            }
            if (downstream.signalsReadEnd()) {
                // Flushed once at the end of the client's read (requestReadEnd): one write for all it brought.
                upstreamUnflushed = true;
            } else {
                ch.flush();
            }
            if (!last && !ch.isWritable()) {
                downstream.readBody(false);
            }
            return true;
        }
        if (n == 0) {
            b.release();
            return true;
        }
        if (queuedBody == null) {
            queuedBody = new ArrayDeque<>(4);
        }
        queuedBody.add(b);
        queuedBytes += n;
        if (!last && queuedBytes >= MAX_QUEUED_BODY) {
            downstream.readBody(false);
        }
        return true;
    }

    /** The client's read ended: body pieces it brought go upstream in one flush. */
    public void requestReadEnd() {
        Attempt deferred = headDeferred;
        if (deferred != null) {
            headDeferred = null;
            if (!done && !deferred.abandoned && deferred.connection != null) {
                writeRequest(deferred, deferred.connection);
            }
        }
        if (upstreamUnflushed) {
            upstreamUnflushed = false;
            Attempt a = current;
            if (a != null && a.connection != null) {
                a.connection.channel.flush();
            }
        }
    }

    // ---- phase 6: the response ------------------------------------------------------------------------------

    private void upstreamRead(Attempt a, Object msg) {
        if (done || a.abandoned || a.connection == null) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse res) {
            if (!res.decoderResult().isSuccess()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                handler.health.failure(a.backend, "protocol error");
                protocolError(a, "bad response from backend");
                return;
            }
            int code = res.status().code();
            if (code == 101) {
                io.netty.util.ReferenceCountUtil.release(msg);
                protocolError(a, "101 to a request that asked for no upgrade");
                return;
            }
            if (code < 200) {
                skippingInterim = true;
                // 100 answers the Expect the proxy handles itself (never sent upstream); others go on, end-to-end
                // fields only, until the final head left.
                if (code != 100 && a == current && !downstream.headSent() && !downstream.http10()) {
                    HeadersMultiMap h = HeadersMultiMap.httpHeaders();
                    Forwarding.copyEndToEnd((HeadersMultiMap) res.headers(), h, false);
                    downstream.interim(code, h);
                }
            } else if (!responseHead(a, res)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            if (!content.decoderResult().isSuccess()) {
                // Broken framing (a bad chunk, a bad trailer): never a complete response, never a reusable
                // connection. Before the head went out the client gets a 502, after it a cut-off response.
                content.release();
                handler.health.failure(a.backend, "protocol error");
                protocolError(a, "bad response framing from backend");
                return;
            }
            if (skippingInterim) {
                skippingInterim = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (a != current) {
                content.release();
                return;
            }
            if (content instanceof LastHttpContent last) {
                responseEnd(a, last);
                return;
            }
            if (cache != null) {
                cache.body(content.content());
                if (cache.takeover || cache.suppressBody) {
                    content.release();
                    return;
                }
            }
            bytesOut += content.content().readableBytes();
            downstream.body(content.content());
            if (!downstream.writable()) {
                // Backpressure: the client is slower than the backend; stop reading until it drains.
                a.connection.channel.config().setAutoRead(false);
            }
        }
    }

    private void protocolError(Attempt a, String detail) {
        Attempt other = otherInFlight(a);
        a.abandon();
        if (other != null) {
            current = other;
            hedge = null;
            return;
        }
        fail(ProxyError.UPSTREAM_PROTOCOL, detail);
    }

    /** The head of the final response; false when it was consumed otherwise (a retry, or another try won). */
    private boolean responseHead(Attempt a, HttpResponse res) {
        int code = res.status().code();
        Backend b = a.backend;
        if (code >= 500) {
            handler.health.failure(b, "status " + code);
        } else {
            handler.health.success(b);
        }
        Attempt other = otherInFlight(a);
        if (route.retryOnStatus(code) && (other != null || (canRetry() && retryTargetLeft()))) {
            a.abandon();
            lastError = ProxyError.UPSTREAM_RESET;
            if (other != null) {
                // A hedge is still running: let it answer instead of this retryable status.
                current = other;
                hedge = null;
            } else {
                retry();
            }
            return false;
        }
        if (other != null) {
            // First answer wins: the other try is cut off.
            other.abandon();
        }
        current = a;
        backend = a.backend;
        hedge = null;
        responseStarted = true;
        untrack();
        status = code;
        a.keepAlive = HttpUtil.isKeepAlive(res);
        if (!res.headers().contains(HttpHeaders.DATE)) {
            // RFC 9110 §6.6.1: a response forwarded (or cached) without a Date gets the time it was received.
            res.headers().set(HttpHeaders.DATE, DateField.now());
        }
        HeadersMultiMap upstreamHeaders = (HeadersMultiMap) res.headers();
        if (cache != null && cache.responseHead(code, upstreamHeaders)) {
            return true; // the cache answers from what it stored once this response is drained
        }
        String via = res.protocolVersion() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1";
        // Without a cache stage nothing else reads the backend's head: it becomes the client's, edited in place.
        HeadersMultiMap out = cache == null ? relayedInPlace(upstreamHeaders, via) : relayedHeaders(upstreamHeaders, via);
        markCompression(out);
        if (code == 204) {
            // RFC 9110 §8.6: never on a 204 (nginx drops it too); the client might wait for that many bytes.
            out.remove(HttpHeaders.CONTENT_LENGTH);
        }
        boolean bodiless = method == HttpMethod.HEAD || code == 204 || code == 304;
        if (cache != null) {
            out = cache.downstreamHead(code, out);
            if (cache.suppressBody) {
                code = 304;
                bodiless = true;
                status = 304;
            }
        }
        downstream.head(code, out, bodiless);
        return true;
    }

    /**
     * The head of an answer relayed from a backend: its end-to-end fields, Via, the request id (the backend's own if
     * it set one), the response side of the route's filters in reverse order, and HSTS.
     */
    HeadersMultiMap relayedHeaders(MultiMap in, String viaProtocol) {
        HeadersMultiMap out = HeadersMultiMap.httpHeaders();
        if (in instanceof HeadersMultiMap h) {
            Forwarding.copyEndToEnd(h, out, false);
        } else {
            Forwarding.copyEndToEnd(in, out, false);
        }
        return finishRelayed(in, out, viaProtocol);
    }

    /** {@link #relayedHeaders} made from {@code headers} itself: the same fields, in the same order. */
    private HeadersMultiMap relayedInPlace(HeadersMultiMap headers, String viaProtocol) {
        Forwarding.stripResponse(headers);
        return finishRelayed(headers, headers, viaProtocol);
    }

    private HeadersMultiMap finishRelayed(MultiMap in, HeadersMultiMap out, String viaProtocol) {
        Forwarding.addVia(in, out, viaProtocol);
        if (!out.contains(Forwarding.X_REQUEST_ID)) {
            out.set(Forwarding.X_REQUEST_ID, requestId);
        }
        List<ProxyFilter> filters = route.filters;
        for (int i = filters.size() - 1; i >= 0; i--) {
            filters.get(i).onResponse(this, out);
        }
        if (handler.hsts != null) {
            out.set(Forwarding.STRICT_TRANSPORT_SECURITY, handler.hsts);
        }
        return out;
    }

    private void responseEnd(Attempt a, LastHttpContent last) {
        if (cache != null) {
            cache.body(last.content());
            if (cache.takeover || cache.suppressBody) {
                last.release();
                last = LastHttpContent.EMPTY_LAST_CONTENT;
            }
        }
        bytesOut += last.content().readableBytes();
        // The connection goes back first: ending the response may close the client's stream at once (HTTP/2), which
        // must find nothing left to cut off.
        UpstreamChannels.Connection c = a.connection;
        a.connection = null;
        if (a.keepAlive && !a.bodyOpen) {
            c.release();
        } else {
            // The backend answered before the whole request went up: the connection holds half a request.
            a.bodyOpen = false;
            c.discard();
        }
        if (cache != null && cache.takeover) {
            cache.takenOver();
            return;
        }
        answered = true;
        downstream.end(last.content(), last.trailingHeaders());
        downstream.flush();
        if (cache != null) {
            cache.responseEnd();
        }
        complete();
    }

    /**
     * Answers from the response cache: a head the cache made from a stored response (end-to-end fields, Via,
     * request id, the response filters, Age and Cache-Status already in {@code out}) and its body.
     */
    void serveStored(int code, HeadersMultiMap out, ByteBuf body, boolean bodiless) {
        if (done) {
            body.release();
            return;
        }
        if (downstream.headSent()) {
            body.release();
            closeAfter = true;
            downstream.abort();
            complete();
            return;
        }
        markCompression(out);
        untrack();
        responseStarted = true;
        status = code;
        if (bodiless) {
            body.release();
            body = Unpooled.EMPTY_BUFFER;
        }
        bytesOut = body.readableBytes();
        answered = true;
        downstream.head(code, out, bodiless);
        downstream.end(body, io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
        downstream.flush();
        complete();
    }

    /** The client can take more: an upstream connection paused for it reads again. */
    public void downstreamWritable() {
        Attempt a = current;
        if (a != null && a.connection != null && !a.connection.channel.config().isAutoRead()) {
            a.connection.channel.config().setAutoRead(true);
        }
    }

    // ---- retries, deadlines -----------------------------------------------------------------------------------

    /** The other try still waiting for an answer (the hedge, or the primary when {@code a} is the hedge). */
    private Attempt otherInFlight(Attempt a) {
        Attempt other = a == current ? hedge : current;
        return other != null && other != a && other.held && !other.abandoned ? other : null;
    }

    private boolean canRetry() {
        return attempts < route.attempts && !bodySent && isIdempotent(method) && route.pool.retryWithinBudget();
    }

    static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    private void retry() {
        afterBackoff(handler.vertx, this::attempt);
    }

    private void attemptFailed(Attempt a, ProxyError error, Throwable cause) {
        if (done || a.abandoned) {
            a.release();
            return;
        }
        Backend b = a.backend;
        if (responseStarted && a == current) {
            handler.health.failure(b, "reset mid-response");
            a.release();
            if (!downstream.headSent()) {
                // Nothing of the response went out yet: the client gets a clean 502, not a cut-off response.
                fail(ProxyError.UPSTREAM_RESET, "backend closed after the response head");
                return;
            }
            // The head already went out: all that is left is to cut the client off mid-response.
            errorName = "RESPONSE_INCOMPLETE";
            closeAfter = true;
            downstream.abort();
            complete();
            return;
        }
        Attempt other = otherInFlight(a);
        if (error == ProxyError.UPSTREAM_RESET && a.reused && !staleRetried && !bodySent && isIdempotent(method)
                && other == null) {
            // A pooled connection the backend had just closed (the keep-alive race): not the backend's failure and
            // not a try, as nginx treats cached connections; once, so the pick may be this backend again.
            staleRetried = true;
            a.release();
            attempts--;
            attempt();
            return;
        }
        handler.health.failure(b, error == ProxyError.UPSTREAM_CONNECT_FAILED ? "connect failed" : "reset");
        a.release();
        lastError = error;
        if (other != null) {
            // The hedge (or the primary) may still answer.
            current = other;
            hedge = null;
            return;
        }
        if (retriesOn(error) && canRetry()) {
            retry();
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {}: {} ({})", requestId, downstream.uri(), b, error, cause.toString());
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
            // A body still arriving means the client is what is slow, not the backend (which cannot answer before it
            // has the request): 408, and no mark against the backend, else a client that stalls its uploads could
            // get every backend of a pool ejected.
            boolean clientSlow = hasBody && !bodyEnded;
            if (backend != null && !clientSlow) {
                handler.health.failure(backend, "timeout");
            }
            Attempt a = current;
            Attempt h = hedge;
            // Answer first: the abandoned tries' closes must not be taken for resets to retry.
            if (clientSlow) {
                fail(ProxyError.REQUEST_TIMEOUT, "request body not complete within " + route.timeoutMillis + "ms");
            } else {
                fail(ProxyError.UPSTREAM_TIMEOUT, "no response within " + route.timeoutMillis + "ms");
            }
            abandon(a);
            abandon(h);
            return;
        }
        if (now >= attemptDeadlineNanos && current != null && current.held && !current.abandoned) {
            // Per-try timeout (retries.on: [timeout]): give up on this backend and try another.
            attemptDeadlineNanos = Long.MAX_VALUE;
            Attempt a = current;
            if (!hasBody || bodyEnded) {
                handler.health.failure(a.backend, "per-try timeout");
            }
            Attempt other = otherInFlight(a);
            a.abandon();
            lastError = ProxyError.UPSTREAM_TIMEOUT;
            if (other != null) {
                current = other;
                hedge = null;
            } else if (canRetry()) {
                retry();
            } else {
                fail(ProxyError.UPSTREAM_TIMEOUT, "per-try timeout and no retry left");
            }
            return;
        }
        if (now >= hedgeAtNanos) {
            hedgeAtNanos = Long.MAX_VALUE;
            startHedge();
        }
    }

    /** Request hedging: the same bodiless request to a second backend; the first answer wins. */
    private void startHedge() {
        if (hedge != null || current == null || !current.held || attempts >= route.attempts + 1
                || !route.pool.retryWithinBudget()) {
            return;
        }
        Backend b = pick();
        if (b != null) {
            Attempt primary = current;
            Attempt h = start(b);
            current = primary;
            // A hedge refused at once (its backend's queue full) is no hedge.
            hedge = h.held && !h.abandoned ? h : null;
        }
    }

    private static void abandon(Attempt a) {
        if (a != null) {
            a.abandon();
        }
    }

    // ---- the end ----------------------------------------------------------------------------------------------

    /** The request body broke the grammar mid-way: the try is cut off, and the client told when it still can be. */
    public void badBody() {
        if (done) {
            return;
        }
        Attempt a = current;
        Attempt h = hedge;
        closeAfter = true;
        if (downstream.headSent()) {
            errorName = ProxyError.BAD_REQUEST.name();
            complete();
        } else {
            fail(ProxyError.BAD_REQUEST, "malformed request body");
        }
        abandon(a);
        abandon(h);
    }

    /** The client went away (or its stream was reset): the exchange ends, and any upstream try with it. */
    public void clientClosed() {
        if (done || answered) {
            // A stream that closes because its whole answer went out (HTTP/2) is no client going away.
            return;
        }
        Attempt a = current;
        Attempt h = hedge;
        clientGone = true;
        // Done first: the closes below are ours, not backend failures to count or retry.
        complete();
        abandon(a);
        abandon(h);
    }

    /** A failure becomes the client's answer. */
    public void fail(ProxyError error, String detail) {
        if (cache != null && !downstream.headSent() && cache.answersError(error)) {
            return; // stale-if-error: a stale response answers instead
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {}", requestId, method, downstream.uri(), detail);
        }
        boolean refused = error == ProxyError.BAD_REQUEST || error == ProxyError.PAYLOAD_TOO_LARGE
                || error == ProxyError.URI_TOO_LONG || error == ProxyError.METHOD_NOT_ALLOWED;
        respond(error.status, error.body, null, error.name(), refused);
    }

    private void reject(ProxyFilter.Rejection r) {
        int s = r.status();
        // An answer that is not an error (a CORS preflight's 204) is logged as the success it is.
        String name = s < 400 ? null : s == 429 ? "RATE_LIMITED" : s == 401 ? "UNAUTHORIZED"
                : s == 403 ? "FORBIDDEN" : "REJECTED";
        respond(s, r.body(), r.headers(), name, false);
    }

    /**
     * The one responder: every answer the proxy makes itself. It carries the filter's own headers ({@code extra}), the
     * request id and HSTS, passes back through the response side of the filters the request passed, and closes the
     * connection when the request was refused or its body was not read to its end.
     */
    /**
     * RFC 9110 §7.6.2: a TRACE or OPTIONS with {@code Max-Forwards: 0} is answered here as by its final recipient;
     * a larger value goes on decremented. True when answered. A TRACE echo leaves out the fields that carry
     * credentials (the RFC's "sensitive data"): Authorization, Proxy-Authorization and Cookie.
     */
    private boolean maxForwardsReached() {
        String v = headers.get(MAX_FORWARDS);
        if (v == null) {
            return false;
        }
        long n = decimal(v.trim());
        if (n < 0) {
            return false; // not a number: passed on as it came, as if absent
        }
        if (n > 0) {
            headers.set(MAX_FORWARDS, Long.toString(Math.min(n - 1, Integer.MAX_VALUE)));
            return false;
        }
        HeadersMultiMap extra = HeadersMultiMap.httpHeaders();
        if (method == HttpMethod.OPTIONS) {
            extra.set("Allow", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE");
            respond(200, "", extra, null, false);
            return true;
        }
        StringBuilder echo = new StringBuilder(256).append(method.name()).append(' ').append(downstream.uri())
                .append(' ').append(downstream.protocol()).append("\r\n");
        for (var e : headers) {
            String name = e.getKey();
            if (!name.equalsIgnoreCase("authorization") && !name.equalsIgnoreCase("proxy-authorization")
                    && !name.equalsIgnoreCase("cookie")) {
                echo.append(name).append(": ").append(e.getValue()).append("\r\n");
            }
        }
        extra.set(HttpHeaders.CONTENT_TYPE, "message/http");
        respond(200, echo.append("\r\n").toString(), extra, null, false);
        return true;
    }

    private static final CharSequence MAX_FORWARDS = HttpHeaders.createOptimized("max-forwards");

    /** A non-negative decimal of at most 18 digits (a Content-Length, a Max-Forwards), or -1. */
    public static long decimal(String v) {
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

    void respond(int code, String body, MultiMap extra, String error, boolean refused) {
        if (done) {
            return;
        }
        errorName = error;
        if (downstream.headSent()) {
            // Part of a response already went out: it can only be cut off.
            closeAfter = true;
            downstream.abort();
            complete();
            return;
        }
        status = code;
        HeadersMultiMap h = HeadersMultiMap.httpHeaders();
        if (extra != null) {
            h.addAll(extra);
        }
        if (!h.contains(HttpHeaders.CONTENT_TYPE)) {
            h.set(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        h.set(Forwarding.X_REQUEST_ID, requestId);
        if (route != null) {
            List<ProxyFilter> filters = route.filters;
            for (int i = Math.min(filtersPassed, filters.size()) - 1; i >= 0; i--) {
                filters.get(i).onResponse(this, h);
            }
        }
        if (handler.listener.compression()) {
            h.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
        if (handler.hsts != null) {
            h.set(Forwarding.STRICT_TRANSPORT_SECURITY, handler.hsts);
        }
        if (refused || !bodyEnded) {
            closeAfter = true;
        }
        ByteBuf content = body == null || body.isEmpty() || method == HttpMethod.HEAD ? Unpooled.EMPTY_BUFFER
                : ByteBufUtil.writeUtf8(downstream.alloc(), body);
        bytesOut = content.readableBytes();
        answered = true;
        downstream.answer(code, h, content, closeAfter);
        complete();
    }

    private void complete() {
        if (done) {
            return;
        }
        done = true;
        if (queuedBody != null) {
            ByteBuf b;
            while ((b = queuedBody.poll()) != null) {
                b.release();
            }
        }
        untrack();
        Attempt a = current;
        if (headDeferred != null) {
            // Its head was never written: the connection is as clean as it came and goes back to the pool.
            Attempt d = headDeferred;
            headDeferred = null;
            if (d.connection != null) {
                UpstreamChannels.Connection c = d.connection;
                d.connection = null;
                c.release();
            }
        }
        if (a != null) {
            if (a.bodyOpen && a.connection != null) {
                // Answered before the whole request body went upstream: that connection holds half a request.
                a.abandon();
            }
            a.release();
        }
        if (hedge != null) {
            hedge.abandon();
        }
        if (cache != null) {
            cache.finished();
        }
        finished();
        downstream.finished(this, closeAfter || clientGone);
    }

    /** The body left unread when the exchange ended is read and dropped by the transport. */
    public boolean bodyEnded() {
        return bodyEnded;
    }

    private void untrack() {
        if (inFlight) {
            handler.untrack(this);
        }
    }

    /** Hands the exchange to the observers (metrics, access log): once, when it is done. */
    private void finished() {
        ExchangeObserver observer = handler.observer;
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
            // Answered without a backend: still a trace id to find the request by.
            traceparent = TraceContext.continueOrStart(headers.get(TraceContext.TRACEPARENT)).traceparent();
        }
        observer.completed(new ExchangeRecord(System.currentTimeMillis() - nanos / 1_000_000, nanos,
                handler.listener.name(), requestId, clientAddress(), method.name(), path != null ? path
                : rawPathOrUri(), downstream.protocol(), route == null ? null : route.name,
                route == null ? null : route.pool.name, backend == null ? null : backend.id(), s, bytesIn, bytesOut,
                attempts, error, headers.get(HttpHeaders.USER_AGENT), traceparent,
                cache == null ? null : cache.summary()));
    }

    private String rawPathOrUri() {
        String p = rawPath(downstream.uri());
        return p != null ? p : downstream.uri();
    }

    // ---- for the WebSocket tunnel ---------------------------------------------------------------------------

    /** Records a try on {@code b} for a tunnel: tried list, in-flight count, observers. */
    public Claim tunnelTry(Backend b) {
        boolean retry = tryOn(b);
        backend = b;
        handler.observer.upstreamAttempt(route.name, b, retry);
        return new Claim(b, retry);
    }

    public String upstreamUri() {
        return upstreamUri;
    }

    /** The upstream request headers of a tunnel's handshake (the same forwarding as any request). */
    public void tunnelHeaders(MultiMap out) {
        Forwarding.copyEndToEnd(headers, out, true);
        ClientIdentity.apply(downstream.peerCertificateSession(), out);
        ListenerSettings l = handler.listener;
        Forwarding.addForwarding(headers, out, clientAddress(), l.trusted(downstream.remotePeer()), l.scheme(),
                hostHeader);
        Forwarding.addVia(headers, out, downstream.viaProtocol());
        out.set(Forwarding.X_REQUEST_ID, requestId);
        for (ProxyFilter f : route.filters) {
            f.onUpstreamRequest(this, out);
        }
    }

    /** A tunnel's handshake was answered 101: the exchange is logged with it, and ends with the tunnel. */
    public void tunnelOpened(Backend b) {
        handler.health.success(b);
        status = 101;
    }

    /** A tunnel ended (or never opened). */
    public void tunnelClosed(Claim claim) {
        claim.release();
        complete();
    }

    /** A tunnel's backend could not be reached. */
    public void tunnelFailed(Claim claim, Throwable cause) {
        handler.health.failure(claim.backend, "connect failed");
        claim.release();
        fail(ProxyError.UPSTREAM_CONNECT_FAILED, String.valueOf(cause.getMessage()));
    }

    /** A backend refused a tunnel's upgrade with an ordinary answer, relayed whole. */
    public void tunnelRefused(Claim claim, int code, MultiMap upstreamHeaders, ByteBuf body) {
        claim.release();
        if (done) {
            body.release();
            return;
        }
        status = code;
        HeadersMultiMap out = relayedHeaders(upstreamHeaders, "1.1");
        bytesOut = body.readableBytes();
        answered = true;
        downstream.answer(code, out, body, false);
        complete();
    }
}
