package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.filter.ProxyFilter;

import dev.gatehouse.proxy.route.CompiledRoute;
import dev.gatehouse.proxy.route.ProxyRuntime;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Housekeeping of the current snapshot's filters on a timer, off the request path: expiring rate-limit buckets (a
 * bounded number per tick), reloading JWKS files and URLs. One tick at a time, on this verticle's event loop.
 */
public final class FilterUpkeepVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger(FilterUpkeepVerticle.class);
    static final long INTERVAL_MILLIS = 1_000;

    private final ProxyRuntime runtime;
    private final long intervalMillis;
    private long timer = -1;

    public FilterUpkeepVerticle(ProxyRuntime runtime) {
        this(runtime, INTERVAL_MILLIS);
    }

    public FilterUpkeepVerticle(ProxyRuntime runtime, long intervalMillis) {
        this.runtime = runtime;
        this.intervalMillis = intervalMillis;
    }

    @Override
    public Future<?> start() {
        tick();
        timer = vertx.setPeriodic(intervalMillis, id -> tick());
        return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(timer);
        return Future.succeededFuture();
    }

    void tick() {
        for (CompiledRoute r : runtime.current().routes().routes()) {
            for (ProxyFilter f : r.filters) {
                try {
                    f.upkeep(vertx);
                } catch (RuntimeException e) {
                    LOG.warn("route {}: filter upkeep failed", r.name, e);
                }
            }
        }
    }
}
