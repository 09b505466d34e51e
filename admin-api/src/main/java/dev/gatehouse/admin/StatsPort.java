package dev.gatehouse.admin;

import java.time.Instant;
import java.util.List;

/**
 * This node's traffic counters for {@code GET /api/v1/stats} and the status page, which turns two readings into
 * rates. Called on the admin event loop: must be cheap and must not block.
 */
@FunctionalInterface
public interface StatsPort {

    /** A node without a request path: no routes, no listeners. */
    StatsPort NONE = () -> new NodeStats(Instant.now(), List.of(), List.of());

    /** The counters as of now; cumulative since the node started. */
    NodeStats stats();

    /** The last minutes, interval by interval, kept by the node; empty where nothing keeps them. */
    default NodeHistory history() {
        return NodeHistory.empty();
    }
}
