package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Forwarding;

import dev.gatehouse.config.ListenerConfig;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;

/**
 * The listener-level HTTPS handlers: a redirect listener ({@code redirect-to-https: PORT}) answers every request
 * {@code 308 Permanent Redirect} to the same host and target over HTTPS (308, not 301, so a POST stays a POST), and
 * a TLS listener with {@code hsts} sends {@code Strict-Transport-Security} on every response, errors included.
 * Run on the request's event loop.
 */
public final class HttpsRedirect implements Handler<HttpServerRequest> {

    static final CharSequence STRICT_TRANSPORT_SECURITY = Forwarding.STRICT_TRANSPORT_SECURITY;
    private static final String BODY = "use https\n";

    private final int httpsPort;

    private HttpsRedirect(int httpsPort) {
        this.httpsPort = httpsPort;
    }

    /**
     * The request handler of listener {@code l}: the redirect for a redirect listener, else {@code proxy}, with HSTS
     * added on a TLS listener that configures it.
     */
    static Handler<HttpServerRequest> handler(ListenerConfig l, Handler<HttpServerRequest> proxy) {
        if (l.isRedirect()) {
            return new HttpsRedirect(l.redirectToHttps());
        }
        if (l.isTls() && l.hsts() != null) {
            CharSequence value = HttpHeaders.createOptimized(l.hsts().headerValue());
            return request -> {
                HttpServerResponse response = request.response();
                // Set as the head goes out, so no path (backend headers, error responses) can drop or duplicate it.
                response.headersEndHandler(v -> response.headers().set(STRICT_TRANSPORT_SECURITY, value));
                proxy.handle(request);
            };
        }
        return proxy;
    }

    @Override
    public void handle(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        HostAndPort authority = request.authority();
        if (authority == null || authority.host() == null || authority.host().isEmpty()) {
            response.setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
                    .end("missing Host\n");
            return;
        }
        String host = authority.host();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        StringBuilder location = new StringBuilder(64).append("https://").append(host);
        if (httpsPort != 443) {
            location.append(':').append(httpsPort);
        }
        String path = request.path();
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            path = "/"; // "*" (OPTIONS) or an absolute-form target without a path
        }
        location.append(path);
        if (request.query() != null) {
            location.append('?').append(request.query());
        }
        response.setStatusCode(308)
                .putHeader(HttpHeaders.LOCATION, location.toString())
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
        if (!request.isEnded() && hasBody(request)) {
            // The body is not wanted here; closing is cheaper and safer than reading it to the end.
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        response.end(BODY);
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.equals("0"));
    }
}
