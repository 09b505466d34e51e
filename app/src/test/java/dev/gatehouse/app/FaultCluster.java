package dev.gatehouse.app;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/**
 * Three (or more) Gatehouse node processes for the fault-injection suite: every port fixed up front (listener, admin,
 * Hazelcast), so a node restarts on the same addresses (a load balancer in front names them); each member advertises
 * a {@link ClusterRelay} in front of its Hazelcast port ({@code hazelcast.local.publicAddress}) so the test can
 * partition the cluster; {@code cluster.quorum} a majority; a short readiness delay.
 */
final class FaultCluster implements AutoCloseable {

    static final Duration READINESS_DELAY = Duration.ofSeconds(2);

    final Path dir;
    final List<Member> members = new ArrayList<>();
    final List<ClusterRelay> relays = new ArrayList<>();

    /** One node: fixed ports, its config file and log, the process of its current run. */
    static final class Member {
        final int index;
        final int listenerPort = TestNodes.freePort();
        final int adminPort = TestNodes.freePort();
        final int clusterPort = TestNodes.freePort();
        final Path yaml;
        final Path log;
        volatile Process process;
        int runs;

        Member(int index, Path dir) {
            this.index = index;
            this.yaml = dir.resolve("node-" + index + ".yaml");
            this.log = dir.resolve("node-" + index + ".log");
        }

        URI admin(String path) {
            return URI.create("http://127.0.0.1:" + adminPort + "/api/v1" + path);
        }

        URI readyz() {
            return URI.create("http://127.0.0.1:" + adminPort + "/readyz");
        }

        long pid() {
            Process p = process;
            return p != null && p.isAlive() ? p.pid() : -1;
        }

        String log() {
            return GatehouseProcesses.readLog(log);
        }

        @Override
        public String toString() {
            return "node-" + index + " (listener " + listenerPort + ", admin " + adminPort + ")";
        }
    }

    private FaultCluster(Path dir) {
        this.dir = dir;
    }

    /** Starts {@code count} nodes at once and waits until each is ready and sees all the others. */
    static FaultCluster start(Path dir, int count, int quorum, String shared) {
        FaultCluster c = new FaultCluster(dir);
        try {
            List<LongSupplier> pids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Member m = new Member(i, dir);
                c.members.add(m);
                pids.add(m::pid);
            }
            for (Member m : c.members) {
                c.relays.add(new ClusterRelay(m.index, m.clusterPort, pids));
            }
            String relayList = c.relays.stream().map(r -> "127.0.0.1:" + r.port()).collect(Collectors.joining(", "));
            for (Member m : c.members) {
                Path data = dir.resolve("data-" + m.index);
                String yaml = "data-dir: " + data + "\n"
                        + "cluster: { name: faults-" + c.members.get(0).clusterPort + ", host: 127.0.0.1, port: "
                        + m.clusterPort + ", members: [" + relayList + "], quorum: " + quorum + ", secret-file: \""
                        + TestNodes.secretFile(data, TestNodes.SECRET) + "\" }\n"
                        + "listeners: [ { name: public, host: 127.0.0.1, port: " + m.listenerPort + " } ]\n"
                        + TestNodes.ADMIN_YAML.replace("port: 0", "port: " + m.adminPort)
                        + "shutdown: { readiness-delay: " + READINESS_DELAY.toMillis() + "ms, drain-timeout: 10s }\n"
                        + shared;
                Files.writeString(m.yaml, yaml);
            }
            c.members.forEach(c::launch);
            c.members.forEach(c::awaitReady);
            c.awaitMembers(c.members, count);
            return c;
        } catch (IOException e) {
            c.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    /** Starts (or starts again) one node's process on its config; the log is appended to across runs. */
    void launch(Member m) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                // The member advertises its relay: every other member reaches it through the test.
                "-Dhazelcast.local.publicAddress=127.0.0.1:" + relays.get(m.index).port(),
                "-cp", System.getProperty("java.class.path"),
                "dev.gatehouse.app.Main", "run", "--config", m.yaml.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()));
        try {
            m.process = pb.start();
            m.runs++;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (at most 90 s) until {@code m} answers {@code /readyz} 200. */
    void awaitReady(Member m) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Process p = m.process;
            if (!p.isAlive()) {
                throw new IllegalStateException(m + " exited " + p.exitValue() + ":\n" + m.log());
            }
            try {
                return get(m.readyz()).statusCode() == 200;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /** Waits until each of {@code nodes} sees {@code size} members. */
    void awaitMembers(List<Member> nodes, int size) {
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> nodes.stream().allMatch(n -> clusterSize(n) == size));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("expected " + size + " members on " + nodes + "; " + views(), e);
        }
    }

    /** What each node and relay sees, for a failure message. */
    String views() {
        StringBuilder b = new StringBuilder();
        for (Member m : members) {
            b.append("\n").append(m).append(" pid ").append(m.pid()).append(": ");
            try {
                b.append(adminGet(m, "/cluster").body());
            } catch (RuntimeException e) {
                b.append(e);
            }
        }
        relays.forEach(r -> b.append("\n").append(r.describe()));
        return b.toString();
    }

    static HttpResponse<String> get(URI uri) {
        return TestNodes.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build());
    }

    static HttpResponse<String> adminGet(Member n, String path) {
        return TestNodes.send(HttpRequest.newBuilder(n.admin(path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN).build());
    }

    /** Members (not clients) {@code n} sees. */
    static int clusterSize(Member n) {
        return (int) new JsonObject(adminGet(n, "/cluster").body()).getJsonArray("members").stream()
                .map(o -> (JsonObject) o).filter(o -> !"client".equals(o.getString("state"))).count();
    }

    /** The config version {@code n} serves. */
    static long version(Member n) {
        return new JsonObject(adminGet(n, "/cluster").body()).getLong("config-version");
    }

    /** PUT /config with {@code config} (the JSON of GET /config, edited) and If-Match. */
    static HttpResponse<String> putConfig(Member n, String config, long ifMatch) {
        return TestNodes.send(HttpRequest.newBuilder(n.admin("/config")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                .header("Content-Type", "application/json")
                .header("If-Match", "\"" + ifMatch + "\"")
                .PUT(HttpRequest.BodyPublishers.ofString(config)).build());
    }

    void partition(java.util.Set<Integer> side) {
        relays.forEach(r -> r.partition(side));
    }

    void heal() {
        relays.forEach(ClusterRelay::heal);
    }

    @Override
    public void close() {
        for (Member m : members) {
            if (m.process != null) {
                m.process.destroyForcibly();
            }
        }
        for (Member m : members) {
            try {
                if (m.process != null) {
                    m.process.waitFor(20, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        relays.forEach(ClusterRelay::close);
    }
}
