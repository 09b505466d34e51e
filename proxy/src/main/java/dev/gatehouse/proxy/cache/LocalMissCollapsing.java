package dev.gatehouse.proxy.cache;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collapsing among the event loops of one node: the first miss for a key leads, later ones wait on it. A cluster
 * builds on it (one leader per node asks the cluster), and a node with no cluster uses it alone.
 */
public final class LocalMissCollapsing implements MissCollapsing {

    private final Vertx vertx;
    private final ConcurrentHashMap<String, Fill> fills = new ConcurrentHashMap<>();

    public LocalMissCollapsing(Vertx vertx) {
        this.vertx = vertx;
    }

    /** The followers of one key's leader. Guarded by its own monitor. */
    private static final class Fill {
        final List<Waiter> waiters = new ArrayList<>(4);
        boolean over;
    }

    private record Waiter(Promise<Turn> promise, Context context) {
        void answer(Turn t) {
            context.runOnContext(v -> promise.tryComplete(t));
        }
    }

    @Override
    public Future<Turn> join(String primaryKey, long waitMillis) {
        if (waitMillis <= 0) {
            return Future.succeededFuture(Turn.LEAD);
        }
        Fill mine = new Fill();
        Fill fill = fills.putIfAbsent(primaryKey, mine);
        if (fill == null) {
            return Future.succeededFuture(Turn.LEAD);
        }
        Context ctx = vertx.getOrCreateContext();
        Promise<Turn> p = Promise.promise();
        Waiter w = new Waiter(p, ctx);
        synchronized (fill) {
            if (fill.over) {
                return Future.succeededFuture(Turn.FILLED);
            }
            fill.waiters.add(w);
        }
        long timer = vertx.setTimer(waitMillis, id -> {
            synchronized (fill) {
                fill.waiters.remove(w);
            }
            p.tryComplete(Turn.TIMED_OUT);
        });
        return p.future().andThen(ar -> vertx.cancelTimer(timer));
    }

    @Override
    public void done(String primaryKey) {
        Fill fill = fills.remove(primaryKey);
        if (fill == null) {
            return;
        }
        List<Waiter> waiters;
        synchronized (fill) {
            fill.over = true;
            waiters = List.copyOf(fill.waiters);
            fill.waiters.clear();
        }
        for (Waiter w : waiters) {
            w.answer(Turn.FILLED);
        }
    }

    /** Keys with a leader on this node (for tests and statistics). */
    public int pending() {
        return fills.size();
    }
}
