package dev.gatehouse.proxy.cache;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * One stored variant of a response, as received: status and header fields exactly as the origin sent them, in
 * order, duplicates kept (hop-by-hop fields already removed by the caller), and the whole body. Times are kept to
 * the millisecond (what the store keeps), so a value read back equals the one stored.
 *
 * @param status       the response status code (100-999)
 * @param headers      the response header fields, in the order received
 * @param body         the body bytes; a read-only view, position 0
 * @param requestTime  when the request that produced it was sent upstream (RFC 9111 §4.2.3 {@code request_time})
 * @param responseTime when its header was received ({@code response_time})
 * @param vary         the request header fields named by the response's {@code Vary}, as the request carried them
 *                     (normalised by the caller); empty without {@code Vary}
 * @param tags         purge tags ({@code Surrogate-Key}, {@code Cache-Tag}), without duplicates
 * @param storedAt     when it was stored
 * @param keepUntil    after this instant the store may drop it (freshness plus any stale-serving window)
 */
public record StoredResponse(int status, List<Header> headers, ByteBuffer body, Instant requestTime,
                             Instant responseTime, List<Header> vary, List<String> tags, Instant storedAt,
                             Instant keepUntil) {

    public StoredResponse {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100-999)");
        }
        headers = List.copyOf(headers);
        body = body.slice().asReadOnlyBuffer();
        requestTime = requestTime.truncatedTo(ChronoUnit.MILLIS);
        responseTime = responseTime.truncatedTo(ChronoUnit.MILLIS);
        vary = List.copyOf(vary);
        tags = List.copyOf(tags.stream().distinct().toList());
        storedAt = storedAt.truncatedTo(ChronoUnit.MILLIS);
        keepUntil = keepUntil.truncatedTo(ChronoUnit.MILLIS);
    }

    /** A fresh read-only view of the body (position 0), independent of other readers' positions. */
    @Override
    public ByteBuffer body() {
        return body.duplicate();
    }

    /** One header field: name as received (compare case-insensitively), value as received. */
    public record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }
}
