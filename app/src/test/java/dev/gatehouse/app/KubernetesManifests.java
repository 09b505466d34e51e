package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The manifests under {@code deploy/kubernetes}, read as the objects {@code kubectl apply} would send. */
final class KubernetesManifests {

    /** The tests run in the module directory. */
    static final Path DIR = Path.of("../deploy/kubernetes");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private KubernetesManifests() {
    }

    /** One Kubernetes object of a manifest file. */
    record Manifest(Path file, ObjectNode object) {

        String kind() {
            return object.path("kind").asText();
        }

        String name() {
            return object.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return file.getFileName() + ": " + kind() + " " + name();
        }
    }

    /** Every object of every manifest file; {@code kustomization.yaml} is kustomize's, not an object. */
    static List<Manifest> all() {
        List<Manifest> out = new ArrayList<>();
        for (Path f : files()) {
            if (f.getFileName().toString().equals("kustomization.yaml")) {
                continue;
            }
            try (var parser = YAML.getFactory().createParser(f.toFile())) {
                var docs = YAML.readValues(parser, JsonNode.class);
                while (docs.hasNext()) {
                    JsonNode doc = docs.next();
                    if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                        out.add(new Manifest(f, (ObjectNode) doc));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(f + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    static List<Path> files() {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode one(String kind, String name) {
        return all().stream().filter(m -> m.kind().equals(kind) && m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + DIR)).object();
    }

    static ObjectNode kustomization() {
        try {
            return (ObjectNode) YAML.readTree(DIR.resolve("kustomization.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one container of the Deployment. */
    static JsonNode container() {
        return one("Deployment", "gatehouse").path("spec").path("template").path("spec").path("containers").get(0);
    }

    /** The container's port of that name. */
    static int containerPort(String name) {
        for (JsonNode p : container().path("ports")) {
            if (p.path("name").asText().equals(name)) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("the container has no port named " + name);
    }

    /** The node file in the ConfigMap. */
    static String nodeFile() {
        return one("ConfigMap", "gatehouse-config").path("data").path("gatehouse.yaml").asText();
    }
}
