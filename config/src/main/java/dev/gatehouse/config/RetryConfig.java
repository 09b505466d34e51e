package dev.gatehouse.config;

import java.util.List;

/**
 * Retries for idempotent methods, always on a different backend.
 *
 * @param attempts total tries including the first (1 = no retry)
 * @param on       conditions: {@code connect-failure}, {@code reset}, {@code timeout}, or a status code
 */
public record RetryConfig(Integer attempts, List<String> on) {

    public static final RetryConfig DEFAULT = new RetryConfig(null, null);

    public RetryConfig {
        attempts = attempts == null ? 2 : attempts;
        on = on == null ? List.of("connect-failure") : List.copyOf(on);
    }
}
