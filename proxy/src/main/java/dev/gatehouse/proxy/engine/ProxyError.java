package dev.gatehouse.proxy.engine;

/**
 * Every way a request can fail inside the proxy, with the status the client gets and a short body. Failures become
 * answers in {@code Exchange.respond}, the one responder; a filter's rejection carries its own status and body.
 */
public enum ProxyError {
    BAD_REQUEST(400, "bad request"),
    NO_ROUTE(404, "no route"),
    METHOD_NOT_ALLOWED(405, "method not allowed"),
    PAYLOAD_TOO_LARGE(413, "payload too large"),
    URI_TOO_LONG(414, "uri too long"),
    EXPECTATION_FAILED(417, "expectation failed"),
    /** The client did not finish sending its request body within the route's timeout (nginx's client_body_timeout). */
    REQUEST_TIMEOUT(408, "request timeout"),
    NO_HEALTHY_BACKEND(503, "no healthy backend"),
    UPSTREAM_CONNECT_FAILED(502, "upstream connect error"),
    UPSTREAM_RESET(502, "upstream connection reset"),
    UPSTREAM_PROTOCOL(502, "upstream protocol error"),
    UPSTREAM_TIMEOUT(504, "upstream request timeout"),
    OVERLOADED(503, "upstream overloaded"),
    INTERNAL(500, "internal error");

    final int status;
    final String body;

    ProxyError(int status, String body) {
        this.status = status;
        this.body = body + "\n";
    }
}
