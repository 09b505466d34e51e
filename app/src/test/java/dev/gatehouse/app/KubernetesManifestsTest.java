package dev.gatehouse.app;

import static dev.gatehouse.app.KubernetesManifests.container;
import static dev.gatehouse.app.KubernetesManifests.containerPort;
import static dev.gatehouse.app.KubernetesManifests.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.gatehouse.app.KubernetesManifests.Manifest;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code deploy/kubernetes}: every object is checked against the Kubernetes API schema of its kind (the models
 * client-java generates from Kubernetes' OpenAPI spec: unknown fields, missing required fields and wrong types are
 * errors), and the manifests agree with each other and with the node file in the ConfigMap, which itself passes the
 * validation {@code gatehouse validate} does. Nothing here talks to a Kubernetes cluster.
 */
class KubernetesManifestsTest {

    /** Kind → the apiVersion these manifests use and the model of that kind. */
    private static final Map<String, Schema> SCHEMAS = Map.of(
            "Namespace", new Schema("v1", V1Namespace.class),
            "ConfigMap", new Schema("v1", V1ConfigMap.class),
            "Secret", new Schema("v1", V1Secret.class),
            "Service", new Schema("v1", V1Service.class),
            "Deployment", new Schema("apps/v1", V1Deployment.class),
            "PodDisruptionBudget", new Schema("policy/v1", V1PodDisruptionBudget.class),
            "NetworkPolicy", new Schema("networking.k8s.io/v1", V1NetworkPolicy.class));

    private record Schema(String apiVersion, Class<?> model) {
    }

    static List<Manifest> manifests() {
        return KubernetesManifests.all();
    }

    /** The schema check: throws with the Kubernetes model's message when the object does not fit its kind. */
    static void checkSchema(ObjectNode object) {
        String kind = object.path("kind").asText();
        Schema schema = SCHEMAS.get(kind);
        if (schema == null) {
            throw new IllegalArgumentException("no schema for kind \"" + kind + "\"");
        }
        if (!schema.apiVersion().equals(object.path("apiVersion").asText())) {
            throw new IllegalArgumentException(kind + " is served as " + schema.apiVersion() + ", not \""
                    + object.path("apiVersion").asText() + "\"");
        }
        JsonObject json = JsonParser.parseString(object.toString()).getAsJsonObject();
        try {
            // Unknown and missing required fields, recursively.
            schema.model().getMethod("validateJsonObject", JsonObject.class).invoke(null, json);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        // Types: a string where a number belongs, an object where a list does.
        new JSON().deserialize(object.toString(), schema.model());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void everyObjectFitsTheKubernetesSchemaOfItsKind(Manifest m) {
        checkSchema(m.object());
        if (!m.kind().equals("Namespace")) {
            assertThat(m.object().at("/metadata/namespace").asText()).as("%s's namespace", m).isEqualTo("gatehouse");
        }
    }

    @Test
    void theSchemaCheckCatchesMistakes() {
        ObjectNode deployment = one("Deployment", "gatehouse");

        ObjectNode typo = deployment.deepCopy();
        ObjectNode c = (ObjectNode) typo.at("/spec/template/spec/containers/0");
        c.set("readinesProbe", c.remove("readinessProbe"));
        assertThatThrownBy(() -> checkSchema(typo)).hasMessageContaining("`readinesProbe`");

        ObjectNode unnamed = deployment.deepCopy();
        ((ObjectNode) unnamed.at("/spec/template/spec/containers/0")).remove("name");
        assertThatThrownBy(() -> checkSchema(unnamed)).hasMessageContaining("required field `name`");

        ObjectNode wrongType = deployment.deepCopy();
        ((ObjectNode) wrongType.at("/spec")).put("replicas", "three");
        assertThatThrownBy(() -> checkSchema(wrongType)).hasMessageContaining("three");

        ObjectNode oldApi = deployment.deepCopy();
        oldApi.put("apiVersion", "extensions/v1beta1");
        assertThatThrownBy(() -> checkSchema(oldApi)).hasMessageContaining("apps/v1");
    }

    @Test
    void kustomizeAppliesEveryManifestButThePlaceholderSecret() {
        List<String> resources = StreamSupport.stream(
                KubernetesManifests.kustomization().path("resources").spliterator(), false)
                .map(JsonNode::asText).toList();
        List<String> files = KubernetesManifests.files().stream().map(p -> p.getFileName().toString())
                .filter(n -> !n.equals("kustomization.yaml") && !n.equals("secret.yaml")).toList();
        assertThat(resources).containsExactlyInAnyOrderElementsOf(files);
    }

    /** Where kubectl is installed, kustomize renders the directory (client side; no cluster is contacted). */
    @Test
    void kustomizeRendersTheDirectory() throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst().orElse(null);
        assumeThat(kubectl).as("kubectl installed").isNotNull();
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", KubernetesManifests.DIR.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("kind: Deployment", "kind: NetworkPolicy").doesNotContain("kind: Secret");
    }

    @Test
    void theConfigMapHoldsAValidNodeFile() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());

        assertThat(config.cluster().kubernetes()).isNotNull();
        assertThat(config.cluster().members()).isEmpty();
        assertThat(config.cluster().secretFile()).as("the secret comes from the environment").isNull();
        // The kubelet probes the pod's address: the admin API listens on every address, which it only does with tokens.
        assertThat(config.admin().host()).isEqualTo("0.0.0.0");
        assertThat(config.admin().tokens()).isNotEmpty();
        assertThat(config.listeners()).hasSize(1);
    }

    @Test
    void membersFindEachOtherThroughTheHeadlessService() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());
        ObjectNode headless = one("Service", "gatehouse-hazelcast");
        JsonNode port = headless.at("/spec/ports/0");

        assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(headless.at("/spec/publishNotReadyAddresses").asBoolean())
                .as("pods join before they are ready, so they must be found before").isTrue();
        assertThat(headless.at("/spec/ports").size()).isEqualTo(1);
        assertThat(port.path("targetPort").asText()).isEqualTo("hazelcast");
        assertThat(containerPort("hazelcast")).isEqualTo(config.cluster().port()).isEqualTo(port.path("port").asInt());

        Config hz = ClusterMembership.memberConfig(config.cluster());
        JoinConfig join = hz.getAdvancedNetworkConfig().getJoin();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo(
                headless.at("/metadata/name").asText() + "." + headless.at("/metadata/namespace").asText()
                        + ".svc.cluster.local");
        assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo(port.path("port").asText());
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    }

    @Test
    void probesAndPortsAreTheNodesOwn() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());
        JsonNode c = container();

        assertThat(containerPort("http")).isEqualTo(config.listeners().get(0).port());
        assertThat(containerPort("admin")).isEqualTo(config.admin().port());
        // The admin API's unauthenticated probes (admin-api StatusApi.mountProbes).
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/healthz");
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            assertThat(c.path(probe).at("/httpGet/port").asText()).as(probe).isEqualTo("admin");
        }
        ObjectNode traffic = one("Service", "gatehouse");
        assertThat(traffic.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
    }

    @Test
    void everySelectorPicksTheDeploymentsPods() {
        JsonNode labels = one("Deployment", "gatehouse").at("/spec/template/metadata/labels");

        assertThat(one("Deployment", "gatehouse").at("/spec/selector/matchLabels")).isEqualTo(labels);
        assertThat(one("Service", "gatehouse").at("/spec/selector")).isEqualTo(labels);
        assertThat(one("Service", "gatehouse-hazelcast").at("/spec/selector")).isEqualTo(labels);
        assertThat(one("PodDisruptionBudget", "gatehouse").at("/spec/selector/matchLabels")).isEqualTo(labels);
        assertThat(one("NetworkPolicy", "gatehouse").at("/spec/podSelector/matchLabels")).isEqualTo(labels);
        // The member port is open to the gatehouse pods only.
        JsonNode memberRule = StreamSupport.stream(one("NetworkPolicy", "gatehouse").at("/spec/ingress").spliterator(),
                false).filter(r -> r.at("/ports/0/port").asText().equals("hazelcast")).findFirst().orElseThrow();
        assertThat(memberRule.at("/from").size()).isEqualTo(1);
        assertThat(memberRule.at("/from/0/podSelector/matchLabels")).isEqualTo(labels);
    }

    /**
     * Leaving: Kubernetes runs preStop, then sends SIGTERM; the node then keeps serving for readiness-delay, drains
     * for up to drain-timeout and leaves the cluster. The grace period counts from preStop and must cover all of it.
     */
    @Test
    void theGracePeriodCoversPreStopDelayDrainAndLeave() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());
        JsonNode pod = one("Deployment", "gatehouse").at("/spec/template/spec");
        JsonNode preStop = container().at("/lifecycle/preStop/exec/command");
        long delay = config.shutdown().readinessDelay().toSeconds();
        long drain = config.shutdown().drainTimeout().toSeconds();

        assertThat(preStop.get(0).asText()).isEqualTo("sleep");
        long sleep = Long.parseLong(preStop.get(1).asText());
        assertThat(sleep).as("preStop sleep >= readiness-delay").isGreaterThanOrEqualTo(delay);
        long leave = 10; // leaving the cluster: partitions migrate to the other members
        assertThat(pod.path("terminationGracePeriodSeconds").asLong())
                .as("terminationGracePeriodSeconds > preStop + readiness-delay + drain-timeout + leave")
                .isGreaterThan(sleep + delay + drain + leave);
        JsonNode readiness = container().path("readinessProbe");
        assertThat(readiness.path("periodSeconds").asLong() * readiness.path("failureThreshold").asLong())
                .as("the readiness probe sees /readyz fail within readiness-delay").isLessThanOrEqualTo(delay);
        // One pod at a time: each entry has one backup.
        assertThat(one("PodDisruptionBudget", "gatehouse").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(one("Deployment", "gatehouse").at("/spec/strategy/rollingUpdate/maxUnavailable").asInt())
                .isZero();
    }

    @Test
    void theContainerRunsTheConfigMapsFileWithItsDataDirOnAVolume() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());
        JsonNode c = container();
        List<String> args = StreamSupport.stream(c.path("args").spliterator(), false).map(JsonNode::asText).toList();

        assertThat(args).startsWith("run", "--config");
        Path file = Path.of(args.get(args.indexOf("--config") + 1));
        assertThat(mountOf("config")).isEqualTo(file.getParent().toString());
        assertThat(one("ConfigMap", volume("config").at("/configMap/name").asText()).path("data")
                .has(file.getFileName().toString())).isTrue();
        assertThat(mountOf("data")).isEqualTo(config.dataDir());
        assertThat(volume("data").has("emptyDir")).isTrue();
        assertThat(mountOf("tmp")).isEqualTo("/tmp");
    }

    @Test
    void theClusterSecretComesFromTheSecretAndThePlaceholderIsRefused() {
        GatehouseConfig config = ConfigParser.parse(KubernetesManifests.nodeFile());
        JsonNode env = StreamSupport.stream(container().path("env").spliterator(), false)
                .filter(e -> e.path("name").asText().equals(SharedValues.ENV)).findFirst().orElseThrow();
        ObjectNode secret = one("Secret", env.at("/valueFrom/secretKeyRef/name").asText());
        String placeholder = secret.at("/stringData").path(env.at("/valueFrom/secretKeyRef/key").asText()).asText();

        assertThat(placeholder).isNotEmpty();
        // Deployed unchanged, the node refuses to start (exit 2) instead of running on a published secret.
        assertThatThrownBy(() -> SharedValues.secret(config.cluster(), Map.of(SharedValues.ENV, placeholder)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least");
        assertThat(SharedValues.secret(config.cluster(), Map.of(SharedValues.ENV, TestNodes.SECRET))).isNotEmpty();
    }

    @Test
    void theImageRunsAsThePodsUserOnAJre() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("../deploy/Dockerfile"), StandardCharsets.UTF_8);
        List<String> from = new ArrayList<>(lines.stream().filter(l -> l.startsWith("FROM ")).toList());
        JsonNode security = one("Deployment", "gatehouse").at("/spec/template/spec/securityContext");

        assertThat(from.get(from.size() - 1)).isEqualTo("FROM eclipse-temurin:17-jre");
        assertThat(lines).contains("USER " + security.path("runAsUser").asInt() + ":"
                + security.path("runAsGroup").asInt());
        assertThat(lines).anyMatch(l -> l.startsWith("ENTRYPOINT [\"java\"")
                && l.contains("/opt/gatehouse/gatehouse.jar"));
    }

    private static String mountOf(String volume) {
        for (JsonNode m : container().path("volumeMounts")) {
            if (m.path("name").asText().equals(volume)) {
                return m.path("mountPath").asText();
            }
        }
        throw new AssertionError("no mount of volume " + volume);
    }

    private static JsonNode volume(String name) {
        for (JsonNode v : one("Deployment", "gatehouse").at("/spec/template/spec/volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no volume " + name);
    }
}
