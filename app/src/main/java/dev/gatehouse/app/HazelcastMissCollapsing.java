package dev.gatehouse.app;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import dev.gatehouse.proxy.cache.MissCollapsing;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request collapsing across the cluster: of the concurrent misses for one key on every node, one goes to the origin.
 *
 * <ul>
 *   <li>On each node the first miss for a key is that node's leader; later ones on the node wait on it, as {@code
 *       LocalMissCollapsing} does. So at most one request per node asks the cluster.</li>
 *   <li>A node's leader claims the key in the small map {@value #MAP} ({@code putIfAbsent}, time to live = the
 *       wait, value = a claim token naming this member). The one that gets it answers {@link Turn#LEAD}; the
 *       others follow that claim with every miss of their node.</li>
 *   <li>{@link #done} answers this node's followers and removes the claim (only if it is still this leader's). One
 *       entry listener per node hears of claims ending: a removal answers the claim's followers {@link
 *       Turn#FILLED}, an expiry (the leader took longer than the wait) {@link Turn#TIMED_OUT}.</li>
 *   <li>A leader whose member leaves the cluster: its followers are answered {@link Turn#FILLED} (they look again,
 *       and go to the origin on a miss) and its claim is removed. Whatever else goes wrong, every waiter is
 *       answered {@link Turn#TIMED_OUT} once the wait is over.</li>
 * </ul>
 *
 * <p>Never blocks: map operations are asynchronous, callbacks (Hazelcast's threads) only update a fill under its
 * monitor and answer on each waiter's context. When the cluster cannot be asked, the node's leader leads: caching
 * goes on, collapsed among this node's misses only.
 */
final class HazelcastMissCollapsing implements MissCollapsing {

    /** Claims: primary key → token of the leading member's claim ({@code memberUuid/sequence}). */
    static final String MAP = "gatehouse.cache.fills";

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final IMap<String, String> claims;
    private final String memberId;
    private final AtomicLong sequence = new AtomicLong();
    private final ConcurrentHashMap<String, Fill> fills = new ConcurrentHashMap<>();
    private final UUID entryListener;
    private final UUID membershipListener;

    HazelcastMissCollapsing(Vertx vertx, HazelcastInstance hz) {
        this.vertx = vertx;
        this.hz = hz;
        this.claims = hz.getMap(MAP);
        this.memberId = hz.getCluster().getLocalMember().getUuid().toString();
        this.entryListener = claims.addEntryListener(new ClaimEnds(), true);
        this.membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                memberLeft(e.getMember().getUuid().toString());
            }
        });
    }

    private enum State { CLAIMING, LEADING, FOLLOWING }

    /** This node's misses for one key. Guarded by its own monitor. */
    private static final class Fill {
        final String key;
        final List<Waiter> waiters = new ArrayList<>(4);
        State state = State.CLAIMING;
        /** The claim led (LEADING; null when the cluster could not be asked) or followed (FOLLOWING). */
        String token;
        /** Claims that ended while this fill was still claiming, and how: the one it then follows may be one. */
        Map<String, Turn> endedWhileClaiming;
        boolean over;
        Turn outcome;
        long timer = -1;

        Fill(String key) {
            this.key = key;
        }
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
        Context ctx = vertx.getOrCreateContext();
        Promise<Turn> p = Promise.promise();
        Waiter w = new Waiter(p, ctx);
        while (true) {
            Fill mine = new Fill(primaryKey);
            mine.waiters.add(w);
            Fill fill = fills.putIfAbsent(primaryKey, mine);
            if (fill == null) {
                claim(mine, w, waitMillis);
                return p.future();
            }
            synchronized (fill) {
                if (!fill.over) {
                    fill.waiters.add(w);
                    return p.future();
                }
                if (fill.outcome == Turn.FILLED) {
                    return Future.succeededFuture(Turn.FILLED);
                }
            }
            // That fill just timed out (and left the map): start another.
        }
    }

    /** This node's leader for the key asks the cluster for the claim. */
    private void claim(Fill fill, Waiter leader, long waitMillis) {
        String token = memberId + "/" + sequence.incrementAndGet();
        long timer = vertx.setTimer(waitMillis, id -> finish(fill, Turn.TIMED_OUT));
        synchronized (fill) {
            fill.timer = timer;
        }
        claims.submitToKey(fill.key, new CacheOperations.Claim(token, waitMillis))
                .whenComplete((holder, err) -> claimed(fill, leader, token, holder, err));
    }

    private void claimed(Fill fill, Waiter leader, String token, String holder, Throwable err) {
        Turn now = null;
        boolean release = false;
        synchronized (fill) {
            if (fill.over) {
                // Timed out before the cluster answered: a claim won now has no leader any more.
                release = err == null && holder == null;
            } else if (err != null || holder == null) {
                fill.state = State.LEADING;
                fill.token = err == null ? token : null;
                fill.waiters.remove(leader);
                leader.answer(Turn.LEAD);
            } else {
                fill.state = State.FOLLOWING;
                fill.token = holder;
                if (fill.endedWhileClaiming != null && fill.endedWhileClaiming.containsKey(holder)) {
                    now = fill.endedWhileClaiming.get(holder);
                } else if (!isMember(memberOf(holder))) {
                    now = Turn.FILLED;
                    release = true;
                }
                fill.endedWhileClaiming = null;
            }
        }
        if (release) {
            release(fill.key, err == null && holder == null ? token : holder);
        }
        if (now != null) {
            finish(fill, now);
        }
    }

    @Override
    public void done(String primaryKey) {
        Fill fill = fills.get(primaryKey);
        if (fill == null) {
            return;
        }
        String token;
        synchronized (fill) {
            if (fill.over || fill.state != State.LEADING) {
                return;
            }
            token = fill.token;
        }
        finish(fill, Turn.FILLED);
        if (token != null) {
            release(primaryKey, token); // the other nodes' followers hear of it through the removal
        }
    }

    /** Answers every waiter of the fill, once; the next miss for its key starts another. */
    private void finish(Fill fill, Turn turn) {
        fills.remove(fill.key, fill);
        List<Waiter> waiters;
        long timer;
        synchronized (fill) {
            if (fill.over) {
                return;
            }
            fill.over = true;
            fill.outcome = turn;
            waiters = List.copyOf(fill.waiters);
            fill.waiters.clear();
            timer = fill.timer;
        }
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        for (Waiter w : waiters) {
            w.answer(turn);
        }
    }

    /** Removes {@code token}'s claim on {@code key} if it is still there (not a later one). Asynchronous. */
    private void release(String key, String token) {
        claims.submitToKey(key, new CacheOperations.ReleaseClaim(token));
    }

    /** A claim ended somewhere in the cluster: removed by its leader, or expired. */
    private void ended(String key, String token, Turn how) {
        Fill fill = fills.get(key);
        if (fill == null || token == null) {
            return;
        }
        boolean finish = false;
        synchronized (fill) {
            if (fill.over) {
                return;
            }
            switch (fill.state) {
                case CLAIMING -> {
                    if (fill.endedWhileClaiming == null) {
                        fill.endedWhileClaiming = new HashMap<>(2);
                    }
                    fill.endedWhileClaiming.put(token, how);
                }
                case FOLLOWING -> finish = token.equals(fill.token);
                case LEADING -> {
                    // Our own claim: done() answered our followers, or the timer will.
                }
            }
        }
        if (finish) {
            finish(fill, how);
        }
    }

    private void memberLeft(String member) {
        for (Fill fill : fills.values()) {
            String token;
            synchronized (fill) {
                if (fill.over || fill.state != State.FOLLOWING || !member.equals(memberOf(fill.token))) {
                    continue;
                }
                token = fill.token;
            }
            finish(fill, Turn.FILLED);
            release(fill.key, token);
        }
    }

    private boolean isMember(String uuid) {
        return hz.getCluster().getMembers().stream().anyMatch(m -> m.getUuid().toString().equals(uuid));
    }

    private static String memberOf(String token) {
        int slash = token == null ? -1 : token.indexOf('/');
        return slash < 0 ? "" : token.substring(0, slash);
    }

    /** Keys with misses waiting or leading on this node (for tests). */
    int pending() {
        return fills.size();
    }

    /** Stops listening; every waiter still waiting is answered {@link Turn#TIMED_OUT}. */
    void close() {
        try {
            claims.removeEntryListener(entryListener);
            hz.getCluster().removeMembershipListener(membershipListener);
        } catch (RuntimeException e) {
            // The member is shutting down: nothing left to unregister from.
        }
        for (Fill fill : fills.values()) {
            finish(fill, Turn.TIMED_OUT);
        }
    }

    private final class ClaimEnds implements EntryRemovedListener<String, String>,
            EntryExpiredListener<String, String> {
        @Override
        public void entryRemoved(EntryEvent<String, String> e) {
            ended(e.getKey(), e.getOldValue(), Turn.FILLED);
        }

        @Override
        public void entryExpired(EntryEvent<String, String> e) {
            // The leader did not finish within the wait.
            ended(e.getKey(), e.getOldValue() != null ? e.getOldValue() : e.getValue(), Turn.TIMED_OUT);
        }
    }

    @Override
    public String toString() {
        return "HazelcastMissCollapsing[" + MAP + ", member " + memberId + "]";
    }
}
