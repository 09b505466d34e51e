package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.route.ListenerSettings;

import dev.gatehouse.proxy.health.HealthSignals;
import dev.gatehouse.proxy.observe.ExchangeObserver;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.upstream.UpstreamChannels;
import dev.gatehouse.proxy.upstream.UpstreamClients;

import io.vertx.core.Vertx;

/**
 * What the engine needs of one listener on one event loop (its settings, upstream connections, health signals and
 * observers), and the deadline sweep of its exchanges.
 */
public final class ProxyHandler {

    final Vertx vertx;
    final ProxyRuntime runtime;
    final ListenerSettings listener;
    /** Vert.x clients, for WebSocket tunnels only. */
    public final UpstreamClients clients;
    /** The upstream connections of this event loop: every proxied request goes through them. */
    public final UpstreamChannels channels;
    final HealthSignals health;
    /** The Strict-Transport-Security value every answer of this listener carries, or null. */
    final String hsts;
    /** Metrics and the access log; {@link ExchangeObserver#NONE} when nothing observes. */
    final ExchangeObserver observer;

    public ProxyHandler(Vertx vertx, ProxyRuntime runtime, ListenerSettings listener, UpstreamClients clients,
                 UpstreamChannels channels, HealthSignals health, ExchangeObserver observer, String hsts) {
        this.vertx = vertx;
        this.runtime = runtime;
        this.listener = listener;
        this.clients = clients;
        this.channels = channels;
        this.health = health;
        this.observer = observer;
        this.hsts = hsts;
    }

    /** Exchanges waiting for an upstream answer, in an intrusive list: no allocation to add or remove. */
    private InFlight head;
    private long sweepTimer = -1;
    private int tracked;
    static final long SWEEP_MILLIS = 10;

    /** Watches an exchange's deadlines (timeout, per-try timeout, hedge) until {@link #untrack}. */
    void track(InFlight e) {
        e.inFlight = true;
        e.nextInFlight = head;
        e.prevInFlight = null;
        if (head != null) {
            head.prevInFlight = e;
        }
        head = e;
        tracked++;
        if (sweepTimer < 0) {
            // One periodic timer per event loop and listener instead of a timer per request: arming and
            // cancelling a timer costs more than scanning the few dozen exchanges in flight every 10 ms.
            sweepTimer = vertx.setPeriodic(SWEEP_MILLIS, id -> sweep());
        }
    }

    void untrack(InFlight e) {
        if (!e.inFlight) {
            return;
        }
        e.inFlight = false;
        if (e.prevInFlight != null) {
            e.prevInFlight.nextInFlight = e.nextInFlight;
        } else {
            head = e.nextInFlight;
        }
        if (e.nextInFlight != null) {
            e.nextInFlight.prevInFlight = e.prevInFlight;
        }
        e.prevInFlight = null;
        e.nextInFlight = null;
        tracked--;
    }

    private void sweep() {
        if (head == null) {
            vertx.cancelTimer(sweepTimer);
            sweepTimer = -1;
            return;
        }
        long now = System.nanoTime();
        InFlight e = head;
        while (e != null) {
            InFlight next = e.nextInFlight;
            e.checkDeadlines(now);
            e = next;
        }
    }

    /** Stored responses prepared to answer from, by identity: direct-mapped, one slot per hash (this loop only). */
    private final CacheStage.Prepared[] prepared = new CacheStage.Prepared[1024];
    /** Bodies at least this large are kept in direct memory for hits; at most the budget per loop and listener. */
    private static final int DIRECT_BODY_MIN = 8 * 1024;
    private static final long DIRECT_BUDGET = 32L << 20;
    private long directBytes;

    /** {@code stored} ready to answer from: prepared once while the store hands out the same instance. */
    CacheStage.Prepared prepared(dev.gatehouse.proxy.cache.StoredResponse stored,
            dev.gatehouse.proxy.route.RouteCaching caching) {
        int slot = System.identityHashCode(stored) & (prepared.length - 1);
        CacheStage.Prepared p = prepared[slot];
        if (p == null || p.stored != stored || p.caching != caching) {
            if (p != null) {
                directBytes -= p.releaseDirect();
            }
            p = new CacheStage.Prepared(stored, caching);
            int n = p.body.remaining();
            if (n > DIRECT_BODY_MIN && directBytes + n <= DIRECT_BUDGET) {
                // Hot bodies are kept in direct memory too, so a hit is written to the socket without a copy.
                directBytes += p.makeDirect();
            }
            prepared[slot] = p;
        }
        return p;
    }
}
