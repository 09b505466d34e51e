package dev.gatehouse.proxy.observe;

/**
 * What happened to one request, for metrics and the access log. Built once when the exchange completes.
 *
 * @param startMillis   wall-clock time the request head arrived
 * @param durationNanos from the request head to the end of the response (or the client going away)
 * @param route         route name, or {@code null} when none matched
 * @param pool          pool name, or {@code null}
 * @param backend       the backend of the last attempt ({@code host:port}), or {@code null}
 * @param status        status sent to the client; 499 when the client closed first, 0 when nothing was sent
 * @param bytesIn       request body bytes received from the client
 * @param bytesOut      response body bytes sent to the client
 * @param attempts      upstream attempts (0 when answered by the proxy itself)
 * @param error         the proxy error that produced the response, or {@code null}
 * @param traceparent   the W3C trace context sent upstream, or {@code null}
 * @param cache         what the response cache did, as the access log's X-Cache style word ({@code HIT},
 *                      {@code MISS}, {@code STALE}, {@code UPDATING}, {@code REVALIDATED}, {@code EXPIRED},
 *                      {@code BYPASS}); {@code null} on a route without caching
 */
public record ExchangeRecord(
        long startMillis,
        long durationNanos,
        String listener,
        String requestId,
        String client,
        String method,
        String path,
        String protocol,
        String route,
        String pool,
        String backend,
        int status,
        long bytesIn,
        long bytesOut,
        int attempts,
        String error,
        String userAgent,
        String traceparent,
        String cache) {

    /** A record of a route without caching. */
    public ExchangeRecord(long startMillis, long durationNanos, String listener, String requestId, String client,
            String method, String path, String protocol, String route, String pool, String backend, int status,
            long bytesIn, long bytesOut, int attempts, String error, String userAgent, String traceparent) {
        this(startMillis, durationNanos, listener, requestId, client, method, path, protocol, route, pool, backend,
                status, bytesIn, bytesOut, attempts, error, userAgent, traceparent, null);
    }
}
