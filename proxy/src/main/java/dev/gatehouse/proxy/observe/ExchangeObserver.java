package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ListenerSettings;

import dev.gatehouse.proxy.balance.Backend;

/**
 * Sees every exchange on the request path: metrics and the access log. Called on the exchange's event loop;
 * implementations must be cheap and never block (no I/O: hand records to a queue).
 */
public interface ExchangeObserver {

    ExchangeObserver NONE = new ExchangeObserver() {
    };

    /** A request head arrived on a listener (before routing). */
    default void requestStarted(ListenerSettings listener) {
    }

    /** An upstream attempt begins; {@code retry} is true for the second and later attempts. */
    default void upstreamAttempt(String route, Backend backend, boolean retry) {
    }

    /** The exchange is over: the response was sent (or the client went away). Called exactly once. */
    default void completed(ExchangeRecord record) {
    }

    /**
     * A response of {@code route} was stored in the response cache ({@code bytes}: its body), or the store refused
     * or failed it ({@code stored} false).
     */
    default void cacheStore(String route, boolean stored, long bytes) {
    }

    /** A miss of {@code route} waited for another request's fill instead of going to the origin. */
    default void cacheCollapsed(String route) {
    }

    /** An unsafe request of {@code route} that succeeded invalidated {@code keys} cache keys (RFC 9111 §4.4). */
    default void cacheInvalidated(String route, int keys) {
    }

    /** Fans out to several observers. */
    static ExchangeObserver of(java.util.List<ExchangeObserver> observers) {
        if (observers.isEmpty()) {
            return NONE;
        }
        if (observers.size() == 1) {
            return observers.get(0);
        }
        ExchangeObserver[] all = observers.toArray(ExchangeObserver[]::new);
        return new ExchangeObserver() {
            @Override
            public void requestStarted(ListenerSettings listener) {
                for (ExchangeObserver o : all) {
                    o.requestStarted(listener);
                }
            }

            @Override
            public void upstreamAttempt(String route, Backend backend, boolean retry) {
                for (ExchangeObserver o : all) {
                    o.upstreamAttempt(route, backend, retry);
                }
            }

            @Override
            public void completed(ExchangeRecord record) {
                for (ExchangeObserver o : all) {
                    o.completed(record);
                }
            }

            @Override
            public void cacheStore(String route, boolean stored, long bytes) {
                for (ExchangeObserver o : all) {
                    o.cacheStore(route, stored, bytes);
                }
            }

            @Override
            public void cacheCollapsed(String route) {
                for (ExchangeObserver o : all) {
                    o.cacheCollapsed(route);
                }
            }

            @Override
            public void cacheInvalidated(String route, int keys) {
                for (ExchangeObserver o : all) {
                    o.cacheInvalidated(route, keys);
                }
            }
        };
    }
}
