package dev.gatehouse.app;

import com.hazelcast.config.Config;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import dev.gatehouse.config.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cluster.quorum} becomes split-brain protection of the config maps; the merge policies are explicit. */
class SplitBrainConfigTest {

    static final List<String> THREE = List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");

    @Test
    void aQuorumProtectsWritesToTheConfigAndItsHistoryNotTheMembersMap() {
        Config c = ClusterMembership.memberConfig(new ClusterConfig("c", "127.0.0.1", 5701, THREE, null, null, null, null,
                2));
        var q = c.getSplitBrainProtectionConfig(ClusterMembership.QUORUM);
        assertThat(q.isEnabled()).isTrue();
        assertThat(q.getMinimumClusterSize()).isEqualTo(2);
        assertThat(q.getProtectOn()).isEqualTo(SplitBrainProtectionOn.WRITE);
        assertThat(c.getMapConfig(ClusterMembership.CONFIG_MAP).getSplitBrainProtectionName())
                .isEqualTo(ClusterMembership.QUORUM);
        assertThat(c.getMapConfig(ClusterMembership.HISTORY_MAP).getSplitBrainProtectionName())
                .isEqualTo(ClusterMembership.QUORUM);
        assertThat(c.getMapConfig(ClusterMembership.MEMBERS_MAP).getSplitBrainProtectionName()).isNull();
        for (String map : List.of(ClusterMembership.CONFIG_MAP, ClusterMembership.HISTORY_MAP,
                ClusterMembership.MEMBERS_MAP)) {
            assertThat(c.getMapConfig(map).getMergePolicyConfig().getPolicy())
                    .isEqualTo(PutIfAbsentMergePolicy.class.getName());
        }
    }

    @Test
    void withoutAQuorumNothingIsProtected() {
        Config c = ClusterMembership.memberConfig(new ClusterConfig("c", "127.0.0.1", 5701, THREE, null));
        assertThat(c.getSplitBrainProtectionConfigs()).isEmpty();
        assertThat(c.getMapConfig(ClusterMembership.CONFIG_MAP).getSplitBrainProtectionName()).isNull();
    }
}
