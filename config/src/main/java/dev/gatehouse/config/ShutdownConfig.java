package dev.gatehouse.config;

import java.time.Duration;

/**
 * How a node leaves on SIGTERM ({@code shutdown}). Node-local. First {@code /readyz} answers 503 while the listeners
 * keep serving for {@code readinessDelay} (time for a load balancer to stop sending), then the listeners stop
 * accepting and requests in flight get up to {@code drainTimeout}, then the node leaves the cluster.
 *
 * @param readinessDelay how long the listeners keep serving once {@code /readyz} answers 503; 0s to 10m, default 5s
 * @param drainTimeout   how long requests in flight may take to finish once the listeners stop accepting; 1s to 10m,
 *                       default 30s
 */
public record ShutdownConfig(Duration readinessDelay, Duration drainTimeout) {

    public static final ShutdownConfig DEFAULT = new ShutdownConfig(null, null);

    public ShutdownConfig {
        readinessDelay = readinessDelay == null ? Duration.ofSeconds(5) : readinessDelay;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
    }
}
