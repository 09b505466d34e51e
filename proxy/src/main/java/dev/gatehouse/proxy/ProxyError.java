package dev.gatehouse.proxy;

/**
 * Every way a request can fail inside the proxy, with the status the client gets and a short body. The one
 * place failures become responses is {@link ErrorResponder}.
 */
enum ProxyError {
    BAD_REQUEST(400, "bad request", false),
    FORBIDDEN(403, "forbidden", false),
    NO_ROUTE(404, "no route", false),
    REQUEST_TIMEOUT(408, "request timeout", false),
    PAYLOAD_TOO_LARGE(413, "payload too large", false),
    URI_TOO_LONG(414, "uri too long", false),
    EXPECTATION_FAILED(417, "expectation failed", false),
    NO_HEALTHY_BACKEND(503, "no healthy backend", true),
    UPSTREAM_CONNECT_FAILED(502, "upstream connect error", true),
    UPSTREAM_RESET(502, "upstream connection reset", true),
    UPSTREAM_PROTOCOL(502, "upstream protocol error", false),
    UPSTREAM_TIMEOUT(504, "upstream request timeout", false),
    OVERLOADED(503, "upstream overloaded", true),
    INTERNAL(500, "internal error", false);

    final int status;
    final String body;
    final boolean upstream;

    ProxyError(int status, String body, boolean upstream) {
        this.status = status;
        this.body = body + "\n";
        this.upstream = upstream;
    }
}
