package dev.gatehouse.proxy.balance;

import java.util.Objects;

/**
 * One upstream server of a pool as the balancers see it: an address, a weight and a live count of requests in
 * flight. Immutable except for that count and the shared {@link BackendState}, which outlives config changes
 * so that a weight change keeps the backend's health.
 */
public final class Backend {

    private final String pool;
    private final String id;
    private final String host;
    private final int port;
    private final boolean tls;
    private final int weight;
    private final BackendState state;
    /** Striped: moved twice per request from every event loop; read when balancing and for metrics. */
    private final java.util.concurrent.atomic.LongAdder active = new java.util.concurrent.atomic.LongAdder();

    public Backend(String pool, String id, String host, int port, boolean tls, int weight, BackendState state) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.id = Objects.requireNonNull(id, "id");
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.tls = tls;
        this.weight = weight;
        this.state = Objects.requireNonNull(state, "state");
    }

    public String pool() {
        return pool;
    }

    /** {@code host:port}, unique within its pool. */
    public String id() {
        return id;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public boolean tls() {
        return tls;
    }

    public int weight() {
        return weight;
    }

    public BackendState state() {
        return state;
    }

    /** Requests in flight to this backend from this node. */
    public int activeRequests() {
        return active.intValue();
    }

    public void requestStarted() {
        active.increment();
    }

    public void requestEnded() {
        active.decrement();
    }

    @Override
    public String toString() {
        return pool + "/" + id;
    }
}
