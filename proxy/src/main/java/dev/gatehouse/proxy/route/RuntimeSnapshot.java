package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.balance.BackendPool;

import dev.gatehouse.config.SharedConfig;

import java.time.Instant;
import java.util.Map;

/**
 * One immutable version of the routing state. A request reads it once and uses it to the end, so a config change
 * never changes the rules under a request in flight.
 */
public record RuntimeSnapshot(long version, SharedConfig config, RouteTable routes, Map<String, BackendPool> pools,
                       Instant appliedAt) {
}
