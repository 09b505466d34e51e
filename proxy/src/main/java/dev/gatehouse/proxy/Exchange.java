package dev.gatehouse.proxy;

import dev.gatehouse.proxy.balance.Backend;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Stream;
import io.vertx.core.AsyncResult;
import io.vertx.core.MultiMap;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;

/**
 * One request's trip through the proxy: route, filters, balancer pick, upstream exchange with retries, and the
 * streamed response. Lives on the event loop of its connection and is never shared, so it needs no locking.
 * Implements {@link Selection} so that balancer picks allocate nothing.
 */
final class Exchange extends RoutedRequest implements RequestView {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    final HttpServerRequest request;
    final HttpServerResponse response;
    final RuntimeSnapshot snapshot;
    private final ProxyHandler handler;
    final String requestId;
    private String upstreamUri;
    /** The request path in normal form (PathNormalizer): what routes match, hash keys read and backends receive. */
    private String normalizedPath;
    private String hostHeader;
    private String peer;
    /** For the exchange record (metrics, access log): when the head arrived, and how it ended. */
    private final long startNanos;
    private String traceparent;
    private boolean traceContinued;
    private String errorName;
    /**
     * How many of the route's filters let the request through: the proxy's own answers pass back through their
     * response side (a 401 from jwt still gets the CORS headers of a cors filter before it), as a proxied answer does.
     */
    private int filtersPassed;
    private boolean clientGone;

    private Backend backend;
    /** The attempt whose response is (or will be) sent; a hedge may run beside it until one answers. */
    private Attempt current;
    private Attempt hedge;
    private ProxyError lastError = ProxyError.NO_HEALTHY_BACKEND;
    private boolean staleRetried;

    private long contentLength = -1;
    private boolean hasBody;
    private boolean expectContinue;
    private boolean bodyStarted;
    private long bodyLimit;
    private long bodyReceived;
    private boolean responseStarted;

    // Deadlines, checked by the handler's sweep instead of a timer per request (one periodic timer per loop).
    long deadlineNanos = Long.MAX_VALUE;
    long attemptDeadlineNanos = Long.MAX_VALUE;
    long hedgeAtNanos = Long.MAX_VALUE;

    Exchange(ProxyHandler handler, HttpServerRequest request, RuntimeSnapshot snapshot) {
        this.handler = handler;
        this.request = request;
        this.response = request.response();
        this.snapshot = snapshot;
        this.requestId = Forwarding.requestId(request.getHeader(Forwarding.X_REQUEST_ID));
        this.startNanos = System.nanoTime();
    }

    // ---- stage 1-4: framing, route, filters, limits ----------------------------------------------------------

    void start() {
        handler.observer.requestStarted(handler.listener);
        MultiMap h = request.headers();
        if (!checkFraming(h)) {
            return;
        }
        if (request.uri().length() > handler.listener.maxUriLength()) {
            // The decoder's line limit leaves room for method and version; the target limit is exact here.
            fail(ProxyError.URI_TOO_LONG, "uri of " + request.uri().length() + " chars");
            return;
        }
        if (request.method() == HttpMethod.CONNECT) {
            sendError(405, "method not allowed\n", true);
            errorName = "METHOD_NOT_ALLOWED";
            complete();
            return;
        }
        HostAndPort authority = request.authority();
        if (authority == null && request.version() == HttpVersion.HTTP_1_1) {
            fail(ProxyError.BAD_REQUEST, "missing Host");
            return;
        }
        hostHeader = authority == null ? null
                : authority.port() > 0 ? authority.host() + ":" + authority.port() : authority.host();
        String host = authority == null ? null : normalizeHost(authority.host());
        String path = request.path();
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            if (!"*".equals(request.uri())) {
                fail(ProxyError.BAD_REQUEST, "bad request target");
                return;
            }
            path = "*";
        } else {
            path = normalizedPath = handler.listener.path().normalize(path);
            if (path == null) {
                fail(ProxyError.BAD_REQUEST, "path: " + handler.listener.path().problem(request.path()));
                return;
            }
        }
        route = snapshot.routes().match(host, path, request.method(), h);
        if (route == null) {
            fail(ProxyError.NO_ROUTE, "no route for " + host + path);
            return;
        }
        // From here on a client that goes away ends the exchange (and any upstream try it started).
        response.closeHandler(v -> clientClosed());
        request.exceptionHandler(this::requestFailed);
        runFilters(0);
    }

    /**
     * Request filters in order from {@code from}. Synchronous ones run inline; an asynchronous one (a bcrypt check
     * on a worker thread) suspends the chain, which resumes on this event loop when it answers.
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
        proceed();
    }

    /** Past the filters: limits, then the upstream exchange (or a WebSocket tunnel). */
    private void proceed() {
        filtersPassed = route.filters.size();
        MultiMap h = request.headers();
        bodyLimit = route.maxBodyBytes >= 0 ? route.maxBodyBytes : handler.listener.maxBodyBytes();
        if (bodyLimit > 0 && contentLength > bodyLimit) {
            fail(ProxyError.PAYLOAD_TOO_LARGE, "content-length " + contentLength + " > " + bodyLimit);
            return;
        }
        String expect = h.get(HttpHeaders.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                fail(ProxyError.EXPECTATION_FAILED, "expect " + expect);
                return;
            }
            expectContinue = hasBody;
        }
        upstreamUri = route.upstreamUri(path(), originForm(request));
        if (upstreamUri == null) {
            fail(ProxyError.BAD_REQUEST, "prefix-rewrite would leave its prefix");
            return;
        }
        if (isWebSocketUpgrade(h)) {
            new Tunnel().start();
            return;
        }
        deadlineNanos = System.nanoTime() + route.timeoutMillis * 1_000_000L;
        handler.track(this);
        attempt();
    }

    /**
     * The request target in origin form ({@code /path?query}), as backends expect it: a client talking to the proxy
     * as a forward proxy sends the absolute form ({@code http://host/path}), which is not passed on.
     */
    private static String originForm(HttpServerRequest request) {
        String uri = request.uri();
        if (uri.isEmpty() || uri.charAt(0) == '/' || uri.equals("*")) {
            return uri;
        }
        String query = request.query();
        return query == null ? request.path() : request.path() + "?" + query;
    }

    /** Rejects ambiguous message framing before anything reaches a backend (request smuggling). */
    private boolean checkFraming(MultiMap h) {
        List<String> te = h.getAll(HttpHeaders.TRANSFER_ENCODING);
        List<String> cl = h.getAll(HttpHeaders.CONTENT_LENGTH);
        if (!te.isEmpty()) {
            if (!cl.isEmpty() || te.size() > 1 || !te.get(0).trim().equalsIgnoreCase("chunked")) {
                fail(ProxyError.BAD_REQUEST, "conflicting or unsupported transfer-encoding");
                return false;
            }
            hasBody = true;
            return true;
        }
        if (cl.size() > 1) {
            fail(ProxyError.BAD_REQUEST, "duplicate content-length");
            return false;
        }
        if (cl.size() == 1) {
            try {
                contentLength = Long.parseLong(cl.get(0).trim());
            } catch (NumberFormatException e) {
                contentLength = -2;
            }
            if (contentLength < 0) {
                fail(ProxyError.BAD_REQUEST, "bad content-length");
                return false;
            }
            hasBody = contentLength > 0;
            return true;
        }
        // HTTP/2 frames its body itself: no Content-Length does not mean no body, but END_STREAM on HEADERS does.
        hasBody = request.version() == HttpVersion.HTTP_2 && !request.isEnded() && !remoteEnded(request);
        return true;
    }

    /**
     * Whether the client already ended this HTTP/2 stream. The request is paused, so Vert.x has not delivered the end
     * yet (isEnded() is false), but Netty's stream state has it. Without this every bodiless h2 request went
     * upstream as an empty chunked body, and chunked requests are never retried.
     */
    private static boolean remoteEnded(HttpServerRequest request) {
        if (!(request.connection() instanceof io.vertx.core.http.impl.HttpServerConnection c)) {
            return false;
        }
        Http2ConnectionHandler h2 = c.channelHandlerContext().pipeline().get(Http2ConnectionHandler.class);
        Http2Stream stream = h2 == null ? null : h2.connection().stream(request.streamId());
        return stream != null
                && (stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE || stream.state() == Http2Stream.State.CLOSED);
    }


    private static boolean isWebSocketUpgrade(MultiMap h) {
        String upgrade = h.get(HttpHeaders.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            return false;
        }
        return Forwarding.connectionTokens(h.getAll(HttpHeaders.CONNECTION)).contains("upgrade");
    }

    // ---- hash keys ------------------------------------------------------------------------------------------

    @Override
    public String path() {
        return normalizedPath != null ? normalizedPath : request.path();
    }


    @Override
    String cookie(String name) {
        Cookie c = request.getCookie(name);
        return c == null ? null : c.getValue();
    }

    @Override
    public io.vertx.core.Vertx vertx() {
        return handler.vertx;
    }

    private io.vertx.core.json.JsonObject jwtClaims;

    @Override
    public io.vertx.core.json.JsonObject claims() {
        return jwtClaims;
    }

    @Override
    public void claims(io.vertx.core.json.JsonObject claims) {
        jwtClaims = claims;
    }

    @Override
    public HttpMethod method() {
        return request.method();
    }

    @Override
    public String header(CharSequence name) {
        return request.headers().get(name);
    }

    @Override
    public MultiMap headers() {
        return request.headers();
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String clientAddress() {
        if (peer == null) {
            SocketAddress a = request.remoteAddress();
            peer = a == null || a.host() == null ? "unknown" : a.host();
        }
        return peer;
    }

    // ---- stage 6-7: pick and upstream exchange --------------------------------------------------------------

    /** One upstream try: its backend, its request once connected, and whether it still holds the backend. */
    private final class Attempt extends Claim {
        HttpClientRequest upstream;
        boolean reusedConnection;
        /** The upstream request has not ended (its body may still be going up, or nothing was sent yet). */
        boolean bodyOpen;

        Attempt(Backend backend, boolean retry) {
            super(backend, retry);
        }

        /** Stops this try: releases it and resets its upstream request (our reset, not the backend's failure). */
        void abandon() {
            abandoned = true;
            release();
            if (upstream != null) {
                dropIfUnended();
                upstream.reset();
            }
        }

        /**
         * Closes the connection of an upstream request that has not ended. A reset alone leaves such a request queued
         * on its connection (Vert.x keeps a connection whose response ended and queues the next request behind the
         * one that never ends): the connection goes, first, so the pool cannot hand it out again, and its slot with it.
         */
        void dropIfUnended() {
            if (bodyOpen) {
                bodyOpen = false;
                upstream.connection().close();
            }
        }
    }

    private void attempt() {
        Backend b = pick();
        if (b == null) {
            fail(skippedFull ? ProxyError.OVERLOADED : attempts == 0 ? ProxyError.NO_HEALTHY_BACKEND : lastError,
                    "no backend left to try");
            return;
        }
        current = start(b);
        if (route.hedgeDelayNanos > 0 && !hasBody && isIdempotent(request.method()) && hedge == null) {
            hedgeAtNanos = System.nanoTime() + route.hedgeDelayNanos;
        }
    }

    private Attempt start(Backend b) {
        Attempt a = begin(b);
        attemptDeadlineNanos = route.perTryTimeoutNanos > 0 ? System.nanoTime() + route.perTryTimeoutNanos
                : Long.MAX_VALUE;
        handler.clients.client(route.pool).request(target(b, request.method()))
                .onComplete(ar -> connected(a, ar));
        return a;
    }

    /** Records a try on {@code b} (tried list, in-flight count, observers); a second one is a retry. */
    private Attempt begin(Backend b) {
        boolean retry = tryOn(b);
        backend = b;
        handler.observer.upstreamAttempt(route.name, b, retry);
        return new Attempt(b, retry);
    }

    /** Host, port, TLS, and for a pool with tls.server-name the name used for SNI and verification. */
    private RequestOptions target(Backend b, HttpMethod method) {
        return UpstreamTls.target(route.pool.config, b, new RequestOptions()).setMethod(method).setURI(upstreamUri);
    }

    private void connected(Attempt a, AsyncResult<HttpClientRequest> ar) {
        if (ar.failed()) {
            if (ar.cause() instanceof io.vertx.core.http.ConnectionPoolTooBusyException) {
                // Past max-pending-requests: answer at once rather than queue without bound.
                a.release();
                if (!done && !a.abandoned) {
                    fail(ProxyError.OVERLOADED, "pending requests to " + a.backend + " at their limit");
                }
                return;
            }
            attemptFailed(a, ProxyError.UPSTREAM_CONNECT_FAILED, ar.cause());
            return;
        }
        HttpClientRequest up = ar.result();
        a.upstream = up;
        // Until it ends, the request holds its connection: cut off before that, the connection must go (see abandon).
        a.bodyOpen = true;
        if (done || a.abandoned) {
            a.abandon();
            return;
        }
        a.reusedConnection = handler.clients.reused(up.connection());
        try {
            prepareHeaders(up);
        } catch (IllegalArgumentException e) {
            // A field Vert.x's client will not write (it validates what Netty's decoder let through): refused, and the
            // upstream connection, which has seen nothing, goes with the request.
            a.abandon();
            fail(ProxyError.BAD_REQUEST, "request header not forwardable: " + e.getMessage());
            return;
        }
        up.response().onComplete(r -> {
            if (r.succeeded()) {
                upstreamResponse(a, r.result());
            } else {
                attemptFailed(a, ProxyError.UPSTREAM_RESET, r.cause());
            }
        });
        if (!hasBody) {
            a.bodyOpen = false;
            up.end();
            request.resume();
            return;
        }
        bodyStarted = true;
        if (contentLength < 0) {
            up.setChunked(true);
        }
        if (expectContinue) {
            response.writeContinue();
        }
        up.exceptionHandler(err -> attemptFailed(a, ProxyError.UPSTREAM_RESET, err));
        request.exceptionHandler(this::requestFailed);
        request.handler(buf -> {
            if (done) {
                return;
            }
            bodyReceived += buf.length();
            if (contentLength >= 0 && bodyReceived > contentLength) {
                // More body than the declared length (an HTTP/2 client can send that): never let it reach the backend.
                fail(ProxyError.BAD_REQUEST, "body longer than content-length");
                up.reset();
                return;
            }
            if (bodyLimit > 0 && bodyReceived > bodyLimit) {
                // Answer first: the reset fails the upstream response, which must not be taken for a backend reset.
                fail(ProxyError.PAYLOAD_TOO_LARGE, "body over " + bodyLimit);
                up.reset();
                return;
            }
            up.write(buf);
            if (up.writeQueueFull()) {
                request.pause();
                up.drainHandler(v -> request.resume());
            }
        });
        request.endHandler(v -> {
            if (done) {
                return;
            }
            if (contentLength >= 0 && bodyReceived != contentLength) {
                fail(ProxyError.BAD_REQUEST, "body shorter than content-length");
                up.reset();
                return;
            }
            a.bodyOpen = false;
            up.end();
        });
        request.resume();
    }

    private void prepareHeaders(HttpClientRequest up) {
        MultiMap in = request.headers();
        MultiMap out = up.headers();
        Forwarding.copyEndToEnd(in, out, true);
        // Framing from the parsed message, never the client's bytes (chunked is set where the body starts).
        if (contentLength >= 0) {
            out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(contentLength));
        }
        // X-Client-Cert-* from the client never pass; they are set only from a verified client certificate.
        ClientIdentity.apply(request, out);
        if (request.authority() != null) {
            up.authority(request.authority());
        }
        ListenerSettings l = handler.listener;
        String client = clientAddress();
        Forwarding.addForwarding(in, out, client, l.trusted(remotePeer()), l.scheme(), hostHeader);
        Forwarding.addVia(in, out, request.version() == HttpVersion.HTTP_2 ? "2"
                : request.version() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1");
        out.set(Forwarding.X_REQUEST_ID, requestId);
        // W3C trace context: the proxy is a hop of the trace (see TraceContext); the same span for every attempt.
        if (traceparent == null) {
            TraceContext t = TraceContext.continueOrStart(request.getHeader(TraceContext.TRACEPARENT));
            traceparent = t.traceparent();
            traceContinued = t.continued();
        }
        out.set(TraceContext.TRACEPARENT, traceparent);
        if (!traceContinued) {
            out.remove(TraceContext.TRACESTATE);
        }
        for (ProxyFilter f : route.filters) {
            f.onUpstreamRequest(this, out);
        }
    }

    /** The TCP peer (the L4 balancer when PROXY protocol is on): the one whose forwarding headers we may trust. */
    private String remotePeer() {
        SocketAddress a = request.connection().remoteAddress(true);
        return a == null ? null : a.host();
    }

    private void upstreamResponse(Attempt a, HttpClientResponse res) {
        if (done || a.abandoned) {
            res.exceptionHandler(err -> { });
            a.abandon();
            return;
        }
        Backend b = a.backend;
        int status = res.statusCode();
        String cl = res.headers().get(HttpHeaders.CONTENT_LENGTH);
        if (cl != null && FastExchange.parseLength(cl) < 0) {
            // Bad framing is the backend's failure, as on the fast path (whose decoder refuses it).
            handler.health.failure(b, "protocol error");
            a.abandon();
            fail(ProxyError.UPSTREAM_PROTOCOL, "bad content-length from backend");
            return;
        }
        if (status >= 500) {
            handler.health.failure(b, "status " + status);
        } else {
            handler.health.success(b);
        }
        if (route.retryOnStatus(status)) {
            Attempt other = otherInFlight(a);
            if (other != null || (canRetry() && retryTargetLeft())) {
                // The reset is ours; without a handler Vert.x would log it as an error.
                res.exceptionHandler(err -> { });
                a.abandon();
                lastError = ProxyError.UPSTREAM_RESET;
                if (other != null) {
                    // A hedge is still running: let it answer instead of this retryable status.
                    current = other;
                    hedge = null;
                } else {
                    retry();
                }
                return;
            }
        }
        // First answer wins: a hedge still running is cut off.
        Attempt other = otherInFlight(a);
        if (other != null) {
            other.abandon();
        }
        current = a;
        hedge = null;
        untrack();
        responseStarted = true;
        response.setStatusCode(status);
        MultiMap out = response.headers();
        MultiMap in = res.headers();
        Forwarding.copyEndToEnd(in, out, false);
        Forwarding.addVia(in, out, res.version() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1");
        if (!out.contains(Forwarding.X_REQUEST_ID)) {
            out.set(Forwarding.X_REQUEST_ID, requestId);
        }
        for (int i = route.filters.size() - 1; i >= 0; i--) {
            route.filters.get(i).onResponse(this, out);
        }
        if (handler.listener.compression() && !out.contains(HttpHeaders.CONTENT_ENCODING)
                && !(route.compression && Compressible.is(out.get(HttpHeaders.CONTENT_TYPE)))) {
            // The listener compresses whatever is not marked; identity marks what this route must not touch.
            out.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
        // Checked above: digits only.
        long length = cl == null ? -1 : FastExchange.parseLength(cl);
        boolean bodiless = request.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
        if (bodiless) {
            res.handler(null);
            res.endHandler(v -> complete());
            response.end();
            return;
        }
        if (length < 0 && request.version() != HttpVersion.HTTP_2) {
            response.setChunked(true);
        }
        final long expected = length;
        long[] sent = new long[1];
        res.handler(buf -> {
            sent[0] += buf.length();
            if (sent[0] == expected) {
                // The whole body has arrived: one write for head, body and end instead of two.
                response.end(buf);
            } else {
                response.write(buf);
                if (response.writeQueueFull()) {
                    res.pause();
                    response.drainHandler(v -> res.resume());
                }
            }
        });
        res.exceptionHandler(err -> {
            if (!done) {
                handler.health.failure(b, "reset mid-response");
                if (!response.headWritten()) {
                    // Nothing of the response went out yet (the head leaves with the first body bytes): the client
                    // gets a clean 502, as on the fast path, rather than a cut-off response.
                    fail(ProxyError.UPSTREAM_RESET, "backend closed after the response head");
                    return;
                }
                complete();
                response.reset();
            }
        });
        res.endHandler(v -> {
            if (sent[0] != expected) {
                if (!res.trailers().isEmpty()) {
                    response.trailers().addAll(res.trailers());
                }
                response.end();
            }
            complete();
        });
        if (expected == 0) {
            response.end();
        }
    }

    /** The other attempt still waiting for an answer (the hedge, or the primary when {@code a} is the hedge). */
    private Attempt otherInFlight(Attempt a) {
        Attempt other = a == current ? hedge : current;
        return other != null && other != a && other.held && !other.abandoned ? other : null;
    }

    private boolean canRetry() {
        return attempts < route.attempts && !bodyStarted && isIdempotent(request.method()) && route.pool.retryWithinBudget();
    }

    static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    /** The next try, after the route's backoff. */
    private void retry() {
        afterBackoff(handler.vertx, this::attempt);
    }

    private void attemptFailed(Attempt a, ProxyError error, Throwable cause) {
        if (done || a.abandoned) {
            a.release();
            return;
        }
        Backend b = a.backend;
        if (responseStarted) {
            handler.health.failure(b, "reset mid-response");
            if (!response.headWritten()) {
                a.release();
                fail(ProxyError.UPSTREAM_RESET, "backend closed after the response head");
                return;
            }
            // Headers already went out: all we can do is cut the client off so it sees an incomplete response.
            complete();
            response.reset();
            return;
        }
        if (error == ProxyError.UPSTREAM_RESET && a.reusedConnection && !staleRetried && !bodyStarted
                && isIdempotent(request.method()) && otherInFlight(a) == null) {
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
        if (otherInFlight(a) != null) {
            // The hedge (or the primary) may still answer.
            current = otherInFlight(a);
            hedge = null;
            return;
        }
        if (retriesOn(error) && canRetry()) {
            retry();
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {}: {} ({})", requestId, request.uri(), b, error, cause.toString());
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
            timedOut();
            return;
        }
        if (now >= attemptDeadlineNanos && current != null && current.held && !current.abandoned) {
            // Per-try timeout (retries.on: [timeout]): give up on this backend and try another.
            attemptDeadlineNanos = Long.MAX_VALUE;
            Attempt a = current;
            handler.health.failure(a.backend, "per-try timeout");
            a.abandon();
            lastError = ProxyError.UPSTREAM_TIMEOUT;
            if (otherInFlight(a) != null) {
                current = otherInFlight(a);
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
            hedge = start(b);
            current = primary;
        }
    }

    private void timedOut() {
        if (done || responseStarted) {
            return;
        }
        if (backend != null) {
            handler.health.failure(backend, "timeout");
        }
        Attempt a = current;
        Attempt h = hedge;
        // Answer first: the resets fail the upstream responses, which must not be taken for resets to retry.
        fail(ProxyError.UPSTREAM_TIMEOUT, "no response within " + route.timeoutMillis + "ms");
        abandon(a);
        abandon(h);
    }

    /** The client's request failed mid-way: its connection is going, or its body broke the chunk grammar. */
    private void requestFailed(Throwable err) {
        if (err instanceof Http1RequestValidator.Violation && !responseStarted && !done && !response.headWritten()
                && request.connection() instanceof io.vertx.core.http.impl.HttpServerConnection c
                && ConnectionGuard.answerBadRequest(c.channelHandlerContext().pipeline())) {
            // Vert.x closes the connection right after this handler: the 400 goes out below its response (none of
            // which was written) while the connection is still there. The upstream request, half sent, is cut off
            // with its connection by complete().
            errorName = ProxyError.BAD_REQUEST.name();
        }
        clientClosed();
    }

    private void clientClosed() {
        if (done) {
            return;
        }
        Attempt a = current;
        Attempt h = hedge;
        clientGone = true;
        // Done first: the resets below are ours, not backend failures to count or retry.
        complete();
        abandon(a);
        abandon(h);
    }

    private static void abandon(Attempt a) {
        if (a != null) {
            a.abandon();
        }
    }

    private void complete() {
        if (!done) {
            done = true;
            untrack();
            if (current != null && current.upstream != null) {
                // Answered before the whole request body went upstream (the backend answered first, or an error).
                current.dropIfUnended();
            }
            if (current != null) {
                current.release();
            }
            if (hedge != null) {
                hedge.release();
            }
            finished();
        }
    }

    /** Hands the exchange to the observers (metrics, access log): once, when it is done. */
    private void finished() {
        ExchangeObserver observer = handler.observer;
        if (observer == ExchangeObserver.NONE) {
            return;
        }
        long nanos = System.nanoTime() - startNanos;
        boolean ended = response.ended();
        String error = errorName;
        int status;
        if (!ended && (clientGone || response.closed())) {
            status = 499;
            error = error == null ? "CLIENT_CLOSED" : error;
        } else if (ended || response.headWritten()) {
            status = response.getStatusCode();
            error = error == null && !ended ? "RESPONSE_INCOMPLETE" : error;
        } else {
            status = 0;
        }
        if (traceparent == null) {
            // Answered without a backend: still a trace id to find the request by.
            traceparent = TraceContext.continueOrStart(request.getHeader(TraceContext.TRACEPARENT)).traceparent();
        }
        Backend last = current != null ? current.backend : backend;
        HttpVersion v = request.version();
        observer.completed(new ExchangeRecord(System.currentTimeMillis() - nanos / 1_000_000, nanos,
                handler.listener.name(), requestId, clientAddress(), request.method().name(), request.path(),
                v == HttpVersion.HTTP_2 ? "HTTP/2.0" : v == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1",
                route == null ? null : route.name, route == null ? null : route.pool.name,
                last == null ? null : last.id(), status, request.bytesRead(), response.bytesWritten(), attempts,
                null, error, request.getHeader(HttpHeaders.USER_AGENT), traceparent));
    }

    private void untrack() {
        if (inFlight) {
            handler.untrack(this);
        }
    }

    // ---- errors ---------------------------------------------------------------------------------------------

    /** The one place a failure becomes a response: status, short body, and the connection closed when unsafe. */
    void fail(ProxyError error, String detail) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {}", requestId, request.method(), request.uri(), detail);
        }
        boolean close = error == ProxyError.BAD_REQUEST || error == ProxyError.PAYLOAD_TOO_LARGE
                || error == ProxyError.URI_TOO_LONG
                || (hasBody && !request.isEnded());
        sendError(error.status, error.body, close);
        errorName = error.name();
        complete();
    }

    private void reject(ProxyFilter.Rejection r) {
        sendError(r.status(), r.body(), hasBody && !request.isEnded(), r.headers());
        // An answer that is not an error (a CORS preflight's 204) is logged as the success it is.
        errorName = r.status() < 400 ? null : r.status() == 429 ? "RATE_LIMITED" : r.status() == 401 ? "UNAUTHORIZED"
                : r.status() == 403 ? "FORBIDDEN" : "REJECTED";
        done = true;
        finished();
    }

    private void sendError(int status, String body, boolean close) {
        sendError(status, body, close, null);
    }

    /** {@code extra}: headers of the answer itself (a filter's Retry-After or CORS headers), set after the reset. */
    private void sendError(int status, String body, boolean close, MultiMap extra) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.reset();
            return;
        }
        response.headers().clear();
        if (extra != null) {
            response.headers().addAll(extra);
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(Forwarding.X_REQUEST_ID, requestId);
        if (handler.listener.compression()) {
            response.putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
        if (route != null) {
            for (int i = Math.min(filtersPassed, route.filters.size()) - 1; i >= 0; i--) {
                route.filters.get(i).onResponse(this, response.headers());
            }
        }
        if (close && request.version() != HttpVersion.HTTP_2) {
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            response.end(body).onComplete(v -> request.connection().close());
        } else {
            response.end(body);
        }
    }

    // ---- WebSocket ------------------------------------------------------------------------------------------

    /** An Upgrade tunnel: the handshake is forwarded, then bytes flow both ways until either side closes. */
    private final class Tunnel {
        void start() {
            Backend b = route.pool.select(Exchange.this);
            if (b == null) {
                fail(ProxyError.NO_HEALTHY_BACKEND, "no backend for upgrade");
                return;
            }
            Attempt a = begin(b);
            current = a;
            handler.clients.client(route.pool).request(target(b, HttpMethod.GET))
                    .compose(up -> {
                        a.upstream = up;
                        // Failures arrive through connect() and then the two sockets' handlers.
                        up.exceptionHandler(err -> { });
                        prepareHeaders(up);
                        up.headers().set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
                        up.headers().set(HttpHeaders.UPGRADE, request.getHeader(HttpHeaders.UPGRADE));
                        return up.connect();
                    })
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            attemptFailed(a, ProxyError.UPSTREAM_CONNECT_FAILED, ar.cause());
                            return;
                        }
                        HttpClientResponse res = ar.result();
                        if (res.statusCode() != 101) {
                            // The backend refused the upgrade: relay its answer as an ordinary response.
                            upstreamResponse(a, res);
                            return;
                        }
                        response.setStatusCode(101);
                        MultiMap out = response.headers();
                        for (var e : res.headers()) {
                            String n = e.getKey().toLowerCase(Locale.ROOT);
                            if (!n.equals("content-length") && !n.equals("transfer-encoding")) {
                                out.add(e.getKey(), e.getValue());
                            }
                        }
                        NetSocket upstreamSocket = res.netSocket();
                        request.toNetSocket().onComplete(ds -> {
                            if (ds.failed()) {
                                upstreamSocket.close();
                                complete();
                                return;
                            }
                            splice(ds.result(), upstreamSocket, b);
                        });
                    });
        }

        private void splice(NetSocket downstream, NetSocket upstreamSocket, Backend b) {
            pump(downstream, upstreamSocket);
            pump(upstreamSocket, downstream);
            downstream.closeHandler(v -> {
                upstreamSocket.close();
                complete();
            });
            upstreamSocket.closeHandler(v -> {
                downstream.close();
                complete();
            });
        }

        private void pump(NetSocket from, NetSocket to) {
            from.handler(buf -> {
                to.write(buf);
                if (to.writeQueueFull()) {
                    from.pause();
                    to.drainHandler(v -> from.resume());
                }
            });
            from.exceptionHandler(err -> from.close());
        }
    }
}
