package dev.gatehouse.proxy.filter;

import io.vertx.core.MultiMap;

/**
 * A per-route request/response hook. Built once per snapshot and shared by all event loops, so implementations
 * hold no per-request state in fields. Runs on the event loop: must not block. An instance whose route and config
 * are unchanged is carried over to the next snapshot, so state it keeps (rate buckets, verified credentials, keys)
 * survives config changes that do not touch it.
 */
public interface ProxyFilter {

    /** {@code null} to let the request through, or the response to send instead. */
    default Rejection onRequest(RequestView request) {
        return null;
    }

    /** Whether this filter answers through {@link #onRequestAsync} (off the event loop) instead of onRequest. */
    default boolean async() {
        return false;
    }

    /**
     * For filters whose check cannot run on an event loop (a bcrypt verification): completes with {@code null} to
     * let the request through or with the response to send. The exchange resumes on its own event loop.
     */
    default io.vertx.core.Future<Rejection> onRequestAsync(RequestView request) {
        return io.vertx.core.Future.succeededFuture(onRequest(request));
    }

    /** Edits the headers about to be sent to the backend. */
    default void onUpstreamRequest(RequestView request, MultiMap headers) {
    }

    /** Edits the headers about to be sent to the client; runs in reverse filter order. */
    default void onResponse(RequestView request, MultiMap headers) {
    }

    /**
     * Periodic housekeeping (about once a second) off the request path: expiring rate-limit buckets, reloading a
     * JWKS. Runs on the upkeep verticle's event loop, one call at a time per filter: bounded work, no blocking.
     */
    default void upkeep(io.vertx.core.Vertx vertx) {
    }

    /** Called once when no snapshot uses this filter any more (not carried over to the new one). */
    default void close() {
    }

    /** A short-circuit answer from a filter. */
    record Rejection(int status, String body, MultiMap headers) {
        static Rejection of(int status, String body) {
            return new Rejection(status, body, null);
        }
    }
}
