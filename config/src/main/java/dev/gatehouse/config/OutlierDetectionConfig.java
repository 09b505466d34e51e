package dev.gatehouse.config;

import java.time.Duration;

/** Passive health: eject a backend after consecutive failures seen on real traffic (Envoy outlier detection). */
public record OutlierDetectionConfig(Integer consecutiveFailures, Duration baseEjection, Duration maxEjection) {

    public OutlierDetectionConfig {
        consecutiveFailures = consecutiveFailures == null ? 5 : consecutiveFailures;
        baseEjection = baseEjection == null ? Duration.ofSeconds(10) : baseEjection;
        maxEjection = maxEjection == null ? Duration.ofMinutes(5) : maxEjection;
    }
}
