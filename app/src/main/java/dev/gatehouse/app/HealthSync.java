package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.gatehouse.proxy.route.ProbeAssignment;
import dev.gatehouse.proxy.route.ProxyRuntime;
import dev.gatehouse.proxy.balance.BackendState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * One view of backend health across the cluster. What a node learns (an active check's verdict, an ejection by
 * outlier detection) goes into a Hazelcast map and reaches the other nodes through an entry listener, within
 * milliseconds. Active probing is divided: each backend is probed by one member, chosen by hashing the backend
 * over the sorted member list, and re-divided whenever membership changes.
 *
 * <p>Verdicts are signed with the cluster secret ({@link SharedValues}) and carry the publisher's sequence number: a
 * verdict that does not open is ignored and counted, and one not newer than the last applied from the same
 * publisher for the same backend (a replay of a captured verdict) is ignored too.
 */
final class HealthSync {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.health");
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MAP = "gatehouse.health";

    private final HazelcastInstance hz;
    private final ProxyRuntime runtime;
    private final SharedValues values;
    private final IMap<String, Object> map;
    private final String self;
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
    /** The highest sequence applied per backend key and publisher. */
    private final Map<String, Long> applied = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile String[] members = new String[0];

    private HealthSync(HazelcastInstance hz, SharedValues values, ProxyRuntime runtime) {
        this.hz = hz;
        this.values = values;
        this.runtime = runtime;
        this.map = hz.getMap(MAP);
        this.self = hz.getLocalEndpoint().getUuid().toString();
    }

    /** Blocking (Hazelcast reads): call before serving. */
    static HealthSync start(HazelcastInstance hz, SharedValues values, ProxyRuntime runtime) {
        HealthSync sync = new HealthSync(hz, values, runtime);
        sync.begin();
        return sync;
    }

    private void begin() {
        // What the cluster already knows applies before this node probes anything itself.
        try {
            for (Map.Entry<String, Object> e : map.entrySet()) {
                apply(e.getKey(), e.getValue());
            }
        } catch (RuntimeException e) {
            // One entry the deserialization filter refuses fails the whole read: the listener carries on from here.
            values.reject(MAP, "*", "unreadable: " + e.getMessage());
        }
        runtime.onBackendStateChange(this::publish);
        map.addEntryListener(new Listener(), true);
        boolean member = isMember();
        if (member) {
            hz.getCluster().addMembershipListener(new MembershipListener() {
                @Override
                public void memberAdded(MembershipEvent event) {
                    divide();
                }

                @Override
                public void memberRemoved(MembershipEvent event) {
                    divide();
                }
            });
            divide();
            runtime.probeAssignment(this::probes);
            runtime.clusterNodes(() -> members.length);
        }
    }

    private boolean isMember() {
        try {
            hz.getCluster().getLocalMember();
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    private void divide() {
        String[] ids = hz.getCluster().getMembers().stream().map(Member::getUuid).map(UUID::toString)
                .sorted().toArray(String[]::new);
        if (!Arrays.equals(ids, members)) {
            members = ids;
            LOG.info("active health checks divided among {} members", ids.length);
        }
    }

    /** This node probes a backend when the backend hashes to it among the current members. */
    boolean probes(String pool, String backendId) {
        String[] m = members;
        if (m.length <= 1) {
            return true;
        }
        int owner = Math.floorMod(dev.gatehouse.proxy.balance.BalancingStrategy.hash(pool + "/" + backendId)
                >>> 1, m.length);
        return m[owner].equals(self);
    }

    private void publish(BackendState s) {
        if (s.lastChangeRemote()) {
            return;
        }
        String value = JSON.createObjectNode()
                .put("health", s.health().name())
                .put("ejected-until", s.ejectedUntilMillis())
                .put("cause", s.cause())
                .put("node", self)
                .put("since", s.since().toString())
                .put("seq", sequence.incrementAndGet())
                .toString();
        String key = s.pool() + "/" + s.backend();
        map.setAsync(key, values.sign(MAP, key, value));
    }

    private void apply(Object rawKey, Object raw) {
        if (!(rawKey instanceof String key)) {
            values.reject(MAP, String.valueOf(rawKey), "not a backend key");
            return;
        }
        String value = values.open(MAP, key, raw);
        if (value == null) {
            return;
        }
        try {
            JsonNode n = JSON.readTree(value);
            String node = n.path("node").asText();
            if (self.equals(node)) {
                return;
            }
            int slash = key.indexOf('/');
            if (slash < 0) {
                return;
            }
            long seq = n.path("seq").asLong(0);
            Long[] previous = new Long[1];
            applied.compute(key + "\n" + node, (k, last) -> {
                previous[0] = last;
                return last == null || seq > last ? Long.valueOf(seq) : last;
            });
            if (previous[0] != null && seq <= previous[0]) {
                values.reject(MAP, key, "replayed verdict (sequence " + seq + " after " + previous[0] + ")");
                return;
            }
            BackendState state = runtime.backendState(key.substring(0, slash), key.substring(slash + 1));
            String cause = n.path("cause").asText("") ;
            state.setHealth(BackendState.Health.valueOf(n.path("health").asText("UNKNOWN")), cause, true);
            long until = n.path("ejected-until").asLong(0);
            if (until > System.currentTimeMillis() && until != state.ejectedUntilMillis()) {
                state.eject(until, cause, true);
            }
        } catch (IOException | IllegalArgumentException e) {
            values.reject(MAP, key, "authentic but unreadable: " + e);
        }
    }

    /** Runs on a Hazelcast event thread. */
    private final class Listener implements EntryAddedListener<Object, Object>, EntryUpdatedListener<Object, Object> {
        @Override
        public void entryAdded(EntryEvent<Object, Object> e) {
            onEvent(e);
        }

        @Override
        public void entryUpdated(EntryEvent<Object, Object> e) {
            onEvent(e);
        }

        private void onEvent(EntryEvent<Object, Object> e) {
            Object key;
            Object value;
            try {
                key = e.getKey();
                value = e.getValue();
            } catch (RuntimeException ex) {
                values.reject(MAP, "?", "unreadable: " + ex.getMessage());
                return;
            }
            apply(key, value);
        }
    }
}
