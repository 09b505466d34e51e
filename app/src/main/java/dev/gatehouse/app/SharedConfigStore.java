package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.gatehouse.admin.ConfigPort;
import dev.gatehouse.admin.StaleVersionException;
import dev.gatehouse.admin.UnknownVersionException;
import dev.gatehouse.admin.VersionedConfig;
import dev.gatehouse.admin.WritesUnavailableException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigWriter;
import dev.gatehouse.config.SharedConfig;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The cluster's one versioned shared config, kept in a Hazelcast map under one key. Writes are compare-and-set on
 * the stored value ({@code IMap.replace(key, expected, next)}: an ordinary map operation, no CP subsystem), so two
 * racing admins cannot both win. Every node follows the key with an entry listener, backed by a poll each second,
 * applies newer versions to its {@link ProxyRuntime} with one reference swap, and persists them in
 * {@code data-dir} so a full restart comes back with the last version.
 *
 * <p>Every stored version is sealed with the cluster secret ({@link SharedValues}; it holds credential hashes), bound
 * to its map and key. A value that does not open is ignored and counted, and versions only move forward: an older
 * authentic version put back under the key is never applied, and the poll restores the current one over it.
 */
final class SharedConfigStore implements ConfigPort {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.config");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The admin API's audit log: versions made from a config file are audited there too. */
    private static final Logger AUDIT = LoggerFactory.getLogger("gatehouse.audit");
    static final String KEY = "current";
    static final String STATE_FILE = "shared-config.json";
    static final int HISTORY = 20;

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final SharedValues values;
    // Values are typed Object: whatever a foreign process stored must reach SharedValues.open, not a cast.
    private final IMap<String, Object> map;
    private final IMap<Object, Object> history;
    private final IMap<String, Object> members;
    private final ProxyRuntime runtime;
    private final StateFile stateFile;
    private final String nodeId;
    private final String startProblem;
    private final Path dataDir;
    private volatile VersionedConfig current;
    private final List<VersionedConfig> recent = new CopyOnWriteArrayList<>();
    private long timer = -1;

    private SharedConfigStore(Vertx vertx, HazelcastInstance hz, SharedValues values, ProxyRuntime runtime,
                              Path dataDir, String startProblem) {
        this.vertx = vertx;
        this.hz = hz;
        this.values = values;
        this.map = hz.getMap(ClusterMembership.CONFIG_MAP);
        this.history = hz.getMap(ClusterMembership.HISTORY_MAP);
        this.members = hz.getMap(ClusterMembership.MEMBERS_MAP);
        this.runtime = runtime;
        this.stateFile = stateFile(dataDir, values);
        this.nodeId = localId(hz);
        this.startProblem = startProblem;
        this.dataDir = dataDir;
    }

    static StateFile stateFile(Path dataDir, SharedValues values) {
        return new StateFile(dataDir.resolve(STATE_FILE), values.configured ? values.seal : null);
    }

    /**
     * The version a node starts on.
     *
     * @param problem set when the node starts on an older version than it last persisted (or without its persisted
     *                state): logged at ERROR, shown by {@code gatehouse_config_state_degraded}
     */
    record Starting(VersionedConfig config, String problem) {
    }

    /**
     * Blocking (call before serving): applies the agreed starting version and starts following the cluster.
     */
    static SharedConfigStore open(Vertx vertx, HazelcastInstance hz, SharedValues values, ProxyRuntime runtime,
                                  Path dataDir, Starting start, SharedConfig fromFile) {
        SharedConfigStore store = new SharedConfigStore(vertx, hz, values, runtime, dataDir, start.problem());
        store.bootstrap(start.config(), fromFile);
        return store;
    }

    /**
     * Decides the starting version as DESIGN.md says (see {@link FileSource}): the file seeds an empty cluster; a file
     * whose shared part changed since this node last applied it becomes the next version (unless the cluster already
     * holds that content); otherwise the newest of the cluster's and the persisted version wins, and
     * {@code seedFromFile} makes the file's shared part a new version on purpose. Logs which source won and why. A
     * cluster value that does not open counts as absent (and is replaced).
     *
     * @param file the config file, for the author of a version made from it; {@code null} when not read from a file
     */
    static Starting startingState(HazelcastInstance hz, SharedValues values, Path dataDir, SharedConfig fromFile,
                                  boolean seedFromFile, Path file) {
        IMap<String, Object> map = hz.getMap(ClusterMembership.CONFIG_MAP);
        IMap<Long, Object> history = hz.getMap(ClusterMembership.HISTORY_MAP);
        StateFile.Loaded<VersionedConfig> persisted = stateFile(dataDir, values).read(SharedConfigStore::decode);
        VersionedConfig local = persisted.value();
        String fileDigest = FileSource.digest(fromFile);
        FileSource.Applied applied = FileSource.read(dataDir, values);
        String author = FileSource.author(file);
        for (int attempt = 0; attempt < 10; attempt++) {
            Object raw = readRaw(map, values);
            VersionedConfig cluster = open(values, raw);
            VersionedConfig stored = cluster == null || local != null && local.version() > cluster.version()
                    ? local : cluster;
            FileSource.Outcome outcome = FileSource.decide(fileDigest, applied, stored, seedFromFile, v -> {
                VersionedConfig h = readHistory(history, values, v);
                return h == null ? null : FileSource.digest(h.config());
            });
            VersionedConfig want;
            if (FileSource.fileWins(outcome)) {
                long base = stored == null ? 0 : stored.version();
                want = new VersionedConfig(base + 1, fromFile, Instant.now(),
                        outcome == FileSource.Outcome.SEED_FROM_FILE ? author + " (--seed-from-file)" : author);
            } else {
                want = stored;
            }
            boolean restore = cluster == null || want.version() != cluster.version();
            if (restore && cluster != null && !FileSource.fileWins(outcome)) {
                LOG.warn("the cluster holds config version {}, older than version {} persisted here: restoring {}",
                        cluster.version(), local.version(), local.version());
            }
            if (restore && !storeWithQuorum(hz, map, raw, sealConfig(values, want), want.version())) {
                continue; // another node seeded or wrote at the same moment: read again and decide again
            }
            if (restore) {
                history.set(want.version(),
                        values.seal(ClusterMembership.HISTORY_MAP, Long.toString(want.version()), encode(want)));
            }
            logStart(outcome, want, stored, applied, file);
            if (FileSource.fileWins(outcome)) {
                AUDIT.info("{} start: version {} -> {}", want.author(), stored == null ? 0 : stored.version(),
                        want.version());
            }
            // Unchanged and overridden: the record stays, so the file is still "unchanged" at the next start.
            if (outcome != FileSource.Outcome.FILE_UNCHANGED_OVERRIDDEN) {
                recordFile(dataDir, values, new FileSource.Applied(fileDigest, want.version()));
            }
            String problem = null;
            // Adopting a cluster's version loses nothing: only a version this node put there may be an old one.
            if (restore && persisted.problem() != null && !seedFromFile) {
                problem = persisted.problem() + "; started on version " + want.version()
                        + (local == null ? " from the config file" : "") + ", which may be older than the last";
                LOG.error("STARTING ON AN OLDER CONFIG VERSION: {}", problem);
            }
            return new Starting(want, problem);
        }
        throw new IllegalStateException("could not agree on a starting config version after 10 attempts");
    }

    private static void recordFile(Path dataDir, SharedValues values, FileSource.Applied applied) {
        try {
            FileSource.write(dataDir, values, applied);
        } catch (IOException e) {
            LOG.error("could not record the config file's applied state in {}: {}", dataDir, e.toString());
        }
    }

    /**
     * What storing a file's shared part did.
     *
     * @param version the version in force afterwards
     * @param stored  true when the file made it, false when it already held exactly the file's shared part
     */
    record FileApplied(VersionedConfig version, boolean stored) {
    }

    /**
     * Blocking (a worker): stores a (re)read file's shared part as an admin write does (validated, compare-and-set on
     * the version, audited as {@code author}), unless the version in force already holds exactly that content (so
     * several nodes reloading one file make one version). Retries when another write wins the race. Records the
     * file as this node's last applied one.
     *
     * @throws dev.gatehouse.config.ConfigException when the shared part does not check (files it names)
     */
    FileApplied applyFile(SharedConfig next, String author) {
        String digest = FileSource.digest(next);
        for (int attempt = 0; attempt < 10; attempt++) {
            VersionedConfig stored = open(values, readRaw(map, values));
            VersionedConfig mine = current;
            VersionedConfig cur = stored == null || mine != null && stored.version() < mine.version() ? mine : stored;
            FileApplied done;
            if (digest.equals(FileSource.digest(cur.config()))) {
                applyLocally(cur);
                done = new FileApplied(cur, false);
            } else {
                try {
                    done = new FileApplied(write(next, cur.version(), author), true);
                    AUDIT.info("{} reload: version {} -> {}", author, cur.version(), done.version().version());
                } catch (StaleVersionException e) {
                    continue; // another write got in first: decide again on what it stored
                }
            }
            recordFile(dataDir, values, new FileSource.Applied(digest, done.version().version()));
            return done;
        }
        throw new IllegalStateException("could not store the file's config: the version kept changing (10 attempts)");
    }

    private static void logStart(FileSource.Outcome outcome, VersionedConfig want, VersionedConfig stored,
                                 FileSource.Applied applied, Path file) {
        String f = file == null ? "the config file" : file.toString();
        switch (outcome) {
            case SEED -> LOG.info("config version {} from {}: no stored config in the cluster or data-dir (first"
                    + " start)", want.version(), f);
            case SEED_FROM_FILE -> LOG.info("config version {} from {} (--seed-from-file), replacing version {}",
                    want.version(), f, stored == null ? "none" : stored.version());
            case FILE_CHANGED_NEW_VERSION -> LOG.info("config version {} from {}: its pools/routes/cache changed since"
                    + " this node last applied it (version {}); replacing version {} by {}", want.version(), f,
                    applied.version(), stored.version(), stored.author());
            case FILE_CHANGED_ALREADY_STORED -> LOG.info("config version {}: {} changed since this node last applied"
                    + " it, and the cluster already holds exactly its pools/routes/cache", want.version(), f);
            case FILE_UNCHANGED -> LOG.info("config version {}: {} is unchanged and equals the stored config",
                    want.version(), f);
            case FILE_CHANGED_SUPERSEDED -> LOG.warn("{} changed since this node last applied it, but the cluster"
                    + " already stored that content and a newer version followed it: version {} by {} stays in force"
                    + " (the file is overridden; `gatehouse reload` or --seed-from-file makes the file win)", f,
                    want.version(), want.author());
            case FILE_UNCHANGED_OVERRIDDEN -> LOG.warn("{} is unchanged since it was applied as version {}, and the"
                    + " stored config version {} by {} is newer and differs: version {} stays in force (the file is"
                    + " overridden; edit the file, `gatehouse reload` or --seed-from-file makes the file win)", f,
                    applied.version(), want.version(), want.author(), want.version());
            case NO_RECORD_ADOPT -> LOG.warn("{} differs from the cluster's config version {} by {}, and this node has"
                    + " no record of applying this file (a new node or data-dir): version {} stays in force (the file"
                    + " is overridden; later edits of the file take effect; `gatehouse reload` or --seed-from-file"
                    + " makes it win now)", f, want.version(), want.author(), want.version());
        }
    }

    /** How long a starting node waits for {@code cluster.quorum} members before it gives up starting. */
    static final java.time.Duration QUORUM_WAIT = java.time.Duration.ofSeconds(45);

    /**
     * {@link #store} at start: a member that starts before enough others joined for {@code cluster.quorum} waits for
     * them (the write is refused until then), at most {@link #QUORUM_WAIT}.
     */
    private static boolean storeWithQuorum(HazelcastInstance hz, IMap<String, Object> map, Object raw, byte[] sealed,
                                           long version) {
        long deadline = System.nanoTime() + QUORUM_WAIT.toNanos();
        boolean logged = false;
        while (true) {
            try {
                return store(map, raw, sealed);
            } catch (SplitBrainProtectionException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cluster.quorum: " + quorumShortfall(hz) + " after waiting "
                            + QUORUM_WAIT.toSeconds() + "s; start more members of cluster.members", e);
                }
                if (!logged) {
                    LOG.warn("waiting for the quorum before storing config version {}: {}", version,
                            quorumShortfall(hz));
                    logged = true;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the quorum", ie);
                }
            }
        }
    }

    /** E.g. "1 member present, cluster.quorum needs 2". */
    static String quorumShortfall(HazelcastInstance hz) {
        int present = hz.getCluster().getMembers().size();
        com.hazelcast.config.SplitBrainProtectionConfig q =
                hz.getConfig().getSplitBrainProtectionConfig(ClusterMembership.QUORUM);
        return present + (present == 1 ? " member" : " members") + " present, cluster.quorum needs "
                + q.getMinimumClusterSize();
    }

    /** The raw value under the key, or a marker when it could not even be deserialized (counted). */
    private static Object readRaw(IMap<String, Object> map, SharedValues values) {
        try {
            return map.get(KEY);
        } catch (RuntimeException e) {
            // The deserialization filter refused it (or it is otherwise unreadable): never applied.
            values.reject(ClusterMembership.CONFIG_MAP, KEY, "unreadable: " + e.getMessage());
            return UNREADABLE;
        }
    }

    private static final Object UNREADABLE = new Object();

    /** The value the poll opened last, and what it opened to. */
    private record Opened(byte[] raw, VersionedConfig config) {
    }

    /** Polls may overlap (a slow one on one worker while the next starts on another): one immutable pair. */
    private volatile Opened lastOpened;

    /** Compare-and-set over what was read; a value that could not be deserialized cannot be compared: replaced. */
    private static boolean store(IMap<String, Object> map, Object raw, byte[] sealed) {
        if (raw == UNREADABLE) {
            map.set(KEY, sealed);
            return true;
        }
        return raw == null ? map.putIfAbsent(KEY, sealed) == null : map.replace(KEY, raw, sealed);
    }

    private static VersionedConfig open(SharedValues values, Object raw) {
        if (raw == null || raw == UNREADABLE) {
            return null;
        }
        String json = values.open(ClusterMembership.CONFIG_MAP, KEY, raw);
        if (json == null) {
            return null;
        }
        try {
            return decode(json);
        } catch (RuntimeException e) {
            values.reject(ClusterMembership.CONFIG_MAP, KEY, "authentic but not a config: " + e.getMessage());
            return null;
        }
    }

    private static byte[] sealConfig(SharedValues values, VersionedConfig v) {
        return values.seal(ClusterMembership.CONFIG_MAP, KEY, encode(v));
    }

    private void bootstrap(VersionedConfig start, SharedConfig fromFile) {
        loadHistory();
        // The runtime was built at this version already; record and persist it without a second swap.
        current = start;
        remember(start);
        persist(start);
        publishApplied(start);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.config.state.degraded", () -> startProblem == null ? 0 : 1)
                .description("1 when this node started on an older config version than it last persisted, or"
                        + " without its persisted state (see the ERROR log)")
                .register(values.registry());
        map.addEntryListener(new KeyListener(), KEY, true);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                members.removeAsync(event.getMember().getUuid().toString());
            }
        });
        // The listener is the fast path; the poll repairs anything a listener can miss (a merge after a split).
        timer = vertx.setPeriodic(1000, id -> vertx.executeBlocking(() -> {
            poll();
            return null;
        }, false));
    }

    /**
     * Follows the key; what is there but does not open, or is older than what this node applied (a replay, a
     * rogue delete, a merge that lost the newest), is put right with the current version.
     */
    private void poll() {
        Object raw = readRaw(map, values);
        // The key rarely changes: bytes identical to the last ones opened are that version again, without checking
        // their seal and parsing and validating the whole config once a second on every node.
        Opened last = lastOpened;
        VersionedConfig v;
        if (last != null && raw instanceof byte[] bytes && java.util.Arrays.equals(bytes, last.raw())) {
            v = last.config();
        } else {
            v = open(values, raw);
            if (v != null && raw instanceof byte[] bytes) {
                lastOpened = new Opened(bytes, v);
            }
        }
        VersionedConfig mine = current;
        if (v != null && (mine == null || v.version() > mine.version())) {
            applyLocally(v);
        } else if (v != null && v.version() == mine.version() && !sameWrite(v, mine)) {
            adoptTie(v);
        } else if (mine != null && (v == null || v.version() < mine.version())) {
            boolean restored;
            try {
                restored = store(map, raw, sealConfig(values, mine));
            } catch (SplitBrainProtectionException e) {
                return; // a minority side: the repair waits until the split heals
            }
            if (restored) {
                LOG.warn("the cluster's config key held {}; restored version {}",
                        v == null ? (raw == null ? "nothing" : "a value that failed authentication")
                                : "older version " + v.version(), mine.version());
            }
        }
    }

    /** Follows writes made on any node; runs on a Hazelcast event thread, never an event loop. */
    private final class KeyListener implements EntryAddedListener<String, Object>,
            EntryUpdatedListener<String, Object> {
        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, Object> e) {
            follow(e);
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, Object> e) {
            follow(e);
        }
    }

    private void follow(com.hazelcast.core.EntryEvent<String, Object> e) {
        Object raw;
        try {
            raw = e.getValue();
        } catch (RuntimeException ex) {
            values.reject(ClusterMembership.CONFIG_MAP, KEY, "unreadable: " + ex.getMessage());
            return;
        }
        VersionedConfig v = open(values, raw);
        VersionedConfig mine = current;
        if (v != null && (mine == null || v.version() > mine.version())) {
            applyLocally(v);
        }
    }

    /** Swaps the runtime to {@code v}, persists it and publishes this node's applied version. */
    private synchronized void applyLocally(VersionedConfig v) {
        if (current != null && v.version() <= current.version()) {
            return;
        }
        runtime.apply(v.config(), v.version());
        current = v;
        remember(v);
        persist(v);
        publishApplied(v);
    }

    /** Whether two values of one version come from the same write (not from two sides of a split). */
    private static boolean sameWrite(VersionedConfig a, VersionedConfig b) {
        return a.appliedAt().equals(b.appliedAt()) && a.author().equals(b.author());
    }

    /**
     * Two sides of a split each wrote this version (a write in the seconds before the split was detected, or no
     * {@code cluster.quorum}): once healed the cluster's value wins on every node, so they all run one config.
     */
    private synchronized void adoptTie(VersionedConfig v) {
        VersionedConfig mine = current;
        if (mine == null || mine.version() != v.version() || sameWrite(v, mine)) {
            return;
        }
        LOG.warn("config version {} here ({} by {}) differs from the cluster's ({} by {}): two sides of a split"
                + " wrote it; adopting the cluster's", v.version(), mine.appliedAt(), mine.author(), v.appliedAt(),
                v.author());
        runtime.apply(v.config(), v.version());
        current = v;
        recent.removeIf(r -> r.version() == v.version());
        remember(v);
        persist(v);
        publishApplied(v);
    }

    private void publishApplied(VersionedConfig v) {
        members.setAsync(nodeId, values.sign(ClusterMembership.MEMBERS_MAP, nodeId, JSON.createObjectNode()
                .put("address", localAddress())
                .put("version", v.version())
                .put("applied-at", Instant.now().toString()).toString()));
    }

    private void remember(VersionedConfig v) {
        if (recent.stream().noneMatch(r -> r.version() == v.version())) {
            recent.add(v);
            recent.sort(Comparator.comparingLong(VersionedConfig::version).reversed());
            while (recent.size() > HISTORY) {
                recent.remove(recent.size() - 1);
            }
        }
    }

    private void loadHistory() {
        List<VersionedConfig> all = new ArrayList<>();
        try {
            for (Object version : history.keySet()) {
                VersionedConfig v = version instanceof Long ? readHistory(version) : null;
                if (v != null) {
                    all.add(v);
                } else if (!(version instanceof Long)) {
                    values.reject(ClusterMembership.HISTORY_MAP, String.valueOf(version), "not a version number");
                }
            }
        } catch (RuntimeException e) {
            values.reject(ClusterMembership.HISTORY_MAP, "*", "unreadable key: " + e.getMessage());
        }
        all.sort(Comparator.comparingLong(VersionedConfig::version).reversed());
        all.stream().limit(HISTORY).forEach(this::remember);
    }

    @Override
    public VersionedConfig current() {
        return current;
    }

    @Override
    public Future<VersionedConfig> apply(SharedConfig next, long expectedVersion, String author) {
        return vertx.executeBlocking(() -> write(next, expectedVersion, author), false);
    }

    /** The compare-and-set: answers once the new version is stored (with its synchronous backup). */
    private VersionedConfig write(SharedConfig next, long expectedVersion, String author) {
        List<dev.gatehouse.config.ConfigProblem> problems = runtime.check(next);
        if (!problems.isEmpty()) {
            throw new dev.gatehouse.config.ConfigException(problems);
        }
        Object raw = readRaw(map, values);
        VersionedConfig stored = open(values, raw);
        // Versions only move forward: a cluster value older than this node's (or none that opens) is no base.
        VersionedConfig cur = stored == null || current != null && stored.version() < current.version()
                ? current : stored;
        if (expectedVersion >= 0 && cur.version() != expectedVersion) {
            throw new StaleVersionException(expectedVersion, cur.version());
        }
        VersionedConfig nv = new VersionedConfig(cur.version() + 1, next, Instant.now(), author);
        boolean written;
        try {
            written = store(map, raw, sealConfig(values, nv));
        } catch (SplitBrainProtectionException e) {
            throw new WritesUnavailableException("no quorum: " + quorumShortfall(hz) + " (split-brain protection);"
                    + " this side of the cluster refuses config writes until it rejoins the others, nothing was"
                    + " applied");
        }
        if (!written) {
            VersionedConfig now = open(values, readRaw(map, values));
            throw new StaleVersionException(expectedVersion >= 0 ? expectedVersion : cur.version(),
                    now == null ? cur.version() : now.version());
        }
        history.set(nv.version(), values.seal(ClusterMembership.HISTORY_MAP, Long.toString(nv.version()), encode(nv)));
        history.remove(nv.version() - HISTORY * 2L);
        applyLocally(nv);
        return nv;
    }

    @Override
    public List<VersionedConfig> history() {
        return List.copyOf(recent);
    }

    @Override
    public Future<VersionedConfig> rollback(long version, String author) {
        return vertx.executeBlocking(() -> {
            VersionedConfig old = readHistory(version);
            if (old == null) {
                throw new UnknownVersionException(version);
            }
            return write(old.config(), -1, author + " (rollback to " + version + ")");
        }, false);
    }

    /** One history entry, or {@code null} when absent or when it does not open (counted). */
    private VersionedConfig readHistory(Object version) {
        return readHistory(history, values, version);
    }

    private static VersionedConfig readHistory(IMap<?, Object> history, SharedValues values, Object version) {
        String structure = ClusterMembership.HISTORY_MAP;
        Object raw;
        try {
            raw = history.get(version);
        } catch (RuntimeException e) {
            values.reject(structure, String.valueOf(version), "unreadable: " + e.getMessage());
            return null;
        }
        if (raw == null) {
            return null;
        }
        String json = values.open(structure, String.valueOf(version), raw);
        try {
            VersionedConfig v = json == null ? null : decode(json);
            if (v != null && !version.equals(v.version())) {
                values.reject(structure, String.valueOf(version), "holds version " + v.version());
                return null;
            }
            return v;
        } catch (RuntimeException e) {
            values.reject(structure, String.valueOf(version), "authentic but not a config: " + e.getMessage());
            return null;
        }
    }

    /** Why this node started on an older version than it persisted, or {@code null}. */
    String startProblem() {
        return startProblem;
    }

    void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    // ---- encoding and persistence ---------------------------------------------------------------------------

    static String encode(VersionedConfig v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", v.version());
        o.put("author", v.author());
        o.put("applied-at", v.appliedAt().toString());
        o.set("config", ConfigWriter.toTree(v.config()));
        return o.toString();
    }

    static VersionedConfig decode(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            return new VersionedConfig(o.get("version").asLong(), ConfigParser.parseShared(o.get("config")),
                    Instant.parse(o.get("applied-at").asText()), o.path("author").asText("unknown"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void persist(VersionedConfig v) {
        try {
            stateFile.write(encode(v));
        } catch (IOException e) {
            LOG.error("could not persist config version {} to {}: {}", v.version(), stateFile.file, e.toString());
        }
    }

    private static String localId(HazelcastInstance hz) {
        return hz.getLocalEndpoint().getUuid().toString();
    }

    private String localAddress() {
        try {
            Member m = hz.getCluster().getLocalMember();
            return m.getAddress().getHost() + ":" + m.getAddress().getPort();
        } catch (UnsupportedOperationException e) {
            // A client has no member address of its own.
            return "client:" + hz.getLocalEndpoint().getSocketAddress();
        }
    }
}
