package dev.gatehouse.proxy;

import dev.gatehouse.proxy.balance.Backend;
import dev.gatehouse.proxy.balance.BalancingStrategy;
import dev.gatehouse.proxy.balance.Selection;
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
final class Exchange implements Selection {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    private static final int MAX_ATTEMPTS = 10;

    final HttpServerRequest request;
    final HttpServerResponse response;
    final RuntimeSnapshot snapshot;
    private final ProxyHandler handler;
    final String requestId;
    CompiledRoute route;
    private String upstreamUri;
    private String hostHeader;
    private String peer;

    private final Backend[] tried = new Backend[MAX_ATTEMPTS];
    private int attempts;
    private Backend backend;
    /** The backend whose in-flight count this exchange holds; released exactly once per attempt. */
    private Backend held;
    private HttpClientRequest upstream;
    private ProxyError lastError = ProxyError.NO_HEALTHY_BACKEND;

    private long contentLength = -1;
    private boolean hasBody;
    private boolean expectContinue;
    private boolean bodyStarted;
    private long bodyLimit;
    private long bodyReceived;
    private long timerId = -1;
    private boolean responseStarted;
    private boolean done;
    private boolean hashComputed;
    private long hash;

    Exchange(ProxyHandler handler, HttpServerRequest request, RuntimeSnapshot snapshot) {
        this.handler = handler;
        this.request = request;
        this.response = request.response();
        this.snapshot = snapshot;
        this.requestId = Forwarding.requestId(request.getHeader(Forwarding.X_REQUEST_ID));
    }

    // ---- stage 1-4: framing, route, filters, limits ----------------------------------------------------------

    void start() {
        MultiMap h = request.headers();
        if (!checkFraming(h)) {
            return;
        }
        if (request.method() == HttpMethod.CONNECT) {
            sendError(405, "method not allowed\n", true);
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
        }
        route = snapshot.routes().match(host, path, request.method(), h);
        if (route == null) {
            fail(ProxyError.NO_ROUTE, "no route for " + host + path);
            return;
        }
        for (ProxyFilter f : route.filters) {
            ProxyFilter.Rejection r = f.onRequest(this);
            if (r != null) {
                reject(r);
                return;
            }
        }
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
        upstreamUri = route.upstreamUri(request.uri());
        if (isWebSocketUpgrade(h)) {
            new Tunnel().start();
            return;
        }
        response.closeHandler(v -> clientClosed());
        timerId = handler.vertx.setTimer(route.timeoutMillis, id -> timedOut());
        attempt();
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
        // HTTP/2 frames its body itself: no Content-Length does not mean no body.
        hasBody = request.version() == HttpVersion.HTTP_2 && !request.isEnded();
        return true;
    }

    private static String normalizeHost(String host) {
        String h = host;
        for (int i = 0; i < h.length(); i++) {
            if (Character.isUpperCase(h.charAt(i))) {
                h = h.toLowerCase(Locale.ROOT);
                break;
            }
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean isWebSocketUpgrade(MultiMap h) {
        String upgrade = h.get(HttpHeaders.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            return false;
        }
        String connection = h.get(HttpHeaders.CONNECTION);
        return connection != null && Forwarding.connectionTokens(connection).contains("upgrade");
    }

    // ---- Selection ------------------------------------------------------------------------------------------

    @Override
    public long hashKey() {
        if (!hashComputed) {
            hashComputed = true;
            hash = BalancingStrategy.hash(hashSource());
        }
        return hash;
    }

    private String hashSource() {
        String key = route.pool.config.hashKey();
        if (key == null || key.equals("client-ip")) {
            return clientAddress();
        }
        if (key.equals("path")) {
            return request.path();
        }
        if (key.startsWith("header:")) {
            String v = request.getHeader(key.substring(7));
            return v == null ? clientAddress() : v;
        }
        if (key.startsWith("cookie:")) {
            Cookie c = request.getCookie(key.substring(7));
            return c == null ? clientAddress() : c.getValue();
        }
        return clientAddress();
    }

    @Override
    public boolean excluded(Backend b) {
        for (int i = 0; i < attempts; i++) {
            if (tried[i] == b) {
                return true;
            }
        }
        return false;
    }

    /** The client's address: the PROXY protocol source when enabled, else the TCP peer. */
    String clientAddress() {
        if (peer == null) {
            SocketAddress a = request.remoteAddress();
            peer = a == null || a.host() == null ? "unknown" : a.host();
        }
        return peer;
    }

    // ---- stage 6-7: pick and upstream exchange --------------------------------------------------------------

    private void attempt() {
        Backend b = attempts < MAX_ATTEMPTS ? route.pool.select(this) : null;
        if (b == null) {
            fail(attempts == 0 ? ProxyError.NO_HEALTHY_BACKEND : lastError, "no backend left to try");
            return;
        }
        tried[attempts++] = b;
        backend = b;
        held = b;
        b.requestStarted();
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(b.host())
                .setPort(b.port())
                .setSsl(b.tls())
                .setURI(upstreamUri);
        final Backend picked = b;
        handler.clients.client(route.pool).request(options)
                .onComplete(ar -> connected(picked, ar));
    }

    private void connected(Backend b, AsyncResult<HttpClientRequest> ar) {
        if (ar.failed()) {
            upstreamFailed(b, ProxyError.UPSTREAM_CONNECT_FAILED, ar.cause());
            return;
        }
        HttpClientRequest up = ar.result();
        if (done) {
            up.reset();
            return;
        }
        upstream = up;
        prepareHeaders(up);
        up.response().onComplete(r -> {
            if (r.succeeded()) {
                upstreamResponse(b, r.result());
            } else {
                upstreamFailed(b, ProxyError.UPSTREAM_RESET, r.cause());
            }
        });
        if (!hasBody) {
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
        up.exceptionHandler(err -> upstreamFailed(b, ProxyError.UPSTREAM_RESET, err));
        request.exceptionHandler(err -> clientClosed());
        request.handler(buf -> {
            bodyReceived += buf.length();
            if (bodyLimit > 0 && bodyReceived > bodyLimit) {
                up.reset();
                fail(ProxyError.PAYLOAD_TOO_LARGE, "body over " + bodyLimit);
                return;
            }
            up.write(buf);
            if (up.writeQueueFull()) {
                request.pause();
                up.drainHandler(v -> request.resume());
            }
        });
        request.endHandler(v -> {
            if (!done) {
                up.end();
            }
        });
        request.resume();
    }

    private void prepareHeaders(HttpClientRequest up) {
        MultiMap in = request.headers();
        MultiMap out = up.headers();
        Forwarding.copyEndToEnd(in, out, true);
        if (request.authority() != null) {
            up.authority(request.authority());
        }
        ListenerSettings l = handler.listener;
        String client = clientAddress();
        Forwarding.addForwarding(in, out, client, l.trusted(remotePeer()), l.scheme(), hostHeader);
        Forwarding.addVia(in, out, request.version() == HttpVersion.HTTP_2 ? "2"
                : request.version() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1");
        out.set(Forwarding.X_REQUEST_ID, requestId);
        for (ProxyFilter f : route.filters) {
            f.onUpstreamRequest(this, out);
        }
    }

    /** The TCP peer (the L4 balancer when PROXY protocol is on): the one whose forwarding headers we may trust. */
    private String remotePeer() {
        SocketAddress a = request.connection().remoteAddress(true);
        return a == null ? null : a.host();
    }

    private void upstreamResponse(Backend b, HttpClientResponse res) {
        if (done) {
            res.request().reset();
            return;
        }
        int status = res.statusCode();
        if (status >= 500) {
            handler.health.failure(b, "status " + status);
        } else {
            handler.health.success(b);
        }
        if (route.retryOnStatus(status) && canRetry()) {
            release();
            res.request().reset();
            lastError = ProxyError.UPSTREAM_RESET;
            attempt();
            return;
        }
        cancelTimer();
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
        String cl = in.get(HttpHeaders.CONTENT_LENGTH);
        long length = -1;
        if (cl != null) {
            try {
                length = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                fail(ProxyError.UPSTREAM_PROTOCOL, "bad content-length from backend");
                return;
            }
        }
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

    private boolean canRetry() {
        return attempts < route.attempts && !bodyStarted && isIdempotent(request.method());
    }

    static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    private void upstreamFailed(Backend b, ProxyError error, Throwable cause) {
        if (done) {
            return;
        }
        if (responseStarted) {
            // Headers already went out: all we can do is cut the client off so it sees an incomplete response.
            handler.health.failure(b, "reset mid-response");
            complete();
            response.reset();
            return;
        }
        handler.health.failure(b, error == ProxyError.UPSTREAM_CONNECT_FAILED ? "connect failed" : "reset");
        release();
        lastError = error;
        boolean retryable = error == ProxyError.UPSTREAM_CONNECT_FAILED ? route.retryConnectFailure
                // A reused keep-alive connection the backend had just closed is the classic race; retrying a
                // bodiless idempotent request is always safe, so reset counts as retryable.
                : route.retryReset || route.retryConnectFailure;
        if (retryable && canRetry()) {
            upstream = null;
            attempt();
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} -> {}: {} ({})", requestId, request.uri(), b, error, cause.toString());
        }
        fail(error, String.valueOf(cause.getMessage()));
    }

    private void timedOut() {
        timerId = -1;
        if (done || responseStarted) {
            return;
        }
        if (backend != null) {
            handler.health.failure(backend, "timeout");
        }
        if (upstream != null) {
            upstream.reset();
        }
        fail(ProxyError.UPSTREAM_TIMEOUT, "no response within " + route.timeoutMillis + "ms");
    }

    private void clientClosed() {
        if (done) {
            return;
        }
        if (upstream != null) {
            upstream.reset();
        }
        complete();
    }

    private void complete() {
        if (!done) {
            done = true;
            cancelTimer();
            release();
        }
    }

    private void release() {
        if (held != null) {
            held.requestEnded();
            held = null;
        }
    }

    private void cancelTimer() {
        if (timerId >= 0) {
            handler.vertx.cancelTimer(timerId);
            timerId = -1;
        }
    }

    // ---- errors ---------------------------------------------------------------------------------------------

    /** The one place a failure becomes a response: status, short body, and the connection closed when unsafe. */
    void fail(ProxyError error, String detail) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {}", requestId, request.method(), request.uri(), detail);
        }
        boolean close = error == ProxyError.BAD_REQUEST || error == ProxyError.PAYLOAD_TOO_LARGE
                || (hasBody && !request.isEnded());
        sendError(error.status, error.body, close);
        complete();
    }

    private void reject(ProxyFilter.Rejection r) {
        if (r.headers() != null) {
            response.headers().addAll(r.headers());
        }
        sendError(r.status(), r.body(), hasBody && !request.isEnded());
        done = true;
    }

    private void sendError(int status, String body, boolean close) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.reset();
            return;
        }
        response.headers().clear();
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(Forwarding.X_REQUEST_ID, requestId);
        if (handler.listener.compression()) {
            response.putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
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
            tried[attempts++] = b;
            backend = b;
            held = b;
            b.requestStarted();
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(b.host())
                    .setPort(b.port()).setSsl(b.tls()).setURI(upstreamUri);
            handler.clients.client(route.pool).request(options)
                    .compose(up -> {
                        upstream = up;
                        prepareHeaders(up);
                        up.headers().set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
                        up.headers().set(HttpHeaders.UPGRADE, request.getHeader(HttpHeaders.UPGRADE));
                        return up.connect();
                    })
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            upstreamFailed(b, ProxyError.UPSTREAM_CONNECT_FAILED, ar.cause());
                            return;
                        }
                        HttpClientResponse res = ar.result();
                        if (res.statusCode() != 101) {
                            // The backend refused the upgrade: relay its answer as an ordinary response.
                            upstreamResponse(b, res);
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
