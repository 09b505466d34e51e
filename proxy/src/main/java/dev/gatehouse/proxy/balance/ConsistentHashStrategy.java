package dev.gatehouse.proxy.balance;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A hash ring with virtual nodes (160 per unit of weight, as ketama). A key maps to the first point at or after
 * its hash; removing one of N backends moves only the keys that pointed at it, about 1/N. A retry walks on to
 * the next distinct backend.
 */
final class ConsistentHashStrategy implements BalancingStrategy {

    static final ConsistentHashStrategy INSTANCE = new ConsistentHashStrategy();
    static final int POINTS_PER_WEIGHT = 160;

    @Override
    public BackendSelector newSelector(List<Backend> eligible) {
        int points = eligible.stream().mapToInt(b -> b.weight() * POINTS_PER_WEIGHT).sum();
        long[] hashes = new long[points];
        Backend[] owners = new Backend[points];
        int k = 0;
        for (Backend b : eligible) {
            for (int i = 0; i < b.weight() * POINTS_PER_WEIGHT; i++) {
                hashes[k] = hash(b.id() + "#" + i);
                owners[k] = b;
                k++;
            }
        }
        // Sort points by hash, carrying owners along.
        Integer[] order = new Integer[points];
        for (int i = 0; i < points; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(hashes[x], hashes[y]));
        long[] ring = new long[points];
        Backend[] ringOwners = new Backend[points];
        for (int i = 0; i < points; i++) {
            ring[i] = hashes[order[i]];
            ringOwners[i] = owners[order[i]];
        }
        int distinct = eligible.size();
        return selection -> {
            if (ring.length == 0) {
                return null;
            }
            int i = Arrays.binarySearch(ring, selection.hashKey());
            if (i < 0) {
                i = -i - 1;
            }
            // Walk on until a backend not excluded; bounded by the ring size.
            for (int step = 0, seen = 0; step < ring.length && seen <= distinct * POINTS_PER_WEIGHT; step++, seen++) {
                Backend b = ringOwners[(i + step) % ring.length];
                if (!selection.excluded(b)) {
                    return b;
                }
            }
            return null;
        };
    }

    /** 64-bit FNV-1a followed by a murmur finaliser: cheap and well spread for short keys. */
    public static long hash(String key) {
        return hash(key.getBytes(StandardCharsets.UTF_8));
    }

    public static long hash(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
