package dev.gatehouse.config;

import java.time.Duration;

/**
 * Request hedging for idempotent, bodiless requests: when no response has come after {@code delay}, the same
 * request goes to a second backend and the first response wins. Off unless configured.
 */
public record HedgeConfig(Duration delay) {

    public HedgeConfig {
        delay = delay == null ? Duration.ofMillis(50) : delay;
    }
}
