package dev.gatehouse.proxy.cache;

import io.vertx.core.Future;

/**
 * Request collapsing: of the concurrent misses for one primary key (on every node of the cluster), one goes to the
 * origin and the others wait for it, then look in the store again. A follower waits at most the configured time
 * (cache {@code collapse-wait}) and then goes to the origin itself.
 *
 * <p>Called on event loops and never blocks them; futures complete on the caller's context.
 */
public interface MissCollapsing {

    /** What a miss does next. */
    enum Turn {
        /** Fetch from the origin, then call {@link #done} once the response is stored or known not to be. */
        LEAD,
        /** The leader is done: look in the store again (a miss then goes to the origin, no longer collapsed). */
        FILLED,
        /** Waited {@code waitMillis} for the leader in vain: go to the origin. */
        TIMED_OUT
    }

    /** Joins the fill of {@code primaryKey}; {@code waitMillis} 0 means no collapsing (always {@link Turn#LEAD}). */
    Future<Turn> join(String primaryKey, long waitMillis);

    /** The leader of {@code primaryKey} is done (stored, not storable, or failed): its followers look again. */
    void done(String primaryKey);
}
