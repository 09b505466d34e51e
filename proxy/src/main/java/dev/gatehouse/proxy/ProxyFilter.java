package dev.gatehouse.proxy;

import io.vertx.core.MultiMap;

/**
 * A per-route request/response hook. Built once per snapshot and shared by all event loops, so implementations
 * hold no per-request state in fields. Runs on the event loop: must not block.
 */
interface ProxyFilter {

    /** {@code null} to let the request through, or the response to send instead. */
    default Rejection onRequest(Exchange exchange) {
        return null;
    }

    /** Edits the headers about to be sent to the backend. */
    default void onUpstreamRequest(Exchange exchange, MultiMap headers) {
    }

    /** Edits the headers about to be sent to the client; runs in reverse filter order. */
    default void onResponse(Exchange exchange, MultiMap headers) {
    }

    /** A short-circuit answer from a filter. */
    record Rejection(int status, String body, MultiMap headers) {
        static Rejection of(int status, String body) {
            return new Rejection(status, body, null);
        }
    }
}
