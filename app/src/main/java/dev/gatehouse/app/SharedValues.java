package dev.gatehouse.app;

import dev.gatehouse.config.ClusterConfig;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every shared structure goes through: values written signed or sealed with the cluster secret, values read
 * only when they open. A value that does not (foreign, altered, replayed under another key, not even a byte array,
 * or refused by the deserialization filter) is never applied: it is counted in
 * {@code gatehouse_cluster_rejected_values_total{structure}} and logged at WARN (at most once per structure every
 * ten seconds, so a flood cannot flood the log).
 */
final class SharedValues {

    static final String ENV = "GATEHOUSE_CLUSTER_SECRET";
    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.cluster");
    private static final long WARN_EVERY_NANOS = 10_000_000_000L;

    final ClusterSeal seal;
    /** True when the secret came from the node's file or environment (and so survives a restart). */
    final boolean configured;
    private final MeterRegistry registry;
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<String, Long> lastWarn = new ConcurrentHashMap<>();

    SharedValues(ClusterSeal seal, boolean configured, MeterRegistry registry) {
        this.seal = seal;
        this.configured = configured;
        this.registry = registry;
    }

    /**
     * The node's seal: from {@code cluster.secret-file} or {@link #ENV}; a standalone node (no {@code cluster}
     * section) gets a random one of its own, so whatever reaches its port is refused too.
     *
     * @throws ConfigException at {@code cluster.secret-file} when a cluster has no usable secret
     */
    static SharedValues load(ClusterConfig cluster, Map<String, String> env, MeterRegistry registry) {
        byte[] secret = secret(cluster, env);
        return secret == null ? new SharedValues(ClusterSeal.ephemeral(), false, registry)
                : new SharedValues(new ClusterSeal(secret), true, registry);
    }

    /** The configured secret, checked; {@code null} for a standalone node without one. */
    static byte[] secret(ClusterConfig cluster, Map<String, String> env) {
        String path = "cluster.secret-file";
        byte[] secret;
        if (cluster != null && cluster.secretFile() != null) {
            Path file = Path.of(cluster.secretFile());
            try {
                if (Files.getFileStore(file).supportsFileAttributeView("posix")
                        && Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
                    throw problem(path, file + " is readable by every user (chmod 600 it)");
                }
                secret = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip()
                        .getBytes(StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw problem(path, file + ": no such file");
            } catch (IOException e) {
                throw problem(path, file + ": " + e.getMessage());
            }
        } else if (env.get(ENV) != null && !env.get(ENV).isBlank()) {
            secret = env.get(ENV).strip().getBytes(StandardCharsets.UTF_8);
            path = ENV;
        } else if (cluster == null) {
            return null;
        } else {
            throw problem(path, "a cluster needs a secret (every member the same): a file of at least "
                    + ClusterSeal.MIN_SECRET_BYTES + " random characters, e.g. `openssl rand -base64 48`,"
                    + " or the environment variable " + ENV);
        }
        if (secret.length < ClusterSeal.MIN_SECRET_BYTES) {
            throw problem(path, "the cluster secret has " + secret.length + " bytes (at least "
                    + ClusterSeal.MIN_SECRET_BYTES + " needed)");
        }
        return secret;
    }

    private static ConfigException problem(String path, String message) {
        return new ConfigException(List.of(new ConfigProblem(path, message)));
    }

    byte[] sign(String structure, String key, String json) {
        return seal.sign(structure, key, json.getBytes(StandardCharsets.UTF_8));
    }

    byte[] seal(String structure, String key, String json) {
        return seal.seal(structure, key, json.getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON of a value read from {@code structure} under {@code key}, or {@code null} (counted) if it fails. */
    String open(String structure, String key, Object raw) {
        if (!(raw instanceof byte[] bytes)) {
            reject(structure, key, "not a Gatehouse value (" + (raw == null ? "null" : raw.getClass().getName()) + ")");
            return null;
        }
        try {
            return new String(seal.open(structure, key, bytes), StandardCharsets.UTF_8);
        } catch (ClusterSeal.Rejected e) {
            reject(structure, key, e.getMessage());
            return null;
        }
    }

    /** Counts and logs a value that is never applied. */
    void reject(String structure, String key, String reason) {
        rejected.computeIfAbsent(structure, s -> Counter.builder("gatehouse.cluster.rejected.values")
                .description("Values in shared cluster structures refused: not authenticated with this"
                        + " node's cluster secret, or not deserializable")
                .tag("structure", s).register(registry)).increment();
        long now = System.nanoTime();
        Long last = lastWarn.get(structure);
        if (last == null || now - last > WARN_EVERY_NANOS) {
            lastWarn.put(structure, now);
            LOG.warn("ignored a value in {} under key {}: {} (a process without this cluster's secret can reach the"
                    + " Hazelcast port, or the members' secrets differ)", structure, printable(key), printable(reason));
        } else {
            LOG.debug("ignored a value in {} under key {}: {}", structure, printable(key), printable(reason));
        }
    }

    MeterRegistry registry() {
        return registry;
    }

    /** Keys (and what failed) come from whoever wrote them: no control characters or unbounded length in the log. */
    private static String printable(String key) {
        String k = key.length() > 200 ? key.substring(0, 200) + "…" : key;
        return k.replaceAll("\\p{Cntrl}", "?");
    }

    /** Count so far for one structure (tests, status). */
    double rejectedCount(String structure) {
        Counter c = rejected.get(structure);
        return c == null ? 0 : c.count();
    }
}
