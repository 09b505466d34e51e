package dev.gatehouse.app;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gatehouse.admin.VersionedConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.proxy.balance.BackendState;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes sharing a cluster secret, and a rogue Hazelcast member that knows the cluster name (all that Hazelcast's
 * open-source edition asks) but not the secret. Whatever the rogue stores is ignored, counted, and put right; the
 * nodes keep serving and keep taking admin writes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSecurityIT {

    @TempDir
    static Path dir;
    static Vertx vertx;
    static HttpServer one;
    static HttpServer two;
    static List<Integer> ports;
    static final List<Node> nodes = new ArrayList<>();
    static HazelcastInstance rogue;

    /** Would be a gadget; readObject records that a node instantiated it. */
    static final class Gadget implements Serializable {
        static final AtomicBoolean DESERIALIZED = new AtomicBoolean();
        static volatile String where = "";

        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
            in.defaultReadObject();
            DESERIALIZED.set(true);
            java.io.StringWriter w = new java.io.StringWriter();
            new Throwable("deserialized on " + Thread.currentThread().getName()).printStackTrace(new java.io.PrintWriter(w));
            where = w.toString();
        }
    }

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        one = TestNodes.backend(vertx, "one");
        two = TestNodes.backend(vertx, "two");
        ports = List.of(TestNodes.freePort(), TestNodes.freePort());
        String shared = TestNodes.sharedYaml(one.actualPort(), "");
        List<CompletableFuture<Node>> starting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String yaml = TestNodes.nodeYaml(dir.resolve("n" + i), ports.get(i), ports, shared);
            starting.add(CompletableFuture.supplyAsync(() -> TestNodes.start(yaml)));
        }
        starting.forEach(f -> nodes.add(f.join()));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 2);

        // The rogue: a stock Hazelcast member with the right cluster name and the members' addresses.
        Config config = new Config();
        config.setClusterName("it-" + ports.get(0));
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        // Only so that the test's own reads through the rogue never instantiate the gadget it stores.
        config.getSerializationConfig().setJavaSerializationFilterConfig(ClusterMembership.deserializationFilter());
        config.getNetworkConfig().setPort(TestNodes.freePort()).getInterfaces().setEnabled(true)
                .addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + ports.get(0)));
        rogue = Hazelcast.newHazelcastInstance(config);
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.get(0).hz.getCluster().getMembers().size() == 3);
    }

    @AfterAll
    static void stop() {
        if (rogue != null) {
            rogue.shutdown();
        }
        nodes.forEach(TestNodes::stop);
        TestNodes.await(vertx.close());
    }

    static double rejected(String structure) {
        return nodes.stream().mapToDouble(n -> n.values.rejectedCount(structure)).sum();
    }

    static void assertServingVersion(long version) {
        assertServingVersion(version, "one");
    }

    static void assertServingVersion(long version, String backend) {
        for (Node n : nodes) {
            assertThat(n.store.current().version()).isEqualTo(version);
            assertThat(TestNodes.get(n, "/x").body()).isEqualTo(backend);
        }
    }

    /** The key holds a value sealed by a node again, at {@code version}. */
    static void awaitRestored(long version) {
        IMap<String, Object> map = rogue.getMap(ClusterMembership.CONFIG_MAP);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try {
                Object v = map.get(SharedConfigStore.KEY);
                if (!(v instanceof byte[] b)) {
                    return false;
                }
                String json = new String(new ClusterSeal(TestNodes.SECRET.getBytes(StandardCharsets.UTF_8))
                        .open(ClusterMembership.CONFIG_MAP, SharedConfigStore.KEY, b), StandardCharsets.UTF_8);
                return SharedConfigStore.decode(json).version() == version;
            } catch (ClusterSeal.Rejected | RuntimeException e) {
                return false; // still the rogue's value
            }
        });
    }

    static String foreignConfig(long version) {
        return SharedConfigStore.encode(new VersionedConfig(version,
                ConfigParser.parseShared(TestNodes.sharedYaml(two.actualPort(), "")), Instant.now(), "rogue"));
    }

    @Test
    @Order(1)
    void theRogueSeesOnlySealedBytes() {
        Object stored = rogue.getMap(ClusterMembership.CONFIG_MAP).get(SharedConfigStore.KEY);
        assertThat(stored).isInstanceOf(byte[].class);
        String text = new String((byte[]) stored, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("pools").doesNotContain("127.0.0.1");
        for (Object h : rogue.getMap(ClusterMembership.HISTORY_MAP).values()) {
            assertThat(new String((byte[]) h, StandardCharsets.ISO_8859_1)).doesNotContain("pools");
        }
    }

    @Test
    @Order(2)
    void anUnauthenticatedConfigVersionIsIgnoredCountedAndReplaced() {
        long version = nodes.get(0).store.current().version();
        double before = rejected(ClusterMembership.CONFIG_MAP);
        IMap<String, Object> map = rogue.getMap(ClusterMembership.CONFIG_MAP);

        map.set(SharedConfigStore.KEY, foreignConfig(99)); // plain JSON, as the store used to hold
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected(ClusterMembership.CONFIG_MAP) > before);
        awaitRestored(version);
        assertServingVersion(version);

        double mid = rejected(ClusterMembership.CONFIG_MAP);
        ClusterSeal wrong = new ClusterSeal("not-the-cluster-secret-but-long-enough".getBytes(StandardCharsets.UTF_8));
        map.set(SharedConfigStore.KEY, wrong.seal(ClusterMembership.CONFIG_MAP, SharedConfigStore.KEY,
                foreignConfig(100).getBytes(StandardCharsets.UTF_8)));
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected(ClusterMembership.CONFIG_MAP) > mid);
        awaitRestored(version);
        assertServingVersion(version);
        assertThat(nodes.get(0).metrics.registry.scrape())
                .contains("gatehouse_cluster_rejected_values_total{structure=\"gatehouse.config\"}");
    }

    @Test
    @Order(3)
    void aJavaSerializedObjectIsNeverDeserialized() {
        long version = nodes.get(0).store.current().version();
        double config = rejected(ClusterMembership.CONFIG_MAP);
        double health = rejected(HealthSync.MAP);
        rogue.getMap(ClusterMembership.CONFIG_MAP).set(SharedConfigStore.KEY, new Gadget());
        rogue.getMap(HealthSync.MAP).set("p/127.0.0.1:" + one.actualPort(), new Gadget());
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected(ClusterMembership.CONFIG_MAP) > config
                && rejected(HealthSync.MAP) > health);
        awaitRestored(version);
        assertThat(Gadget.DESERIALIZED).as(Gadget.where).isFalse();
        assertServingVersion(version);
    }

    @Test
    @Order(4)
    void forgedHealthVerdictsEjectNothing() {
        String key = "p/127.0.0.1:" + one.actualPort();
        double before = rejected(HealthSync.MAP);
        String verdict = "{\"health\":\"UNHEALTHY\",\"ejected-until\":" + (System.currentTimeMillis() + 600_000)
                + ",\"cause\":\"rogue\",\"node\":\"rogue\",\"since\":\"" + Instant.now() + "\",\"seq\":999}";
        IMap<String, Object> map = rogue.getMap(HealthSync.MAP);
        map.set(key, verdict);
        ClusterSeal wrong = new ClusterSeal("not-the-cluster-secret-but-long-enough".getBytes(StandardCharsets.UTF_8));
        map.set(key, wrong.sign(HealthSync.MAP, key, verdict.getBytes(StandardCharsets.UTF_8)));
        // Authentic bytes for another key do not move to this one.
        ClusterSeal right = new ClusterSeal(TestNodes.SECRET.getBytes(StandardCharsets.UTF_8));
        map.set(key, right.sign(HealthSync.MAP, "p/other:1", verdict.getBytes(StandardCharsets.UTF_8)));
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected(HealthSync.MAP) >= before + 6); // 3 × 2 nodes
        for (Node n : nodes) {
            BackendState s = n.proxy.runtime().backendState("p", "127.0.0.1:" + one.actualPort());
            assertThat(s.ejected(System.currentTimeMillis())).isFalse();
            assertThat(s.health()).isNotEqualTo(BackendState.Health.UNHEALTHY);
            assertThat(TestNodes.get(n, "/x").body()).isEqualTo("one");
        }
    }

    @Test
    @Order(5)
    void aReplayedHealthVerdictIsIgnored() {
        String key = "p/127.0.0.1:" + one.actualPort();
        BackendState a = nodes.get(0).proxy.runtime().backendState("p", "127.0.0.1:" + one.actualPort());
        BackendState b = nodes.get(1).proxy.runtime().backendState("p", "127.0.0.1:" + one.actualPort());
        IMap<String, Object> map = rogue.getMap(HealthSync.MAP);
        a.setHealth(BackendState.Health.UNHEALTHY, "test verdict", false);
        await().atMost(Duration.ofSeconds(5)).until(() -> b.health() == BackendState.Health.UNHEALTHY);
        Object captured = map.get(key);
        a.setHealth(BackendState.Health.HEALTHY, "test verdict", false);
        await().atMost(Duration.ofSeconds(5)).until(() -> b.health() == BackendState.Health.HEALTHY);
        double before = nodes.get(1).values.rejectedCount(HealthSync.MAP);
        map.set(key, captured);
        await().atMost(Duration.ofSeconds(5)).until(() -> nodes.get(1).values.rejectedCount(HealthSync.MAP) > before);
        assertThat(b.health()).isEqualTo(BackendState.Health.HEALTHY);
    }

    @Test
    @Order(6)
    void anOlderAuthenticConfigVersionDoesNotRollBack() {
        Object v1 = rogue.getMap(ClusterMembership.CONFIG_MAP).get(SharedConfigStore.KEY);
        long before = nodes.get(0).store.current().version();
        String pool = "{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:%d\"}]}";
        var w = TestNodes.put(nodes.get(0), "/pools/p", pool.formatted(two.actualPort()), null);
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
        long after = before + 1;
        await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(1).store.current().version() == after);
        rogue.getMap(ClusterMembership.CONFIG_MAP).set(SharedConfigStore.KEY, v1); // captured, authentic, older
        awaitRestored(after);
        assertServingVersion(after, "two");
        // Writes keep working and build on the newest version, not on the replayed one.
        w = TestNodes.put(nodes.get(1), "/pools/p", pool.formatted(one.actualPort()), null);
        assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> nodes.stream()
                .allMatch(n -> n.store.current().version() == after + 1));
    }

    @Test
    @Order(7)
    void theMemberPortRefusesHazelcastClients() {
        ClientConfig cc = new ClientConfig();
        cc.setClusterName("it-" + ports.get(0));
        cc.getNetworkConfig().addAddress("127.0.0.1:" + ports.get(0));
        cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3_000);
        cc.setProperty("hazelcast.logging.type", "slf4j");
        assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(cc).shutdown())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    @Order(7)
    void theMemberPortListensOnTheConfiguredHostOnly() throws Exception {
        Path tcp = Path.of("/proc/net/tcp");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(tcp), "Linux only");
        String port = String.format(":%04X", ports.get(0));
        // Listening sockets (state 0A) on the member port: 127.0.0.1 only (IPv4 or IPv4-mapped), never a wildcard.
        List<String> listening = new ArrayList<>();
        for (Path table : List.of(tcp, Path.of("/proc/net/tcp6"))) {
            if (Files.isReadable(table)) {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[3].equals("0A") && f[1].endsWith(port)) {
                        listening.add(f[1]);
                    }
                }
            }
        }
        assertThat(listening).isNotEmpty().allMatch(a -> a.equals("0100007F" + port)
                || a.equals("0000000000000000FFFF00000100007F" + port), "bound to 127.0.0.1");
    }

    @Test
    @Order(8)
    void theStateFileIsPrivateAndAuthenticated() throws Exception {
        Path file = dir.resolve("n0").resolve(SharedConfigStore.STATE_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file)).startsWith("{\"format\":\"gatehouse-state/1\",\"auth\":\"hmac-sha256\"");
        assertThat(Files.exists(dir.resolve("n0").resolve(SharedConfigStore.STATE_FILE + ".prev"))).isTrue();
    }
}
