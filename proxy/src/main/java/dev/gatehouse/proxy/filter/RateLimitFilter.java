package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * A token bucket per key (client address, a header or a JWT claim). Buckets refill continuously at {@code rate} up to
 * {@code burst}; an empty bucket answers 429 with Retry-After.
 *
 * <p>{@code scope: node} limits each node on its own. {@code scope: cluster} divides the rate and burst among the
 * live nodes, so the cluster as a whole admits about {@code rate}: exact when the load balancer in front spreads a
 * key's traffic evenly, conservative when it does not. No cross-node round trip sits on the request path.
 *
 * <p>The key space is bounded, whatever a client sends: at most {@code max-keys} buckets, each key at most
 * {@value #MAX_KEY_CHARS} characters (longer ones are replaced by their SHA-256). A new key past the bound takes the
 * slot of a bucket picked by a clock hand (second chance: a bucket used again since it was created or the hand last
 * passed is skipped, at most {@value #CLOCK_STEPS} in a row), so a request does O(1) work however many keys exist.
 * Buckets that have refilled completely carry no information and are removed by {@link #sweep}, a bounded amount per
 * upkeep tick, off the request path. Evicting a live bucket under a flood of new keys gives that key a fresh burst:
 * the price of the bound, paid first by keys seen once and then by the keys used least recently.
 */
public final class RateLimitFilter implements ProxyFilter {

    static final int MAX_KEY_CHARS = 64;
    static final int CLOCK_STEPS = 8;
    /** Buckets examined per upkeep tick and filter: about a millisecond of work. */
    static final int SWEEP_PER_TICK = 10_000;

    private final String headerKey;
    private final String claimKey;
    private final double perNanoTotal;
    private final double burstTotal;
    private final IntSupplier nodes;
    private final int maxKeys;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    /** Every live bucket holds one slot; guarded by {@code this.slotLock}. Grows up to maxKeys. */
    private Bucket[] slots;
    private int used;
    private int hand;
    private final Object slotLock = new Object();
    /** Where the sweep stopped last tick; only the upkeep thread touches it. */
    private Iterator<Bucket> sweepAt;
    public final LongAdder evicted = new LongAdder();
    final LongAdder expired = new LongAdder();

    public RateLimitFilter(FilterConfig.RateLimit config, IntSupplier clusterNodes) {
        this(config, clusterNodes, System::nanoTime);
    }

    public RateLimitFilter(FilterConfig.RateLimit config, IntSupplier clusterNodes, LongSupplier nanoClock) {
        this.headerKey = config.key().startsWith("header:") ? config.key().substring(7) : null;
        this.claimKey = config.key().startsWith("jwt:") ? config.key().substring(4) : null;
        this.perNanoTotal = config.rate().perSecond() / 1e9;
        this.burstTotal = config.burst() == null ? Math.max(1, config.rate().perSecond()) : config.burst();
        this.nodes = "cluster".equals(config.scope()) ? clusterNodes : () -> 1;
        this.maxKeys = config.keyLimit();
        this.clock = nanoClock;
        this.slots = new Bucket[Math.min(maxKeys, 1024)];
    }

    /** One key's bucket. Fields guarded by the bucket's monitor; a dead bucket is out of the map, never reused. */
    private static final class Bucket {
        final String key;
        final int slot;
        double tokens;
        long last;
        boolean referenced;
        boolean dead;

        Bucket(String key, int slot, double tokens, long last) {
            this.key = key;
            this.slot = slot;
            this.tokens = tokens;
            this.last = last;
        }
    }

    @Override
    public Rejection onRequest(RequestView exchange) {
        String key = headerKey != null ? prefixed("h:", exchange.header(headerKey))
                : claimKey != null ? claim(exchange, claimKey) : null;
        return admit(key != null ? key : "ip:" + exchange.clientAddress());
    }

    /** Takes a token from {@code key}'s bucket: {@code null} when there was one, else the 429 to send. */
    public Rejection admit(String rawKey) {
        String key = bounded(rawKey);
        long now = clock.getAsLong();
        int share = Math.max(1, nodes.getAsInt());
        double perNano = perNanoTotal / share;
        double burst = Math.max(1, burstTotal / share);
        double wait;
        while (true) {
            Bucket b = buckets.get(key);
            boolean seen = b != null;
            if (b == null) {
                b = insert(key, burst, now);
            }
            synchronized (b) {
                if (b.dead) {
                    continue; // evicted or swept between the lookup and the lock: use its successor
                }
                // Only a key seen again earns a second chance: a flood of one-off keys evicts its own kind first.
                b.referenced |= seen;
                b.tokens = Math.min(burst, b.tokens + Math.max(0, now - b.last) * perNano);
                b.last = now;
                if (b.tokens >= 1) {
                    b.tokens -= 1;
                    return null;
                }
                wait = (1 - b.tokens) / perNano / 1e9;
                break;
            }
        }
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("Retry-After", Long.toString(Math.max(1, (long) Math.ceil(wait))));
        return new ProxyFilter.Rejection(429, "too many requests\n", h);
    }

    private Bucket insert(String key, double burst, long now) {
        synchronized (slotLock) {
            Bucket b = buckets.get(key);
            if (b != null) {
                return b;
            }
            int slot = freeSlot();
            b = new Bucket(key, slot, burst, now);
            slots[slot] = b;
            buckets.put(key, b);
            return b;
        }
    }

    /** A slot for a new bucket: a never-used one while the bound allows, else the clock hand's pick. */
    private int freeSlot() {
        if (used == slots.length && slots.length < maxKeys) {
            slots = Arrays.copyOf(slots, (int) Math.min(maxKeys, 2L * slots.length));
        }
        if (used < slots.length) {
            return used++;
        }
        for (int step = 0; ; step++) {
            int i = hand;
            hand = hand + 1 == slots.length ? 0 : hand + 1;
            Bucket old = slots[i];
            if (old == null) {
                return i;
            }
            synchronized (old) {
                if (old.dead) {
                    return i;
                }
                if (old.referenced && step < CLOCK_STEPS) {
                    old.referenced = false;
                    continue;
                }
                old.dead = true;
                buckets.remove(old.key, old);
            }
            evicted.increment();
            return i;
        }
    }

    /**
     * Removes up to {@code budget} buckets' worth of the map that have refilled completely, continuing where the
     * previous call stopped. Called by the upkeep timer, one thread at a time.
     */
    void sweep(int budget) {
        long now = clock.getAsLong();
        int share = Math.max(1, nodes.getAsInt());
        double perNano = perNanoTotal / share;
        double burst = Math.max(1, burstTotal / share);
        if (sweepAt == null || !sweepAt.hasNext()) {
            sweepAt = buckets.values().iterator();
        }
        for (int n = 0; n < budget && sweepAt.hasNext(); n++) {
            Bucket b = sweepAt.next();
            synchronized (b) {
                if (b.dead || b.tokens + Math.max(0, now - b.last) * perNano < burst) {
                    continue;
                }
                b.dead = true;
                buckets.remove(b.key, b);
            }
            synchronized (slotLock) {
                if (b.slot < slots.length && slots[b.slot] == b) {
                    slots[b.slot] = null;
                }
            }
            expired.increment();
        }
    }

    @Override
    public void upkeep(io.vertx.core.Vertx vertx) {
        sweep(SWEEP_PER_TICK);
    }

    /** Keys tracked now. */
    public int size() {
        return buckets.size();
    }

    private static String prefixed(String prefix, String value) {
        return value == null ? null : prefix + value;
    }

    /** Keys longer than {@value #MAX_KEY_CHARS} characters are kept as their digest: memory per key is bounded. */
    static String bounded(String key) {
        if (key.length() <= MAX_KEY_CHARS) {
            return key;
        }
        try {
            return "#" + Base64.getEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String claim(RequestView exchange, String name) {
        if (exchange.claims() == null) {
            return null;
        }
        Object v = exchange.claims().getValue(name);
        return v == null ? null : "jwt:" + v;
    }
}
