package dev.gatehouse.proxy.cache;

import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A store in this node's memory, for a proxy that runs without a cluster (and for tests): least recently used
 * entries go first once {@code maxBytes} is reached. Lookups and writes take one short lock; nothing blocks.
 */
public final class LocalResponseStore implements ResponseStore {

    /** Variants kept under one primary key; the oldest go first. */
    static final int MAX_VARIANTS = 32;
    static final String MEMBER = "local";

    private final long maxBytes;
    private final long maxEntryBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;
    private long evictions;

    private record Entry(List<StoredResponse> variants, long size) {
    }

    public LocalResponseStore(long maxBytes, long maxEntryBytes) {
        this.maxBytes = maxBytes;
        this.maxEntryBytes = maxEntryBytes;
    }

    /** A rough size of a stored variant: its body and header bytes plus fixed overhead. */
    static long size(StoredResponse r) {
        long n = 128L + r.body().remaining();
        for (StoredResponse.Header h : r.headers()) {
            n += h.name().length() + h.value().length() + 8;
        }
        for (StoredResponse.Header h : r.vary()) {
            n += h.name().length() + h.value().length() + 8;
        }
        return n;
    }

    @Override
    public Future<List<StoredResponse>> get(String primaryKey) {
        Entry e;
        synchronized (this) {
            e = entries.get(primaryKey);
        }
        if (e == null) {
            return Future.succeededFuture(List.of());
        }
        Instant now = Instant.now();
        List<StoredResponse> live = new ArrayList<>(e.variants.size());
        for (StoredResponse v : e.variants) {
            if (v.keepUntil().isAfter(now)) {
                live.add(v);
            }
        }
        return Future.succeededFuture(live);
    }

    @Override
    public Future<Void> put(String primaryKey, StoredResponse response) {
        long size = size(response);
        if (size > maxEntryBytes) {
            return Future.failedFuture(new Refused("entry of " + size + " bytes (max-entry-size: " + maxEntryBytes
                    + ")"));
        }
        Instant now = Instant.now();
        synchronized (this) {
            Entry old = entries.remove(primaryKey);
            List<StoredResponse> variants = new ArrayList<>();
            variants.add(response);
            long total = size;
            if (old != null) {
                bytes -= old.size;
                for (StoredResponse v : old.variants) {
                    long s = size(v);
                    if (variants.size() < MAX_VARIANTS && !v.vary().equals(response.vary())
                            && v.keepUntil().isAfter(now) && total + s <= maxEntryBytes) {
                        variants.add(v);
                        total += s;
                    }
                }
            }
            entries.put(primaryKey, new Entry(List.copyOf(variants), total));
            bytes += total;
            Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
            while (bytes > maxBytes && it.hasNext()) {
                Map.Entry<String, Entry> eldest = it.next();
                if (eldest.getKey().equals(primaryKey)) {
                    continue;
                }
                bytes -= eldest.getValue().size;
                it.remove();
                evictions++;
            }
        }
        return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> remove(String primaryKey) {
        synchronized (this) {
            Entry e = entries.remove(primaryKey);
            if (e != null) {
                bytes -= e.size;
            }
            return Future.succeededFuture(e != null);
        }
    }

    @Override
    public Future<Purge> purgeKey(String primaryKey) {
        return remove(primaryKey).map(removed -> new Purge(removed ? 1 : 0, List.of(MEMBER)));
    }

    @Override
    public Future<Purge> purgePrefix(String prefix) {
        return Future.succeededFuture(purge((k, e) -> k.startsWith(prefix)));
    }

    @Override
    public Future<Purge> purgeTag(String tag) {
        return Future.succeededFuture(purge((k, e) -> e.variants.stream().anyMatch(v -> v.tags().contains(tag))));
    }

    private synchronized Purge purge(java.util.function.BiPredicate<String, Entry> which) {
        long n = 0;
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (which.test(e.getKey(), e.getValue())) {
                bytes -= e.getValue().size;
                it.remove();
                n++;
            }
        }
        return new Purge(n, List.of(MEMBER));
    }

    @Override
    public long maxEntryBytes() {
        return maxEntryBytes;
    }

    public synchronized int entries() {
        return entries.size();
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /** Entries whose key {@code matches}, for tests. */
    synchronized long count(Predicate<String> matches) {
        return entries.keySet().stream().filter(matches).count();
    }
}
