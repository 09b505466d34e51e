package dev.gatehouse.app;

import dev.gatehouse.proxy.cache.StoredResponse;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this member last verified and decoded under each cache key, so a near-cache hit costs neither the HMAC over
 * the whole entry nor a decode. An entry answers only for the very array it was made from ({@code ==}): the near
 * cache (in-memory format OBJECT) hands back the same array until Hazelcast invalidates or evicts it, and any other
 * array, a changed entry included, is verified again. So the memo can never serve what the near cache no longer
 * holds, and it authenticates exactly what was authenticated before.
 *
 * <p>Bounded by the near cache's entry count: at most that many keys, each holding one array (which the near cache
 * usually holds too). Past the bound, arbitrary entries go; a miss on a key or a purge drops it at once.
 */
final class ReadMemo {

    private final int maxEntries;
    private final ConcurrentHashMap<String, Decoded> entries = new ConcurrentHashMap<>();
    /** Bytes of the arrays held (what an OBJECT near cache does not count itself). */
    private final AtomicLong bytes = new AtomicLong();

    ReadMemo(int maxEntries) {
        this.maxEntries = Math.max(1, maxEntries);
    }

    /**
     * A verified value and its variants (bodies are read-only views of {@code value}, not copies).
     *
     * @param firstExpiry the earliest {@code keepUntil} of the variants, epoch ms: before it, all are live
     */
    record Decoded(byte[] value, List<StoredResponse> variants, long firstExpiry) {
        Decoded(byte[] value, List<StoredResponse> variants) {
            this(value, variants, variants.stream().mapToLong(v -> v.keepUntil().toEpochMilli()).min()
                    .orElse(Long.MIN_VALUE));
        }
    }

    /** What {@code value} decoded to, if it is the very array last decoded under {@code key}; else null. */
    Decoded get(String key, byte[] value) {
        Decoded d = entries.get(key);
        return d != null && d.value == value ? d : null;
    }

    void put(String key, Decoded decoded) {
        if (entries.size() >= maxEntries && !entries.containsKey(key)) {
            // Drop about an eighth, so the scan runs once per many puts.
            int drop = Math.max(1, maxEntries / 8);
            for (Iterator<Map.Entry<String, Decoded>> it = entries.entrySet().iterator(); it.hasNext() && drop > 0;
                 drop--) {
                drop(it.next().getKey());
            }
        }
        bytes.addAndGet(decoded.value.length);
        Decoded old = entries.put(key, decoded);
        if (old != null) {
            bytes.addAndGet(-old.value.length);
        }
    }

    void drop(String key) {
        Decoded old = entries.remove(key);
        if (old != null) {
            bytes.addAndGet(-old.value.length);
        }
    }

    void clear() {
        entries.keySet().forEach(this::drop);
    }

    long bytes() {
        return bytes.get();
    }

    int size() {
        return entries.size();
    }
}
