package dev.gatehouse.config;

import java.util.List;

/**
 * Retries for idempotent methods, always on a different backend.
 *
 * @param attempts total tries including the first (1 = no retry)
 * @param on       conditions: {@code connect-failure}, {@code reset}, {@code timeout}, or a status code
 * @param backoff  base delay before a retry, doubled per retry with full jitter, capped at 10× (0 = none)
 */
public record RetryConfig(Integer attempts, List<String> on, java.time.Duration backoff) {

    public static final RetryConfig DEFAULT = new RetryConfig(null, null, null);

    public RetryConfig {
        attempts = attempts == null ? 2 : attempts;
        on = on == null ? List.of("connect-failure") : List.copyOf(on);
        backoff = backoff == null ? java.time.Duration.ofMillis(25) : backoff;
    }
}
