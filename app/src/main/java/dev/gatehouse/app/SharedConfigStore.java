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
import dev.gatehouse.admin.ConfigPort;
import dev.gatehouse.admin.StaleVersionException;
import dev.gatehouse.admin.UnknownVersionException;
import dev.gatehouse.admin.VersionedConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigWriter;
import dev.gatehouse.config.SharedConfig;
import dev.gatehouse.proxy.ProxyRuntime;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 */
final class SharedConfigStore implements ConfigPort {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.config");
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "current";
    static final int HISTORY = 20;

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final IMap<String, String> map;
    private final IMap<Long, String> history;
    private final IMap<String, String> members;
    private final ProxyRuntime runtime;
    private final Path stateFile;
    private final String nodeId;
    private volatile VersionedConfig current;
    private final List<VersionedConfig> recent = new CopyOnWriteArrayList<>();
    private long timer = -1;

    private SharedConfigStore(Vertx vertx, HazelcastInstance hz, ProxyRuntime runtime, Path dataDir) {
        this.vertx = vertx;
        this.hz = hz;
        this.map = hz.getMap(ClusterMembership.CONFIG_MAP);
        this.history = hz.getMap(ClusterMembership.HISTORY_MAP);
        this.members = hz.getMap(ClusterMembership.MEMBERS_MAP);
        this.runtime = runtime;
        this.stateFile = dataDir.resolve("shared-config.json");
        this.nodeId = localId(hz);
    }

    /**
     * Blocking (call before serving): decides the starting version as DESIGN.md says — the file seeds an empty
     * cluster, otherwise the newest of the cluster's and the persisted version wins, and {@code seedFromFile} makes
     * the file's shared part a new version on purpose — then applies it and starts following the cluster.
     */
    static SharedConfigStore open(Vertx vertx, HazelcastInstance hz, ProxyRuntime runtime, Path dataDir,
                                  VersionedConfig start, SharedConfig fromFile) {
        SharedConfigStore store = new SharedConfigStore(vertx, hz, runtime, dataDir);
        store.bootstrap(start, fromFile);
        return store;
    }

    /** Creates the runtime from the state the cluster agrees on; used when the runtime does not exist yet. */
    static VersionedConfig startingState(HazelcastInstance hz, Path dataDir, SharedConfig fromFile,
                                         boolean seedFromFile) {
        IMap<String, String> map = hz.getMap(ClusterMembership.CONFIG_MAP);
        VersionedConfig local = readPersisted(dataDir.resolve("shared-config.json"));
        for (int attempt = 0; attempt < 10; attempt++) {
            String clusterJson = map.get(KEY);
            VersionedConfig cluster = clusterJson == null ? null : decode(clusterJson);
            VersionedConfig want;
            if (seedFromFile) {
                long base = Math.max(cluster == null ? 0 : cluster.version(), local == null ? 0 : local.version());
                want = new VersionedConfig(base + 1, fromFile, Instant.now(), "seed-from-file");
            } else if (cluster == null) {
                want = local != null ? local : new VersionedConfig(1, fromFile, Instant.now(), "config file");
            } else if (local != null && local.version() > cluster.version()) {
                want = local;
            } else {
                return cluster;
            }
            boolean stored = clusterJson == null ? map.putIfAbsent(KEY, encode(want)) == null
                    : map.replace(KEY, clusterJson, encode(want));
            if (stored) {
                hz.<Long, String>getMap(ClusterMembership.HISTORY_MAP).set(want.version(), encode(want));
                return want;
            }
            // Another node seeded or wrote at the same moment: read again and decide again.
        }
        throw new IllegalStateException("could not agree on a starting config version after 10 attempts");
    }

    private void bootstrap(VersionedConfig start, SharedConfig fromFile) {
        loadHistory();
        // The runtime was built at this version already; record and persist it without a second swap.
        current = start;
        remember(start);
        persist(start);
        publishApplied(start);
        if (!start.config().equals(fromFile)) {
            LOG.info("adopted cluster config version {} (differs from this node's file; the cluster's state wins,"
                    + " use --seed-from-file to make the file the new version)", start.version());
        }
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
            String json = map.get(KEY);
            if (json != null) {
                follow(json);
            }
            return null;
        }, false));
    }

    /** Follows writes made on any node; runs on a Hazelcast event thread, never an event loop. */
    private final class KeyListener implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, String> e) {
            follow(e.getValue());
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, String> e) {
            follow(e.getValue());
        }
    }

    private void follow(String json) {
        VersionedConfig v = decode(json);
        VersionedConfig mine = current;
        if (mine == null || v.version() > mine.version()) {
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

    private void publishApplied(VersionedConfig v) {
        members.setAsync(nodeId, JSON.createObjectNode()
                .put("address", localAddress())
                .put("version", v.version())
                .put("applied-at", Instant.now().toString()).toString());
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
        for (String json : history.values()) {
            all.add(decode(json));
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
        String json = map.get(KEY);
        VersionedConfig cur = json == null ? current : decode(json);
        if (expectedVersion >= 0 && cur.version() != expectedVersion) {
            throw new StaleVersionException(expectedVersion, cur.version());
        }
        VersionedConfig nv = new VersionedConfig(cur.version() + 1, next, Instant.now(), author);
        boolean stored = json == null ? map.putIfAbsent(KEY, encode(nv)) == null : map.replace(KEY, json, encode(nv));
        if (!stored) {
            String now = map.get(KEY);
            throw new StaleVersionException(expectedVersion >= 0 ? expectedVersion : cur.version(),
                    now == null ? cur.version() : decode(now).version());
        }
        history.set(nv.version(), encode(nv));
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
            String json = history.get(version);
            if (json == null) {
                throw new UnknownVersionException(version);
            }
            return write(decode(json).config(), -1, author + " (rollback to " + version + ")");
        }, false);
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
            Files.createDirectories(stateFile.getParent());
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            Files.writeString(tmp, encode(v), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warn("could not persist config version {} to {}: {}", v.version(), stateFile, e.toString());
        }
    }

    static VersionedConfig readPersisted(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return decode(Files.readString(file, StandardCharsets.UTF_8));
        } catch (RuntimeException | IOException e) {
            LOG.warn("ignoring unreadable persisted config {}: {}", file, e.toString());
            return null;
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
