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
 */
public record BackendStatus(String pool, String backend, String state, String node, Instant since, String cause,
                            int activeRequests) {
}
