package dev.gatehouse.app;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.ClusterConfig;

/**
 * Builds this node's Hazelcast instance from the {@code cluster} section: an embedded member joining by TCP/IP
 * member list or by a Kubernetes headless Service's DNS records (multicast and auto-detection off), a client of an
 * existing cluster, or, with no {@code cluster} section, a member of a cluster of one bound to loopback.
 *
 * <p>Hazelcast's open-source edition has no member authentication or TLS: anything that reaches the port and knows
 * the cluster name joins. So the port listens on {@code cluster.host} only, speaks the member protocol only (the
 * client protocol only with {@code accept-clients}; REST and memcache never), Java deserialization is limited to an
 * allow-list, and the values themselves are authenticated ({@link SharedValues}).
 */
final class ClusterMembership {

    /** Versioned shared config, its history and per-member applied versions: small maps, one sync backup. */
    static final String CONFIG_MAP = "gatehouse.config";
    static final String HISTORY_MAP = "gatehouse.config.history";
    static final String MEMBERS_MAP = "gatehouse.members";
    /** The split-brain protection of the config maps ({@code cluster.quorum}). */
    static final String QUORUM = "gatehouse.quorum";

    private ClusterMembership() {
    }

    /** Blocking: joins (or forms) the cluster. Call before deploying anything on the event loops. */
    static HazelcastInstance join(ClusterConfig cluster) {
        return join(cluster, null);
    }

    /**
     * Blocking: joins (or forms) the cluster; a member also gets the response cache's map, sized by {@code cache}
     * (its storage settings hold until the member restarts). {@code cache} is ignored in client mode: a client has
     * no cluster cache.
     */
    static HazelcastInstance join(ClusterConfig cluster, CacheConfig cache) {
        quietLogging();
        if (cluster != null && cluster.client() != null) {
            ClientConfig cc = new ClientConfig();
            cc.setClusterName(cluster.client().clusterName() != null ? cluster.client().clusterName() : cluster.name());
            cc.getNetworkConfig().setAddresses(cluster.client().addresses());
            cc.setProperty("hazelcast.logging.type", "slf4j");
            cc.setProperty("hazelcast.phone.home.enabled", "false");
            cc.setProperty("hazelcast.shutdownhook.enabled", "false");
            cc.getSerializationConfig().setJavaSerializationFilterConfig(deserializationFilter());
            return HazelcastClient.newHazelcastClient(cc);
        }
        Config config = memberConfig(cluster);
        if (cache != null) {
            HazelcastResponseStore.configure(config, cache, plannedMembers(cluster));
        }
        return Hazelcast.newHazelcastInstance(config);
    }

    /** How many members the cluster is meant to have: {@code cluster.members}, 1 standalone. */
    static int plannedMembers(ClusterConfig cluster) {
        return cluster == null ? 1 : Math.max(1, cluster.members().size());
    }

    static boolean clientMode(ClusterConfig cluster) {
        return cluster != null && cluster.client() != null;
    }

    static Config memberConfig(ClusterConfig cluster) {
        boolean standalone = cluster == null;
        ClusterConfig c = standalone ? new ClusterConfig(null, null, null, null, null) : cluster;
        Config config = new Config();
        config.setClusterName(c.name());
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.socket.bind.any", "false");
        // Fast failure detection: a dead node leaves the member list in seconds, not the default minute.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "6");
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        config.setProperty("hazelcast.socket.server.bind.any", "false");
        config.getSerializationConfig().setJavaSerializationFilterConfig(deserializationFilter());
        // Kubernetes: a wildcard host is the pod's own address, which Hazelcast picks (the one non-loopback interface).
        boolean podAddress = c.kubernetes() != null && isWildcard(c.host());
        InterfacesConfig interfaces = podAddress ? new InterfacesConfig()
                : new InterfacesConfig().setEnabled(true).addInterface(c.host());
        JoinConfig join;
        if (c.acceptClients()) {
            // Clients connect to the member port itself: the classic network config serves both protocols there.
            NetworkConfig net = config.getNetworkConfig();
            net.setPort(c.port());
            net.setPortAutoIncrement(standalone);
            net.setInterfaces(interfaces);
            net.getRestApiConfig().setEnabled(false);
            net.getMemcacheProtocolConfig().setEnabled(false);
            join = net.getJoin();
        } else {
            // The advanced network config opens only the endpoints listed: the member endpoint, no client one.
            AdvancedNetworkConfig net = config.getAdvancedNetworkConfig().setEnabled(true);
            ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
            members.setPort(c.port());
            // A standalone node must not clash with another on the same host; a configured member keeps its port.
            members.setPortAutoIncrement(standalone);
            members.setInterfaces(interfaces);
            net.setMemberEndpointConfig(members);
            join = net.getJoin();
        }
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(!standalone && c.kubernetes() == null).setMembers(c.members());
        if (c.kubernetes() != null) {
            // DNS lookup mode: members are the addresses of the headless Service; no Kubernetes API, no RBAC.
            int port = c.kubernetes().servicePort() != null ? c.kubernetes().servicePort() : c.port();
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", c.kubernetes().serviceDns())
                    .setProperty("service-port", Integer.toString(port));
        }
        if (c.quorum() > 1) {
            // A side of a split cluster with fewer members refuses config writes (reads and serving go on), so at
            // most one side writes new versions while split.
            config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, c.quorum())
                    .setProtectOn(SplitBrainProtectionOn.WRITE));
        }
        for (String name : new String[] {CONFIG_MAP, HISTORY_MAP, MEMBERS_MAP}) {
            MapConfig map = new MapConfig(name).setBackupCount(1).setAsyncBackupCount(0)
                    // After a split heals the smaller side merges into the larger: its entries only fill what the
                    // larger side lacks. The newest config version wins whatever the map then holds: every node's
                    // poll (SharedConfigStore) applies a newer version and stores its own over an older one.
                    .setMergePolicyConfig(new MergePolicyConfig(PutIfAbsentMergePolicy.class.getName(),
                            MergePolicyConfig.DEFAULT_BATCH_SIZE));
            if (c.quorum() > 1 && !name.equals(MEMBERS_MAP)) {
                map.setSplitBrainProtectionName(QUORUM);
            }
            config.addMapConfig(map);
        }
        return config;
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("*")
                || host.isEmpty();
    }

    /**
     * Shared structures hold only byte arrays and strings (Hazelcast's own serializers); Java serialization is left
     * for what Hazelcast itself sends between members (its exceptions and operations). Any other class, such as a
     * gadget a rogue member stores, is refused before it is instantiated.
     */
    static JavaSerializationFilterConfig deserializationFilter() {
        return new JavaSerializationFilterConfig()
                .setDefaultsDisabled(true)
                .setWhitelist(new ClassFilter().addPrefixes("com.hazelcast.", "java.lang.", "java.util.",
                        "java.time.", "java.net.", "["));
    }

    private static void quietLogging() {
        System.setProperty("hazelcast.logging.type", "slf4j");
    }
}
