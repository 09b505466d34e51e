package dev.gatehouse.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.instance.EndpointQualifier;
import dev.gatehouse.config.ClusterConfig;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigProblem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharedValuesTest {

    @TempDir
    Path dir;
    static final String SECRET = "a-cluster-secret-of-more-than-32-bytes";
    final ClusterConfig cluster = new ClusterConfig("c", null, null, List.of("127.0.0.1:5701"), null);

    ClusterConfig withFile(Path file) {
        return new ClusterConfig("c", null, null, List.of("127.0.0.1:5701"), null, file.toString(), null);
    }

    static ConfigProblem only(Runnable r) {
        try {
            r.run();
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(1);
            return e.problems().get(0);
        }
        throw new AssertionError("no problem reported");
    }

    @Test
    void aStandaloneNodeNeedsNoSecretAndGetsAnEphemeralOne() {
        assertThat(SharedValues.secret(null, Map.of())).isNull();
        SharedValues v = SharedValues.load(null, Map.of(), new SimpleMeterRegistry());
        assertThat(v.configured).isFalse();
        assertThat(v.open("m", "k", v.sign("m", "k", "{}"))).isEqualTo("{}");
    }

    @Test
    void aClusterWithoutASecretDoesNotStart() {
        ConfigProblem p = only(() -> SharedValues.secret(cluster, Map.of()));
        assertThat(p.path()).isEqualTo("cluster.secret-file");
        assertThat(p.message()).contains("a cluster needs a secret").contains("GATEHOUSE_CLUSTER_SECRET");
    }

    @Test
    void theSecretComesFromTheFileOrTheEnvironment() throws Exception {
        Path f = dir.resolve("secret");
        Files.writeString(f, SECRET + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(SharedValues.secret(withFile(f), Map.of())).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
        assertThat(SharedValues.secret(cluster, Map.of(SharedValues.ENV, SECRET)))
                .isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
        // The file wins over the environment.
        assertThat(SharedValues.secret(withFile(f), Map.of(SharedValues.ENV, "x".repeat(40))))
                .isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
        SharedValues fromFile = SharedValues.load(withFile(f), Map.of(), new SimpleMeterRegistry());
        SharedValues fromEnv = SharedValues.load(cluster, Map.of(SharedValues.ENV, SECRET), new SimpleMeterRegistry());
        assertThat(fromFile.configured).isTrue();
        assertThat(fromEnv.open("m", "k", fromFile.seal("m", "k", "{\"a\":1}"))).isEqualTo("{\"a\":1}");
    }

    @Test
    void unusableSecretsAreReportedAtTheirPath() throws Exception {
        Path f = dir.resolve("secret");
        assertThat(only(() -> SharedValues.secret(withFile(f), Map.of())))
                .isEqualTo(new ConfigProblem("cluster.secret-file", f + ": no such file"));
        Files.writeString(f, "short\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(only(() -> SharedValues.secret(withFile(f), Map.of())))
                .isEqualTo(new ConfigProblem("cluster.secret-file", "the cluster secret has 5 bytes (at least 32 needed)"));
        Files.writeString(f, SECRET);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(only(() -> SharedValues.secret(withFile(f), Map.of())))
                .isEqualTo(new ConfigProblem("cluster.secret-file", f + " is readable by every user (chmod 600 it)"));
        assertThat(only(() -> SharedValues.secret(cluster, Map.of(SharedValues.ENV, "short"))).path())
                .isEqualTo(SharedValues.ENV);
    }

    @Test
    void rejectedValuesAreCountedPerStructure() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SharedValues v = SharedValues.load(null, Map.of(), registry);
        assertThat(v.open("gatehouse.config", "current", "{\"version\":99}")).isNull();
        assertThat(v.open("gatehouse.config", "current", new byte[] {1, 2, 3})).isNull();
        assertThat(v.open("gatehouse.health", "p/b\r\nforged log line", null)).isNull();
        assertThat(registry.get("gatehouse.cluster.rejected.values").tag("structure", "gatehouse.config").counter()
                .count()).isEqualTo(2);
        assertThat(v.rejectedCount("gatehouse.health")).isEqualTo(1);
    }

    @Test
    void theMemberPortSpeaksOnlyTheMemberProtocolUnlessClientsAreAccepted() {
        Config c = ClusterMembership.memberConfig(new ClusterConfig("c", "127.0.0.1", 5701,
                List.of("127.0.0.1:5701"), null));
        assertThat(c.getAdvancedNetworkConfig().isEnabled()).isTrue();
        assertThat(c.getAdvancedNetworkConfig().getEndpointConfigs()).containsOnlyKeys(EndpointQualifier.MEMBER);
        ServerSocketEndpointConfig member = (ServerSocketEndpointConfig) c.getAdvancedNetworkConfig()
                .getEndpointConfigs().get(EndpointQualifier.MEMBER);
        assertThat(member.getInterfaces().isEnabled()).isTrue();
        assertThat(member.getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
        assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(c.getSerializationConfig().getJavaSerializationFilterConfig().isDefaultsDisabled()).isTrue();

        Config clients = ClusterMembership.memberConfig(new ClusterConfig("c", "127.0.0.1", 5701,
                List.of("127.0.0.1:5701"), null, null, true));
        assertThat(clients.getAdvancedNetworkConfig().isEnabled()).isFalse();
        assertThat(clients.getNetworkConfig().getRestApiConfig().isEnabled()).isFalse();
        assertThat(clients.getNetworkConfig().getMemcacheProtocolConfig().isEnabled()).isFalse();
    }
}
