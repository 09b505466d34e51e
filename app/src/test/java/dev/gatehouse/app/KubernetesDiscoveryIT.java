package dev.gatehouse.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.EndpointQualifier;
import dev.gatehouse.config.ClusterConfig;
import dev.gatehouse.config.ConfigParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code cluster.kubernetes}: the member joins through Hazelcast's Kubernetes discovery in DNS lookup mode (the
 * discovery that ships in Hazelcast's core jar), never by member list, and binds the pod's own address.
 */
class KubernetesDiscoveryIT {

    private static final String FILE = "listeners: [ { name: public, port: 8080 } ]\n"
            + "pools: [ { name: web, backends: [ { url: \"http://127.0.0.1:9001\" } ] } ]\n"
            + "routes: [ { name: all, pool: web } ]\n";

    @Test
    void theMemberConfigJoinsThroughTheHeadlessServiceOnly() {
        ClusterConfig cluster = ConfigParser.parse(FILE + "cluster: { name: prod, port: 5701, kubernetes: {"
                + " service-dns: gatehouse-hazelcast.gatehouse.svc.cluster.local } }\n").cluster();

        Config c = ClusterMembership.memberConfig(cluster);

        JoinConfig join = c.getAdvancedNetworkConfig().getJoin();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperties())
                .containsEntry("service-dns", "gatehouse-hazelcast.gatehouse.svc.cluster.local")
                .containsEntry("service-port", "5701");
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        ServerSocketEndpointConfig member = (ServerSocketEndpointConfig) c.getAdvancedNetworkConfig()
                .getEndpointConfigs().get(EndpointQualifier.MEMBER);
        assertThat(member.getPort()).isEqualTo(5701);
        assertThat(member.isPortAutoIncrement()).isFalse();
        // The pod's address is not known in advance: Hazelcast picks the non-loopback one and binds it alone.
        assertThat(member.getInterfaces().isEnabled()).isFalse();
        assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(c.getClusterName()).isEqualTo("prod");
        join.verify(); // one join mechanism only, as Hazelcast requires
    }

    @Test
    void aServicePortOtherThanTheMembersOwnIsKept() {
        ClusterConfig cluster = ConfigParser.parse(FILE + "cluster: { host: 10.1.2.3, port: 5701, kubernetes: {"
                + " service-dns: hz.ns.svc.cluster.local, service-port: 5702 } }\n").cluster();

        Config c = ClusterMembership.memberConfig(cluster);

        assertThat(c.getAdvancedNetworkConfig().getJoin().getKubernetesConfig().getProperties())
                .containsEntry("service-port", "5702");
        ServerSocketEndpointConfig member = (ServerSocketEndpointConfig) c.getAdvancedNetworkConfig()
                .getEndpointConfigs().get(EndpointQualifier.MEMBER);
        assertThat(member.getInterfaces().getInterfaces()).as("an explicit host is kept").containsExactly("10.1.2.3");
    }

    /**
     * Real members, real discovery: the second member finds the first through the DNS name {@code localhost} (the
     * resolver's answer is what a headless Service's name gives in a cluster) and joins it. No Kubernetes API is
     * involved; loopback and two ports stand in for two pods on the same port.
     */
    @Test
    void membersFindEachOtherThroughTheServiceName() {
        int first = TestNodes.freePort();
        int second = TestNodes.freePort();
        String name = "k8s-it-" + first;
        List<HazelcastInstance> started = new ArrayList<>();
        try {
            for (int port : new int[] {first, second}) {
                Config c = ClusterMembership.memberConfig(new ClusterConfig(name, "127.0.0.1", port, List.of(), null,
                        null, null, new ClusterConfig.KubernetesDiscovery("localhost", first), null));
                c.setProperty("hazelcast.max.join.seconds", "30");
                started.add(Hazelcast.newHazelcastInstance(c));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> started.stream()
                    .allMatch(hz -> hz.getCluster().getMembers().size() == 2));
            assertThat(started.get(1).getCluster().getMembers())
                    .extracting(m -> m.getAddress().getPort()).containsExactlyInAnyOrder(first, second);
        } finally {
            started.forEach(hz -> hz.getLifecycleService().terminate());
        }
    }
}
