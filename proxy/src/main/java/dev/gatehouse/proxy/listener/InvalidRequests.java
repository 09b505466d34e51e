package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Forwarding;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Requests the HTTP decoder could not parse: too long a request line (414), too large a header block (431), or
 * anything malformed (400). Answered with a short body and the connection closed; they never reach a route.
 */
final class InvalidRequests {

    private InvalidRequests() {
    }

    static void handle(HttpServerRequest req) {
        Throwable cause = req.decoderResult().cause();
        int status = 400;
        String body = "bad request\n";
        if (cause instanceof Http1RequestValidator.Violation v) {
            status = v.status;
            body = status == 505 ? "http version not supported\n" : "bad request\n";
        } else if (cause instanceof TooLongFrameException) {
            String msg = String.valueOf(cause.getMessage());
            if (msg.contains("line") || msg.contains("URI")) {
                status = 414;
                body = "uri too long\n";
            } else {
                status = 431;
                body = "request header fields too large\n";
            }
        }
        req.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
                .putHeader(Forwarding.X_REQUEST_ID, Forwarding.requestId(null))
                .end(body)
                .onComplete(v -> req.connection().close());
    }
}
