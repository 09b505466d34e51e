package dev.gatehouse.admin;

import java.time.Instant;

/**
 * The health of one backend as one node sees it.
 *
 * @param pool           the pool's name
 * @param backend        the backend's id ({@code host:port})
 * @param state          {@code healthy}, {@code unhealthy}, {@code ejected}, {@code draining} or {@code unknown}
 * @param node           the cluster member that reports this state
 * @param since          when the backend entered this state; {@code null} if not known
 * @param cause          why, for a state other than healthy (last probe failure, ejection reason); may be
 *                       {@code null}
 * @param activeRequests requests in flight to this backend from {@code node}
 * @param checks         {@code active} when the pool has a {@code health-check}, else {@code passive} (only real
 *                       traffic and outlier detection say anything); {@code null} if not known
 * @param passive        what {@code node}'s traffic showed; {@code null} if not known
 */
public record BackendStatus(String pool, String backend, String state, String node, Instant since, String cause,
                            int activeRequests, String checks, Passive passive) {

    /** A status without passive figures (a node that does not record them). */
    public BackendStatus(String pool, String backend, String state, String node, Instant since, String cause,
                         int activeRequests) {
        this(pool, backend, state, node, since, cause, activeRequests, null, null);
    }

    /**
     * What real traffic from one node showed about a backend.
     *
     * @param state               {@code no-traffic} (no response yet), {@code serving} (the latest outcome a success,
     *                            within a minute), {@code idle} (the latest a success, over a minute ago),
     *                            {@code failing} (the latest a failure, no success since), {@code at-limit} (the
     *                            circuit breaker: {@code max-requests} in flight from this node, picks skip it) or
     *                            {@code ejected} (outlier detection took it out of the pool for now)
     * @param lastSuccess         the last success (to the second); {@code null} if none
     * @param lastFailure         the last failure; {@code null} if none
     * @param lastFailureCause    why it failed ({@code connect failed}, {@code status 503}, …); {@code null} if none
     * @param recentRequests      responses and failures over the recent window
     * @param recentFailures      of those, failures
     * @param windowSeconds       the recent window's length; 0 when it is not measured
     * @param consecutiveFailures the current run of failures (outlier detection ejects at its threshold)
     * @param ejections           ejections so far (the multiplier of the next ejection's length)
     * @param ejectedUntil        end of the current ejection; {@code null} when not ejected
     */
    public record Passive(String state, Instant lastSuccess, Instant lastFailure, String lastFailureCause,
                          long recentRequests, long recentFailures, int windowSeconds, int consecutiveFailures,
                          int ejections, Instant ejectedUntil) {
    }
}
