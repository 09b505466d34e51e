package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gatehouse.admin.ClusterPort;
import dev.gatehouse.admin.MemberStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The members of the cluster and the config version each has applied, for {@code GET /api/v1/cluster}. */
final class ClusterView implements ClusterPort {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final SharedValues values;

    ClusterView(Vertx vertx, HazelcastInstance hz, SharedValues values) {
        this.vertx = vertx;
        this.hz = hz;
        this.values = values;
    }

    @Override
    public Future<List<MemberStatus>> members() {
        return vertx.executeBlocking(this::read, false);
    }

    private List<MemberStatus> read() throws Exception {
        IMap<Object, Object> applied = hz.getMap(ClusterMembership.MEMBERS_MAP);
        // Only entries signed by a node of this cluster count; anything else is left out (and counted).
        Map<String, String> all = new java.util.HashMap<>();
        try {
            for (Map.Entry<Object, Object> e : applied.entrySet()) {
                String id = String.valueOf(e.getKey());
                String json = values.open(ClusterMembership.MEMBERS_MAP, id, e.getValue());
                if (json != null && e.getKey() instanceof String) {
                    all.put(id, json);
                }
            }
        } catch (RuntimeException e) {
            values.reject(ClusterMembership.MEMBERS_MAP, "*", "unreadable: " + e.getMessage());
        }
        String local = hz.getLocalEndpoint().getUuid().toString();
        List<MemberStatus> out = new ArrayList<>();
        for (Member m : hz.getCluster().getMembers()) {
            String id = m.getUuid().toString();
            out.add(status(id, m.getAddress().getHost() + ":" + m.getAddress().getPort(), id.equals(local),
                    all.remove(id), "member"));
        }
        // Clients (and members that just left) report their applied version too.
        for (Map.Entry<String, String> e : all.entrySet()) {
            out.add(status(e.getKey(), null, e.getKey().equals(local), e.getValue(), "client"));
        }
        return out;
    }

    private static MemberStatus status(String id, String address, boolean local, String json, String kind)
            throws Exception {
        long version = -1;
        String addr = address;
        if (json != null) {
            JsonNode n = JSON.readTree(json);
            version = n.path("version").asLong(-1);
            if (addr == null) {
                addr = n.path("address").asText(null);
            }
        }
        return new MemberStatus(id, addr, local, version, json == null ? "joining" : kind);
    }
}
