package dev.gatehouse.config;

import java.time.Duration;

/**
 * Active health checking of a pool's backends (HAProxy's {@code check inter rise fall}).
 *
 * @param type              {@code http} (default) or {@code tcp} (connect only)
 * @param expectStatus      accepted status codes, {@code 200-399} by default; e.g. {@code 200} or {@code 200-299}
 * @param expectBody        optional substring the body must contain
 * @param host              Host header for the probe (default: the backend's authority)
 * @param jitter            random extra delay up to this much per interval so probes do not align
 */
public record HealthCheckConfig(
        String type,
        String path,
        String expectStatus,
        String expectBody,
        String host,
        Duration interval,
        Duration timeout,
        Integer healthyThreshold,
        Integer unhealthyThreshold,
        Duration jitter) {

    public HealthCheckConfig {
        type = type == null ? "http" : type;
        path = path == null ? "/" : path;
        expectStatus = expectStatus == null ? "200-399" : expectStatus;
        interval = interval == null ? Duration.ofSeconds(2) : interval;
        timeout = timeout == null ? Duration.ofSeconds(1) : timeout;
        healthyThreshold = healthyThreshold == null ? 2 : healthyThreshold;
        unhealthyThreshold = unhealthyThreshold == null ? 3 : unhealthyThreshold;
        jitter = jitter == null ? Duration.ZERO : jitter;
    }
}
