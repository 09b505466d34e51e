package dev.gatehouse.app;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/**
 * Gatehouse nodes as separate JVM processes, started with the real command line ({@code Main run --config FILE}) on
 * the test's classpath: one cluster on loopback sharing a secret and a member list, listener and admin API on
 * ephemeral ports (read back from each node's log). {@link #close} kills whatever is still running.
 */
final class GatehouseProcesses implements AutoCloseable {

    private static final Pattern LISTENER = Pattern.compile("listener public on http://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin API on http://127\\.0\\.0\\.1:(\\d+)/api/v1");

    private final Path dir;
    private final List<GatehouseProcess> nodes = new ArrayList<>();

    private GatehouseProcesses(Path dir) {
        this.dir = dir;
    }

    /** One node process: its ports once it is ready, its log. */
    static final class GatehouseProcess {
        final String name;
        final Process process;
        final Path log;
        int listenerPort;
        int adminPort;

        GatehouseProcess(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        URI url(String path) {
            return URI.create("http://127.0.0.1:" + listenerPort + path);
        }

        URI admin(String path) {
            return URI.create("http://127.0.0.1:" + adminPort + "/api/v1" + path);
        }

        /** Sends the process a signal, e.g. {@code "HUP"}. */
        void signal(String name) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
                if (kill.waitFor() != 0) {
                    throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** Kills the JVM at once (no graceful leave: the cluster learns of it by the broken connection). */
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        String log() {
            return readLog(log);
        }

        @Override
        public String toString() {
            return name + " (listener " + listenerPort + ", admin " + adminPort + ")";
        }
    }

    /**
     * Starts {@code count} nodes forming one cluster, each with {@code shared} (pools, routes, cache) as its config's
     * shared part, and waits (at most 90 s) until every node is ready and sees all the others.
     */
    static GatehouseProcesses start(Path dir, int count, String shared) {
        GatehouseProcesses all = new GatehouseProcesses(dir);
        try {
            List<Integer> clusterPorts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                clusterPorts.add(TestNodes.freePort());
            }
            for (int i = 0; i < count; i++) {
                all.nodes.add(all.launch("node-" + i, clusterPorts.get(i), clusterPorts, shared));
            }
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
                for (GatehouseProcess n : all.nodes) {
                    if (!n.process.isAlive()) {
                        throw new IllegalStateException(n.name + " exited " + n.process.exitValue() + ":\n" + n.log());
                    }
                    String log = n.log();
                    Matcher l = LISTENER.matcher(log);
                    Matcher a = ADMIN.matcher(log);
                    if (!l.find() || !a.find()) {
                        return false;
                    }
                    n.listenerPort = Integer.parseInt(l.group(1));
                    n.adminPort = Integer.parseInt(a.group(1));
                }
                return true;
            });
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> all.nodes.stream()
                    .allMatch(n -> all.clusterSize(n) == count));
            return all;
        } catch (RuntimeException | Error e) {
            all.close();
            throw e;
        }
    }

    private GatehouseProcess launch(String name, int clusterPort, List<Integer> clusterPorts, String shared) {
        Path data = dir.resolve(name);
        String members = clusterPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(", "));
        String yaml = "data-dir: " + data + "\n"
                + "cluster: { name: proc-cache-" + clusterPorts.get(0) + ", host: 127.0.0.1, port: " + clusterPort
                + ", members: [" + members + "], secret-file: \"" + TestNodes.secretFile(data, TestNodes.SECRET)
                + "\" }\n"
                + "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]\n"
                + TestNodes.ADMIN_YAML
                + shared;
        try {
            Path file = dir.resolve(name + ".yaml");
            Files.writeString(file, yaml);
            return launchFile(name, file, dir.resolve(name + ".log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code Main run --config file} (output appended to {@code log}); does not wait for it. */
    static GatehouseProcess launchFile(String name, Path file, Path log) {
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"),
                    "dev.gatehouse.app.Main", "run", "--config", file.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            return new GatehouseProcess(name, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (at most 180 s: the machine may be loaded) until {@code n} logged its listener and admin ports after {@code logOffset}. */
    static void awaitReady(GatehouseProcess n, int logOffset) {
        try {
            awaitReady0(n, logOffset);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException(n.name + " not ready:\n" + n.log(), e);
        }
    }

    private static void awaitReady0(GatehouseProcess n, int logOffset) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!n.process.isAlive()) {
                throw new IllegalStateException(n.name + " exited " + n.process.exitValue() + ":\n" + n.log());
            }
            String log = n.log().substring(logOffset);
            Matcher l = LISTENER.matcher(log);
            Matcher a = ADMIN.matcher(log);
            if (!l.find() || !a.find() || !log.contains("gatehouse started")) {
                return false;
            }
            n.listenerPort = Integer.parseInt(l.group(1));
            n.adminPort = Integer.parseInt(a.group(1));
            return true;
        });
    }

    List<GatehouseProcess> nodes() {
        return nodes;
    }

    GatehouseProcess node(int i) {
        return nodes.get(i);
    }

    /** How many members {@code n} sees in its cluster. */
    int clusterSize(GatehouseProcess n) {
        return new JsonObject(adminGet(n, "/cluster").body()).getJsonArray("members").size();
    }

    static HttpResponse<String> adminGet(GatehouseProcess n, String path) {
        return TestNodes.send(HttpRequest.newBuilder(n.admin(path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN).build());
    }

    static HttpResponse<String> adminPost(GatehouseProcess n, String path, String json) {
        return TestNodes.send(HttpRequest.newBuilder(n.admin(path)).timeout(Duration.ofSeconds(40))
                .header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** Kills every node still running. */
    @Override
    public void close() {
        nodes.forEach(n -> n.process.destroyForcibly());
        for (GatehouseProcess n : nodes) {
            try {
                n.process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A node's log so far; "" when it has none yet (or it cannot be read while being written). */
    static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
