package dev.gatehouse.app;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.internal.nearcache.NearCache;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;
import com.hazelcast.nearcache.NearCacheStats;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * What the cache sends between members: entry processors run on the owner of a key (and its backup), tasks run on
 * every member. All {@link IdentifiedDataSerializable} from {@link #FACTORY}, registered on every member by {@link
 * HazelcastResponseStore#configure}: no Java serialization, so the deserialization allow-list stays as it is.
 */
final class CacheOperations {

    static final int FACTORY_ID = 0x47480001;
    static final DataSerializableFactory FACTORY = id -> switch (id) {
        case CompareAndSet.ID -> new CompareAndSet();
        case SetValue.ID -> new SetValue();
        case Remove.ID -> new Remove();
        case PurgeNearCache.ID -> new PurgeNearCache();
        case MemberStats.ID -> new MemberStats();
        case ReleaseClaim.ID -> new ReleaseClaim();
        case Claim.ID -> new Claim();
        default -> null;
    };

    private CacheOperations() {
    }

    private abstract static class Identified implements IdentifiedDataSerializable {
        @Override
        public int getFactoryId() {
            return FACTORY_ID;
        }
    }

    /**
     * On the owner: stores {@code value} (with its time to live) only if the current value's fingerprint is {@code
     * expected} ({@code null}: only if absent). Answers {@code null} when it did, otherwise the current value (an
     * empty array for none), so the writer merges into what the owner holds rather than a stale near-cache copy.
     * Its backup is a plain {@link SetValue}, sent only when the owner changed the entry.
     */
    static final class CompareAndSet extends Identified implements EntryProcessor<String, byte[], byte[]> {
        static final int ID = 1;
        byte[] expected;
        byte[] value;
        long ttlMillis;

        CompareAndSet() {
        }

        CompareAndSet(byte[] expected, byte[] value, long ttlMillis) {
            this.expected = expected;
            this.value = value;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public byte[] process(Map.Entry<String, byte[]> entry) {
            byte[] current = entry.getValue();
            if (!Arrays.equals(CacheEntryCodec.fingerprint(current), expected)) {
                return current == null ? new byte[0] : current;
            }
            ((ExtendedMapEntry<String, byte[]>) entry).setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
            return null;
        }

        @Override
        public EntryProcessor<String, byte[], byte[]> getBackupProcessor() {
            return new SetValue(value, ttlMillis);
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeByteArray(expected);
            out.writeByteArray(value);
            out.writeLong(ttlMillis);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            expected = in.readByteArray();
            value = in.readByteArray();
            ttlMillis = in.readLong();
        }
    }

    /** On a backup: what the owner's {@link CompareAndSet} did. */
    static final class SetValue extends Identified implements EntryProcessor<String, byte[], byte[]> {
        static final int ID = 2;
        byte[] value;
        long ttlMillis;

        SetValue() {
        }

        SetValue(byte[] value, long ttlMillis) {
            this.value = value;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public byte[] process(Map.Entry<String, byte[]> entry) {
            ((ExtendedMapEntry<String, byte[]>) entry).setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
            return null;
        }

        @Override
        public EntryProcessor<String, byte[], byte[]> getBackupProcessor() {
            return this;
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeByteArray(value);
            out.writeLong(ttlMillis);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            value = in.readByteArray();
            ttlMillis = in.readLong();
        }
    }

    /** Removes the entry; true if there was one. Run on the entries a purge selects, owner and backup. */
    static final class Remove extends Identified implements EntryProcessor<String, byte[], Boolean> {
        static final int ID = 3;

        @Override
        public Boolean process(Map.Entry<String, byte[]> entry) {
            if (entry.getValue() == null) {
                return false;
            }
            entry.setValue(null);
            return true;
        }

        @Override
        public EntryProcessor<String, byte[], Boolean> getBackupProcessor() {
            return this;
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) {
        }

        @Override
        public void readData(ObjectDataInput in) {
        }
    }

    /**
     * On every member: drops purged keys from this member's near cache now (Hazelcast's own invalidation reaches it
     * too, but asynchronously), then answers the member's id. {@code keys == null} clears the whole near cache
     * (for purges too large to list).
     */
    static final class PurgeNearCache extends Identified implements Callable<String>, HazelcastInstanceAware {
        static final int ID = 4;
        String map;
        String[] keys;
        private transient HazelcastInstance hz;

        PurgeNearCache() {
        }

        PurgeNearCache(String map, String[] keys) {
            this.map = map;
            this.keys = keys;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public String call() {
            IMap<String, byte[]> m = hz.getMap(map);
            ReadMemo memo = HazelcastResponseStore.memo(hz);
            // A fill of one of these keys still on its way to the store on this member must not undo the purge.
            InvalidationLog log = HazelcastResponseStore.invalidations(hz);
            long now = System.currentTimeMillis();
            if (keys == null) {
                log.all(now);
            } else {
                for (String k : keys) {
                    log.key(k, now);
                }
            }
            // Hazelcast has no public API for a member's own near cache; this proxy type is its implementation.
            if (m instanceof NearCachedMapProxyImpl<?, ?> near) {
                NearCache<Object, Object> nc = near.getNearCache();
                if (keys == null) {
                    nc.clear();
                } else {
                    for (String k : keys) {
                        nc.invalidate(k);
                    }
                }
            }
            // Not needed for coherence (the memo answers only for the array the near cache still holds), but what
            // was purged need not stay in memory.
            if (keys == null) {
                memo.clear();
            } else {
                for (String k : keys) {
                    memo.drop(k);
                }
            }
            return hz.getCluster().getLocalMember().getUuid().toString();
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeString(map);
            out.writeStringArray(keys);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            map = in.readString();
            keys = in.readStringArray();
        }
    }

    /**
     * On every member: its share of the map and its near cache figures, and the store's own lookups there. Answers
     * a {@code long[]} in the order of {@link HazelcastResponseStore.MemberStats}'s numbers.
     */
    static final class MemberStats extends Identified implements Callable<long[]>, HazelcastInstanceAware {
        static final int ID = 5;
        String map;
        private transient HazelcastInstance hz;

        MemberStats() {
        }

        MemberStats(String map) {
            this.map = map;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public long[] call() {
            IMap<String, byte[]> m = hz.getMap(map);
            LocalMapStats s = m.getLocalMapStats();
            NearCacheStats nc = s.getNearCacheStats();
            HazelcastResponseStore.Counters c = HazelcastResponseStore.counters(hz);
            return new long[] {
                s.getOwnedEntryCount(), s.getOwnedEntryMemoryCost(), s.getBackupEntryCount(),
                c.hits.sum(), c.misses.sum(), c.rejected.sum(), c.stored.sum(), c.refused.sum(),
                nc == null ? 0 : nc.getOwnedEntryCount(),
                // An OBJECT near cache does not weigh its values; the memo holds the same arrays.
                nc == null ? 0 : Math.max(nc.getOwnedEntryMemoryCost(), HazelcastResponseStore.memo(hz).bytes()),
                nc == null ? 0 : nc.getHits(), nc == null ? 0 : nc.getMisses(),
                nc == null ? 0 : nc.getEvictions(), nc == null ? 0 : nc.getInvalidations(), s.getEvictionCount()
            };
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeString(map);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            map = in.readString();
        }
    }

    /**
     * Takes a miss-collapsing claim ({@link HazelcastMissCollapsing#MAP}) for {@code ttlMillis} if nobody holds it:
     * answers {@code null} when it did, otherwise the holder's token. Its backup is the same claim, sent only when
     * the owner changed the entry (IMap has no asynchronous putIfAbsent with a time to live).
     */
    static final class Claim extends Identified implements EntryProcessor<String, String, String> {
        static final int ID = 7;
        String token;
        long ttlMillis;

        Claim() {
        }

        Claim(String token, long ttlMillis) {
            this.token = token;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public String process(Map.Entry<String, String> entry) {
            String holder = entry.getValue();
            if (holder != null) {
                return holder;
            }
            ((ExtendedMapEntry<String, String>) entry).setValue(token, ttlMillis, TimeUnit.MILLISECONDS);
            return null;
        }

        @Override
        public EntryProcessor<String, String, String> getBackupProcessor() {
            return this;
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeString(token);
            out.writeLong(ttlMillis);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            token = in.readString();
            ttlMillis = in.readLong();
        }
    }

    /**
     * Removes a miss-collapsing claim ({@link HazelcastMissCollapsing#MAP}) if it is still {@code token}: a leader
     * done late must not remove the claim of the leader that came after it. True if it did.
     */
    static final class ReleaseClaim extends Identified implements EntryProcessor<String, String, Boolean> {
        static final int ID = 6;
        String token;

        ReleaseClaim() {
        }

        ReleaseClaim(String token) {
            this.token = token;
        }

        @Override
        public Boolean process(Map.Entry<String, String> entry) {
            if (!token.equals(entry.getValue())) {
                return false;
            }
            entry.setValue(null);
            return true;
        }

        @Override
        public EntryProcessor<String, String, Boolean> getBackupProcessor() {
            return this;
        }

        @Override
        public int getClassId() {
            return ID;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeString(token);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            token = in.readString();
        }
    }

    /** A member's name in purge acknowledgements and stats: its UUID, as the cluster view shows it. */
    static String name(Member m) {
        return m.getUuid().toString();
    }
}
