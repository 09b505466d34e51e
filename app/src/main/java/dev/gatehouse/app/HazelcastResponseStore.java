package dev.gatehouse.app;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.AttributeConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.internal.nearcache.NearCache;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.proxy.cache.CacheKey;
import dev.gatehouse.proxy.cache.ResponseStore;
import dev.gatehouse.proxy.cache.StoredResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The response cache's storage on Hazelcast: one partitioned map, {@value #MAP}, from primary key to the signed
 * bytes of all the variants stored under it ({@link CacheEntryCodec}).
 *
 * <ul>
 *   <li>One synchronous backup, no asynchronous one: a member that dies loses no entry.</li>
 *   <li>A near cache on every member (OBJECT, invalidated on change, at most {@code cache.near-cache-max-entries}
 *       entries, evicted by the same policy as the map), so hot entries are read without a network hop.</li>
 *   <li>{@code cache.max-size} bounds the map with Hazelcast's {@code USED_HEAP_SIZE}, which is per member and
 *       counts what the member holds of the map: its primary copies, the backups of other members' entries, and
 *       its near cache. So each of the N planned members (those listed in {@code cluster.members}, 1 standalone)
 *       gets {@code ceil(max-size x (N > 1 ? 2 : 1) / N)} megabytes, at least 1: the cluster keeps about {@code
 *       max-size} of distinct entries when all planned members run, less while some are missing, never more (the
 *       limit is approximate: Hazelcast estimates costs and evicts by sampling, per partition).</li>
 *   <li>Every value is signed with the cluster secret and bound to its key; one that does not verify is counted
 *       ({@code gatehouse_cluster_rejected_values_total{structure="gatehouse.cache"}}), logged, removed, and
 *       never served.</li>
 *   <li>Purges select entries on the members that own them: by key directly, by key prefix through a sorted index
 *       on the key, by path prefix (every scheme and host) through a regular expression over the keys (a scan), by
 *       tag through a hash index on the {@code tags} attribute ({@link CacheTagsExtractor}, which reads the tags
 *       listed at the head of each value). Then every member drops the purged keys from its near cache (and its
 *       {@link ReadMemo}) and acknowledges.</li>
 * </ul>
 *
 * <p>Members must be configured with {@link #configure} before they start. Reads complete on the caller's context. A
 * near-cache hit is answered on the caller's thread with an already completed future, and costs a verification and
 * a decode only the first time this member sees that value ({@link ReadMemo}); other reads verify where the value
 * arrives (a Hazelcast thread). Bodies are read-only views of the verified array, never copies. Writes, purges and
 * statistics run on Vert.x worker threads. The store holds nothing but the member's map and executor: it needs no
 * closing, and stops working when the member shuts down (calls then fail, which the cache treats as misses).
 *
 * <p>Embedded members only: in client mode the near cache would be the client's and the tasks would have to run
 * on members that do not have Gatehouse's classes.
 */
final class HazelcastResponseStore implements ResponseStore {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("gatehouse");
    static final String MAP = "gatehouse.cache";
    static final String EXECUTOR = "gatehouse.cache.tasks";
    /** Where {@link #configure} leaves this member's {@link Counters} ({@link Config#getUserContext()}). */
    static final String COUNTERS = "gatehouse.cache.counters";
    /** Where {@link #configure} leaves the {@link CacheConfig} this member's map was configured with. */
    static final String STORAGE = "gatehouse.cache.storage";
    /** Where {@link #configure} leaves this member's {@link ReadMemo}. */
    static final String MEMO = "gatehouse.cache.memo";
    static final String INVALIDATIONS = "gatehouse.cache.invalidations";
    /** Variants kept under one primary key; the oldest go first. */
    static final int MAX_VARIANTS = 32;
    /** Above this many keys a purge clears the members' near caches instead of listing the keys. */
    static final int LISTED_KEYS_LIMIT = 10_000;
    private static final long ACK_TIMEOUT_MILLIS = 30_000;
    private static final int PUT_ATTEMPTS = 10;

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final IMap<String, byte[]> map;
    private final SharedValues values;
    /** Read live: {@code cache.max-entry-size} of the node's current shared config. */
    private final java.util.function.LongSupplier maxEntryBytes;
    private final Counters counters;
    private final ReadMemo memo;
    private final InvalidationLog invalidations;
    private final NearCache<Object, Object> nearCache;

    /**
     * @throws IllegalStateException when {@code hz} was not configured by {@link #configure}
     */
    HazelcastResponseStore(Vertx vertx, HazelcastInstance hz, SharedValues values, CacheConfig cache) {
        this(vertx, hz, values, () -> cache.maxEntrySize().bytes());
    }

    /**
     * @param maxEntryBytes the largest entry stored, read at every put (so a config change applies at once)
     * @throws IllegalStateException when {@code hz} was not configured by {@link #configure}
     */
    HazelcastResponseStore(Vertx vertx, HazelcastInstance hz, SharedValues values,
                           java.util.function.LongSupplier maxEntryBytes) {
        this.vertx = vertx;
        this.hz = hz;
        this.values = values;
        this.maxEntryBytes = maxEntryBytes;
        this.counters = counters(hz);
        this.memo = memo(hz);
        this.invalidations = invalidations(hz);
        this.map = hz.getMap(MAP);
        // Hazelcast has no public API for a member's own near cache; this proxy type is its implementation.
        this.nearCache = map instanceof NearCachedMapProxyImpl<?, ?> near ? near.getNearCache() : null;
    }

    /**
     * Adds the cache map, its near cache, indexes and the cache's serializers to a member's configuration; call on
     * every member's config before it starts, with the same values everywhere.
     *
     * @param plannedMembers how many members the cluster is meant to have (the size of {@code cluster.members}, 1
     *                       standalone): the whole map's {@code max-size} is shared among them
     */
    static Config configure(Config config, CacheConfig cache, int plannedMembers) {
        EvictionPolicy policy = cache.eviction() == CacheConfig.Eviction.LFU ? EvictionPolicy.LFU : EvictionPolicy.LRU;
        // OBJECT: the near cache hands back the same array until it is invalidated, which ReadMemo relies on.
        NearCacheConfig near = new NearCacheConfig(MAP)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setInvalidateOnChange(true)
                .setCacheLocalEntries(true)
                .setEvictionConfig(new EvictionConfig().setEvictionPolicy(policy)
                        .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT).setSize(cache.nearCacheMaxEntries()));
        MapConfig map = new MapConfig(MAP)
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setInMemoryFormat(InMemoryFormat.BINARY)
                .setStatisticsEnabled(true)
                .setEvictionConfig(new EvictionConfig().setEvictionPolicy(policy)
                        .setMaxSizePolicy(MaxSizePolicy.USED_HEAP_SIZE)
                        .setSize(perMemberMegabytes(cache, plannedMembers)))
                .setNearCacheConfig(near)
                // After a split heals, the smaller side's entries are dropped, not merged: a purge made on the
                // larger side while split must not come back from the other; a dropped entry costs one refetch.
                .setMergePolicyConfig(new com.hazelcast.config.MergePolicyConfig(
                        com.hazelcast.spi.merge.DiscardMergePolicy.class.getName(),
                        com.hazelcast.config.MergePolicyConfig.DEFAULT_BATCH_SIZE))
                .addAttributeConfig(new AttributeConfig("tags", CacheTagsExtractor.class.getName()))
                .addIndexConfig(new IndexConfig(IndexType.HASH, "tags"))
                .addIndexConfig(new IndexConfig(IndexType.SORTED, "__key"));
        config.addMapConfig(map);
        // Miss-collapsing claims: a few small entries living no longer than collapse-wait.
        config.addMapConfig(new MapConfig(HazelcastMissCollapsing.MAP).setBackupCount(1).setAsyncBackupCount(0)
                .setStatisticsEnabled(false));
        config.getSerializationConfig().addDataSerializableFactory(CacheOperations.FACTORY_ID,
                CacheOperations.FACTORY);
        // Invalidations reach other members' near caches as each change happens, not in batches every 10 s.
        config.setProperty("hazelcast.map.invalidation.batch.enabled", "false");
        config.getUserContext().put(COUNTERS, new Counters());
        config.getUserContext().put(STORAGE, cache);
        config.getUserContext().put(MEMO, new ReadMemo(cache.nearCacheMaxEntries()));
        config.getUserContext().put(INVALIDATIONS, new InvalidationLog());
        return config;
    }

    /** The {@code USED_HEAP_SIZE} of each member, in megabytes (see the class comment). */
    static int perMemberMegabytes(CacheConfig cache, int plannedMembers) {
        int n = Math.max(1, plannedMembers);
        double bytes = (double) cache.maxSize().bytes() * (n > 1 ? 2 : 1) / n;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(bytes / (1 << 20))));
    }

    static Counters counters(HazelcastInstance hz) {
        Object c = hz.getUserContext().get(COUNTERS);
        if (!(c instanceof Counters counters)) {
            throw new IllegalStateException("this Hazelcast member was not configured for the response cache"
                    + " (HazelcastResponseStore.configure)");
        }
        return counters;
    }

    /**
     * The storage settings this member's map runs with ({@code max-size}, {@code eviction}, {@code
     * near-cache-max-entries}): those given to {@link #configure} when it started, whatever the shared config says
     * now.
     */
    CacheConfig storage() {
        return hz.getUserContext().get(STORAGE) instanceof CacheConfig c ? c : CacheConfig.DEFAULT;
    }

    static InvalidationLog invalidations(HazelcastInstance hz) {
        return hz.getUserContext().get(INVALIDATIONS) instanceof InvalidationLog l ? l : new InvalidationLog();
    }

    static ReadMemo memo(HazelcastInstance hz) {
        return hz.getUserContext().get(MEMO) instanceof ReadMemo m ? m : new ReadMemo(1);
    }

    /**
     * A Hazelcast future as a Vert.x one, completed on {@code ctx}. Never through the stage's own callbacks: Hazelcast
     * runs those on its default async executor, which on a machine of two cores or fewer starts a new thread for
     * each (the common fork-join pool is too small to be used), measured at milliseconds per cache miss under load.
     */
    static <T> Future<T> onContext(java.util.concurrent.CompletionStage<T> stage, Context ctx) {
        io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
        stage.whenCompleteAsync((v, err) -> {
            if (err != null) {
                p.fail(err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                        ? err.getCause() : err);
            } else {
                p.complete(v);
            }
        }, command -> ctx.runOnContext(x -> command.run()));
        return p.future();
    }

    @Override
    public long maxEntryBytes() {
        return maxEntryBytes.getAsLong();
    }

    @Override
    public Future<List<StoredResponse>> get(String primaryKey) {
        if (nearCache != null && nearCache.get(primaryKey) instanceof byte[] cached) {
            // A near-cache hit, answered here on the caller's thread. Not through getAsync: on a hit it wraps the
            // cached value in a future that completes on Hazelcast's async executor, a thread hop per read.
            return Future.succeededFuture(open(primaryKey, cached));
        }
        Context ctx = vertx.getOrCreateContext();
        return onContext(map.getAsync(primaryKey), ctx).map(v -> open(primaryKey, v));
    }

    @Override
    public Future<Void> put(String primaryKey, StoredResponse response) {
        long size = CacheEntryCodec.encodedSize(List.of(response));
        long max = maxEntryBytes();
        if (size > max) {
            counters.refused.increment();
            return Future.failedFuture(new Refused("entry of " + size + " bytes (max-entry-size: " + max
                    + ")"));
        }
        return vertx.executeBlocking(() -> {
            store(primaryKey, response);
            return null;
        }, false);
    }

    @Override
    public Future<Boolean> remove(String primaryKey) {
        invalidations.key(primaryKey, System.currentTimeMillis());
        memo.drop(primaryKey);
        Context ctx = vertx.getOrCreateContext();
        return onContext(map.deleteAsync(primaryKey), ctx).andThen(ar -> {
            // Then every member drops it from its near cache and logs it, as a purge does, without the caller waiting:
            // a fill on another member that began before this invalidation stores nothing, and the near caches
            // need not wait for Hazelcast's own invalidation event.
            try {
                executor().submitToAllMembers(new CacheOperations.PurgeNearCache(MAP, new String[] {primaryKey}));
            } catch (RuntimeException e) {
                LOG.debug("near-cache invalidation of {} not sent: {}", primaryKey, e.toString());
            }
        });
    }

    @Override
    public Future<Purge> purgeKey(String primaryKey) {
        invalidations.key(primaryKey, System.currentTimeMillis());
        return vertx.executeBlocking(() -> {
            Boolean removed = map.executeOnKey(primaryKey, new CacheOperations.Remove());
            return new Purge(Boolean.TRUE.equals(removed) ? 1 : 0, acknowledge(new String[] {primaryKey}));
        }, false);
    }

    @Override
    public Future<Purge> purgePrefix(String prefix) {
        return purge(prefixPredicate(prefix));
    }

    /**
     * Drops the entries of every scheme and host whose path starts with {@code pathPrefix} (e.g. {@code /img/}), from
     * the map and every near cache: what the admin API's prefix purge means. The prefix is normalised as keys are
     * ({@link CacheKey}). Selected by a regular expression over whole keys on the members owning them (a scan, not
     * an index: a key's path follows its host), anchored after the authority, so a host containing the prefix's
     * text does not match.
     */
    Future<Purge> purgePathPrefix(String pathPrefix) {
        return purge(pathPrefixPredicate(pathPrefix));
    }

    /** Keys ({@code METHOD scheme://authority/path?query}) whose path starts with {@code pathPrefix}. */
    static Predicate<String, byte[]> pathPrefixPredicate(String pathPrefix) {
        return Predicates.regex("__key", pathPrefixRegex(pathPrefix));
    }

    /** The regular expression (matched against whole keys) of {@link #pathPrefixPredicate}. */
    static String pathPrefixRegex(String pathPrefix) {
        if (!pathPrefix.startsWith("/")) {
            throw new IllegalArgumentException("prefix \"" + pathPrefix + "\" must start with /");
        }
        String base = CacheKey.primary("GET", "http", "h", "");
        String normal = CacheKey.primary("GET", "http", "h", pathPrefix).substring(base.length() - 1);
        if (pathPrefix.endsWith("/") && !normal.endsWith("/")) {
            normal += "/"; // "/a/./" normalises to "/a/": keep the boundary the caller asked for
        }
        return "(?s)[^ ]+ [a-z][a-z0-9+.\\-]*://[^/?#]*" + Pattern.quote(normal) + ".*";
    }

    /** The cache key of an absolute URL ({@code https://host/path?query}) as the engine keys a GET of it. */
    static String keyOf(String url) {
        int sep = url.indexOf("://");
        if (sep <= 0 || !url.substring(0, sep).matches("[A-Za-z][A-Za-z0-9+.\\-]*")) {
            throw new IllegalArgumentException("\"" + url + "\" is not an absolute URL (https://host/path?query)");
        }
        String scheme = url.substring(0, sep);
        String rest = url.substring(sep + 3);
        int end = 0;
        while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
            end++;
        }
        String authority = rest.substring(0, end);
        if (authority.isEmpty() || authority.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("\"" + url + "\" has no host");
        }
        String target = rest.substring(end);
        return CacheKey.primary("GET", scheme, authority, target.startsWith("/") ? target : "/" + target);
    }

    @Override
    public Future<Purge> purgeTag(String tag) {
        return purge(Predicates.equal("tags", tag));
    }

    /** Statistics of the whole cluster, one line per member; runs a task on every member. */
    Future<Stats> stats() {
        return vertx.executeBlocking(() -> {
            Map<Member, java.util.concurrent.Future<long[]>> answers =
                    executor().submitToAllMembers(new CacheOperations.MemberStats(MAP));
            List<MemberStats> members = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_TIMEOUT_MILLIS);
            for (Map.Entry<Member, java.util.concurrent.Future<long[]>> e : answers.entrySet()) {
                long[] n = answer(e.getKey(), e.getValue(), deadline);
                if (n != null) {
                    members.add(new MemberStats(CacheOperations.name(e.getKey()), n[0], n[1], n[2], n[3], n[4], n[5],
                            n[6], n[7], n[8], n[9], n[10], n[11], n[12], n[13], n[14]));
                }
            }
            members.sort(java.util.Comparator.comparing(MemberStats::member));
            return new Stats(members.stream().mapToLong(MemberStats::ownedEntries).sum(),
                    members.stream().mapToLong(MemberStats::ownedBytes).sum(),
                    members.stream().mapToLong(MemberStats::hits).sum(),
                    members.stream().mapToLong(MemberStats::misses).sum(), members);
        }, false);
    }

    // ---- reads -----------------------------------------------------------------------------------------------

    /**
     * The live variants of {@code value}, read under {@code key}. A value is verified and decoded once per instance:
     * the near cache keeps values as objects, so it hands back the same array until Hazelcast invalidates it, and
     * {@link ReadMemo} keeps what that array decoded to. Any other array (a fresh read, a changed entry) is
     * verified and decoded, and replaces the memo.
     */
    private List<StoredResponse> open(String key, byte[] value) {
        if (value == null) {
            memo.drop(key);
            counters.misses.increment();
            return List.of();
        }
        ReadMemo.Decoded d = memo.get(key, value);
        if (d == null) {
            List<StoredResponse> variants;
            try {
                variants = CacheEntryCodec.decode(values.seal, MAP, key, value);
            } catch (ClusterSeal.Rejected e) {
                memo.drop(key);
                counters.rejected.increment();
                counters.misses.increment();
                values.reject(MAP, key, e.getMessage());
                // Dropped, but only this value: a valid one written meanwhile stays.
                vertx.executeBlocking(() -> map.remove(key, value), false);
                return List.of();
            }
            d = new ReadMemo.Decoded(value, variants);
            memo.put(key, d);
        }
        long now = System.currentTimeMillis();
        if (now < d.firstExpiry()) {
            counters.hits.increment();
            return d.variants();
        }
        List<StoredResponse> live = new ArrayList<>(d.variants().size());
        for (StoredResponse v : d.variants()) {
            if (v.keepUntil().toEpochMilli() > now) {
                live.add(v);
            }
        }
        (live.isEmpty() ? counters.misses : counters.hits).increment();
        return live;
    }

    // ---- writes ----------------------------------------------------------------------------------------------

    /** Blocking: merges {@code response} into the entry by compare-and-set on its owner. */
    private void store(String key, StoredResponse response) {
        long began = response.requestTime().toEpochMilli();
        if (invalidations.since(key, began)) {
            return; // invalidated while this response was on its way: RFC 9111 §4.4
        }
        byte[] current = map.get(key);
        for (int attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
            List<StoredResponse> existing = List.of();
            if (current != null) {
                try {
                    existing = CacheEntryCodec.decode(values.seal, MAP, key, current);
                } catch (ClusterSeal.Rejected e) {
                    counters.rejected.increment();
                    values.reject(MAP, key, e.getMessage()); // replaced below
                }
            }
            Instant now = Instant.now();
            List<StoredResponse> merged = merge(existing, response, now, maxEntryBytes());
            long ttl = merged.stream().mapToLong(v -> v.keepUntil().toEpochMilli()).max().orElse(0)
                    - now.toEpochMilli();
            if (ttl <= 0) {
                return; // nothing left worth keeping
            }
            byte[] value = CacheEntryCodec.encode(values.seal, MAP, key, merged);
            byte[] seen = map.executeOnKey(key,
                    new CacheOperations.CompareAndSet(CacheEntryCodec.fingerprint(current), value, ttl));
            if (seen == null) {
                counters.stored.increment();
                if (invalidations.since(key, began)) {
                    // Invalidated between the check above and the store: what it removed must not come back.
                    map.delete(key);
                    memo.drop(key);
                }
                return;
            }
            current = seen.length == 0 ? null : seen; // what the owner holds: merge into that
        }
        throw new IllegalStateException("entry " + key + " changed " + PUT_ATTEMPTS + " times while storing");
    }

    /**
     * The new variant first, then the others still worth keeping (another {@code Vary} combination, not expired),
     * at most {@link #MAX_VARIANTS}, dropping the oldest while the entry is over {@code maxBytes}.
     */
    static List<StoredResponse> merge(List<StoredResponse> existing, StoredResponse response, Instant now,
                                      long maxBytes) {
        List<StoredResponse> out = new ArrayList<>();
        out.add(response);
        for (StoredResponse v : existing) {
            if (out.size() < MAX_VARIANTS && !v.vary().equals(response.vary()) && v.keepUntil().isAfter(now)) {
                out.add(v);
            }
        }
        while (out.size() > 1 && CacheEntryCodec.encodedSize(out) > maxBytes) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    // ---- purges ----------------------------------------------------------------------------------------------

    private Future<Purge> purge(Predicate<String, byte[]> selection) {
        // A fill on its way here may be for a key the selection will match once stored: none begun before stores.
        invalidations.all(System.currentTimeMillis());
        return vertx.executeBlocking(() -> {
            // Selected and removed on the members owning the entries, through the index; the answer lists them.
            Map<String, Boolean> removed = map.executeOnEntries(new CacheOperations.Remove(), selection);
            List<String> keys = removed.entrySet().stream().filter(e -> Boolean.TRUE.equals(e.getValue()))
                    .map(Map.Entry::getKey).toList();
            String[] listed = keys.size() > LISTED_KEYS_LIMIT ? null : keys.toArray(String[]::new);
            return new Purge(keys.size(), acknowledge(listed));
        }, false);
    }

    /** Entries whose key starts with {@code prefix}: a range of the sorted key index. */
    static Predicate<String, byte[]> prefixPredicate(String prefix) {
        String upper = successor(prefix);
        if (prefix.isEmpty()) {
            return Predicates.alwaysTrue();
        }
        Predicate<String, byte[]> from = Predicates.greaterEqual("__key", prefix);
        return upper == null ? from : Predicates.and(from, Predicates.lessThan("__key", upper));
    }

    /** The least string greater than every string starting with {@code prefix}; null if there is none. */
    static String successor(String prefix) {
        int end = prefix.length();
        while (end > 0 && prefix.charAt(end - 1) == Character.MAX_VALUE) {
            end--;
        }
        if (end == 0) {
            return null;
        }
        return prefix.substring(0, end - 1) + (char) (prefix.charAt(end - 1) + 1);
    }

    /**
     * Blocking: every member drops {@code keys} from its near cache (all of it when null) and answers. Returns the
     * members that did, once every member still in the cluster has.
     *
     * @throws IllegalStateException naming the live members that did not answer in time
     */
    private List<String> acknowledge(String[] keys) {
        Map<Member, java.util.concurrent.Future<String>> answers =
                executor().submitToAllMembers(new CacheOperations.PurgeNearCache(MAP, keys));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_TIMEOUT_MILLIS);
        List<String> acks = new ArrayList<>();
        for (Map.Entry<Member, java.util.concurrent.Future<String>> e : answers.entrySet()) {
            String id = answer(e.getKey(), e.getValue(), deadline);
            if (id != null) {
                acks.add(id);
            }
        }
        acks.sort(null);
        return acks;
    }

    /**
     * A member's answer; null if it left the cluster meanwhile (nothing left to invalidate there).
     *
     * @throws IllegalStateException when a member still in the cluster fails or does not answer by the deadline
     */
    private <T> T answer(Member member, java.util.concurrent.Future<T> answer, long deadline) {
        try {
            return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            if (!stillMember(member.getUuid())) {
                return null;
            }
            throw new IllegalStateException("member " + CacheOperations.name(member) + " (" + member.getAddress()
                    + ") did not answer: " + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    private boolean stillMember(UUID id) {
        return hz.getCluster().getMembers().stream().anyMatch(m -> m.getUuid().equals(id));
    }

    private IExecutorService executor() {
        return hz.getExecutorService(EXECUTOR);
    }

    /** This member's counts of the store's own work (Hazelcast counts the near cache). */
    static final class Counters {
        final LongAdder hits = new LongAdder();
        final LongAdder misses = new LongAdder();
        /** Values that did not verify (another secret, altered, malformed): never served. */
        final LongAdder rejected = new LongAdder();
        final LongAdder stored = new LongAdder();
        /** Puts refused for {@code max-entry-size}. */
        final LongAdder refused = new LongAdder();
    }

    /** The cache across the cluster: entries and bytes of primary copies, lookups, and each member's figures. */
    record Stats(long entries, long bytes, long hits, long misses, List<MemberStats> members) {
        double hitRatio() {
            return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
        }
    }

    /**
     * One member: its primary entries and their cost, backups it holds, its lookups, its near cache, and the entries
     * evicted there for {@code max-size}.
     */
    record MemberStats(String member, long ownedEntries, long ownedBytes, long backupEntries, long hits, long misses,
                       long rejected, long stored, long refused, long nearCacheEntries, long nearCacheBytes,
                       long nearCacheHits, long nearCacheMisses, long nearCacheEvictions,
                       long nearCacheInvalidations, long evictions) {
    }

    /** This member's primary entries (a gauge). */
    long localEntries() {
        return map.getLocalMapStats().getOwnedEntryCount();
    }

    /** What this member's primary entries cost, in bytes (a gauge). */
    long localBytes() {
        return map.getLocalMapStats().getOwnedEntryMemoryCost();
    }

    /** Entries this member evicted for {@code max-size} since it started (a counter). */
    long localEvictions() {
        return map.getLocalMapStats().getEvictionCount();
    }

    @Override
    public String toString() {
        return "HazelcastResponseStore[" + MAP + ", max-entry-size " + maxEntryBytes() + "]";
    }
}
