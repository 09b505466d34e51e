package dev.gatehouse.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** Cumulative traffic counters of one node at {@link #time()}. */
public record NodeStats(Instant time, List<Route> routes, List<Listener> listeners) {

    public NodeStats {
        requireNonNull(time, "time");
        routes = List.copyOf(routes);
        listeners = List.copyOf(listeners);
    }

    /**
     * One route's requests on this node.
     *
     * @param byStatusClass requests by status class ({@code 2xx}, {@code 5xx}, and {@code none} when nothing was sent)
     */
    public record Route(String route, String pool, long requests, Map<String, Long> byStatusClass,
                        double latencySecondsSum) {
        public Route {
            byStatusClass = Map.copyOf(byStatusClass);
        }

        /** Requests answered with a 5xx status. */
        public long errors() {
            return byStatusClass.getOrDefault("5xx", 0L);
        }
    }

    /** One listener's connections and requests on this node. */
    public record Listener(String listener, long connectionsAccepted, long connectionsActive, long requests,
                           long requestsActive) {
    }
}
