package dev.gatehouse.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.ClusterConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ConfigMap's node file, run: two nodes started from it join through the Kubernetes discovery, the probe paths of
 * the Deployment answer on its admin port, and on leaving /readyz fails while the listener still serves. Only what a
 * pod's environment gives is replaced: addresses (loopback), ports (free ones, as two "pods" share a host here), the
 * Service's DNS name ({@code localhost}), the secret (a file instead of the environment) and the backend (a real
 * one on loopback).
 */
class KubernetesConfigMapIT {

    @TempDir
    Path dir;

    @Test
    void nodesFromTheConfigMapJoinAnswerTheProbesAndLeaveCleanly() throws Exception {
        Vertx backends = Vertx.vertx();
        List<Node> nodes = new ArrayList<>();
        try {
            HttpServer backend = TestNodes.backend(backends, "web");
            int first = TestNodes.freePort();
            for (int port : new int[] {first, TestNodes.freePort()}) {
                GatehouseConfig config = podConfig(dir.resolve("pod-" + port), backend.actualPort(), port, first);
                nodes.add(TestNodes.await(Node.start(Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2)), config,
                        false)));
            }
            Node a = nodes.get(0);
            Node b = nodes.get(1);
            assertThat(a.hz.getConfig().getAdvancedNetworkConfig().getJoin().getKubernetesConfig().isEnabled())
                    .isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> a.hz.getCluster().getMembers().size() == 2);

            JsonNode c = KubernetesManifests.container();
            String readyz = c.at("/readinessProbe/httpGet/path").asText();
            String healthz = c.at("/livenessProbe/httpGet/path").asText();
            assertThat(probe(b, readyz)).isEqualTo(200);
            assertThat(probe(b, healthz)).isEqualTo(200);
            assertThat(TestNodes.get(b, "/").body()).isEqualTo("web");

            // SIGTERM's sequence: /readyz fails at once, the listener keeps serving for readiness-delay.
            CompletableFuture<Boolean> left = CompletableFuture.supplyAsync(b::leave);
            await().atMost(Duration.ofSeconds(4)).until(() -> probe(b, readyz) == 503);
            assertThat(TestNodes.get(b, "/").statusCode()).isEqualTo(200);
            assertThat(left.get(90, TimeUnit.SECONDS)).as("left cleanly").isTrue();
            nodes.remove(b);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.hz.getCluster().getMembers().size() == 1);
            assertThat(TestNodes.get(a, "/").body()).isEqualTo("web");
        } finally {
            for (Node n : nodes) {
                TestNodes.stop(n);
            }
            TestNodes.await(backends.close());
        }
    }

    private static int probe(Node node, String path) {
        // As the kubelet probes: HTTP/1.1, the pod's address as Host (an IP literal, which the admin API accepts).
        return TestNodes.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.admin.actualPort() + path))
                .version(java.net.http.HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(20)).build())
                .statusCode();
    }

    /** The ConfigMap's file as one pod would run it on this host. */
    private static GatehouseConfig podConfig(Path dataDir, int backendPort, int memberPort, int servicePort)
            throws Exception {
        ObjectNode file = (ObjectNode) KubernetesManifests.YAML.readTree(KubernetesManifests.nodeFile());
        file.put("data-dir", dataDir.toString());
        ((ObjectNode) file.at("/listeners/0")).put("host", "127.0.0.1").put("port", 0);
        ((ObjectNode) file.at("/admin")).put("host", "127.0.0.1").put("port", 0);
        ((ObjectNode) file.at("/pools/0/backends/0")).put("url", "http://127.0.0.1:" + backendPort);
        ((ObjectNode) file.at("/cluster")).put("secret-file",
                TestNodes.secretFile(dataDir, TestNodes.SECRET).toString());
        GatehouseConfig parsed = ConfigParser.parse(KubernetesManifests.YAML.writeValueAsString(file));
        // A pod's own address and a resolvable Service name; validation rightly refuses loopback for a pod.
        ClusterConfig c = parsed.cluster();
        ClusterConfig local = new ClusterConfig(c.name(), "127.0.0.1", memberPort, c.members(), c.client(),
                c.secretFile(), c.acceptClients(), new ClusterConfig.KubernetesDiscovery("localhost", servicePort), c.quorum());
        return with(parsed, "cluster", local);
    }

    /** A copy of a record with one component replaced. */
    private static <R extends Record> R with(R record, String component, Object value) throws Exception {
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = components[i].getName().equals(component) ? value : components[i].getAccessor().invoke(record);
        }
        @SuppressWarnings("unchecked")
        R copy = (R) record.getClass().getDeclaredConstructor(types).newInstance(args);
        return copy;
    }
}
