package dev.gatehouse.app;

import dev.gatehouse.app.GatehouseProcesses.GatehouseProcess;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The config file as a first-class source, on real node processes: SIGHUP and {@code gatehouse reload} re-read it
 * (an invalid file changes nothing), a file edited while the node was down wins at start while an unchanged one
 * leaves admin edits in force (said at WARN), and two nodes reloading one file make one version.
 */
class ConfigReloadProcessIT {

    @TempDir
    Path dir;
    Vertx vertx;
    HttpServer one;
    HttpServer two;
    final List<GatehouseProcess> started = new ArrayList<>();
    GatehouseProcesses cluster;

    @BeforeEach
    void backends() {
        vertx = Vertx.vertx();
        one = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
            if (req.path().startsWith("/slow/")) { // in flight across the reload
                vertx.setTimer(2500, id -> req.response().end("slow done"));
                return;
            }
            req.response().end("one");
        }).listen(0, "127.0.0.1"));
        two = TestNodes.backend(vertx, "two");
    }

    @AfterEach
    void stop() {
        started.forEach(GatehouseProcess::kill);
        if (cluster != null) {
            cluster.close();
        }
        TestNodes.await(vertx.close());
    }

    /** A standalone node's file: listener and admin on ephemeral ports, no readiness delay, then {@code shared}. */
    String nodeYaml(String name, String shared) {
        Path data = dir.resolve(name);
        int port = TestNodes.freePort();
        return "data-dir: " + data + "\n"
                + "cluster: { name: reload-" + port + ", host: 127.0.0.1, port: " + port + ", members: [127.0.0.1:"
                + port + "], secret-file: \"" + TestNodes.secretFile(data, TestNodes.SECRET) + "\" }\n"
                + "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]\n"
                + "shutdown: { readiness-delay: 0s, drain-timeout: 10s }\n"
                + TestNodes.ADMIN_YAML
                + shared;
    }

    String shared(String extraRoutes) {
        return "pools:\n"
                + "  - name: p\n    backends: [ { url: \"http://127.0.0.1:" + one.actualPort() + "\" } ]\n"
                + "  - name: q\n    backends: [ { url: \"http://127.0.0.1:" + two.actualPort() + "\" } ]\n"
                + "routes:\n" + extraRoutes
                + "  - { name: all, pool: p, match: { path-prefix: / } }\n";
    }

    static final String NEW_ROUTE = "  - { name: new, pool: q, match: { path-prefix: /new/ } }\n";

    GatehouseProcess start(String name, Path file) {
        Path log = dir.resolve(name + ".log");
        int offset = 0;
        try {
            offset = Files.exists(log) ? Files.readString(log).length() : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        GatehouseProcess n = GatehouseProcesses.launchFile(name, file, log);
        started.add(n);
        GatehouseProcesses.awaitReady(n, offset);
        return n;
    }

    static long version(GatehouseProcess n) {
        String etag = GatehouseProcesses.adminGet(n, "/config").headers().firstValue("ETag").orElseThrow();
        return Long.parseLong(etag.replace("\"", ""));
    }

    static JsonObject newestHistoryEntry(GatehouseProcess n) {
        JsonArray history = new JsonArray(GatehouseProcesses.adminGet(n, "/config/history").body());
        JsonObject newest = history.getJsonObject(0);
        for (int i = 1; i < history.size(); i++) {
            if (history.getJsonObject(i).getLong("version") > newest.getLong("version")) {
                newest = history.getJsonObject(i);
            }
        }
        return newest;
    }

    static String body(GatehouseProcess n, String path) {
        return GracefulShutdownProcessIT.get(n.url(path)).body();
    }

    /** {@code gatehouse reload} in this JVM: exit code, then everything it printed. */
    static String[] reload(Path file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = Main.run(new String[] {"reload", "--config", file.toString()}, ps, ps);
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8)};
    }

    static void stopGracefully(GatehouseProcess n) throws InterruptedException {
        n.process.destroy(); // SIGTERM
        assertThat(n.process.waitFor(60, TimeUnit.SECONDS)).as(n.log()).isTrue();
        assertThat(n.process.exitValue()).as(n.log()).isZero();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sighupAppliesAnEditedRouteWithoutDroppingARequestAndGatehouseReloadReportsEveryOutcome() throws Exception {
        Path file = dir.resolve("a.yaml");
        String head = nodeYaml("a", "");
        Files.writeString(file, head + shared(""));
        GatehouseProcess n = start("a", file);
        assertThat(body(n, "/new/x")).isEqualTo("one");
        long before = version(n);

        // Requests in flight across the reload, and a steady bounded stream of new ones: none may fail.
        CompletableFuture<HttpResponse<String>> inFlight = TestNodes.HTTP.sendAsync(
                HttpRequest.newBuilder(n.url("/slow/x")).version(java.net.http.HttpClient.Version.HTTP_1_1)
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger sent = new AtomicInteger();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!done.get() && sent.get() < 2000 && System.nanoTime() < until) {
                sent.incrementAndGet();
                try {
                    HttpResponse<String> r = GracefulShutdownProcessIT.get(n.url("/new/load"));
                    if (r.statusCode() != 200) {
                        failures.add(r.statusCode() + " " + r.body());
                    }
                } catch (RuntimeException e) {
                    failures.add(e.toString());
                }
            }
        });

        Files.writeString(file, head + shared(NEW_ROUTE));
        n.signal("HUP");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> body(n, "/new/x").equals("two"));
        done.set(true);
        load.get(40, TimeUnit.SECONDS);
        HttpResponse<String> slow = inFlight.get(20, TimeUnit.SECONDS);
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(slow.body()).isEqualTo("slow done");
        assertThat(failures).as("of " + sent.get() + " requests").isEmpty();
        assertThat(sent.get()).isPositive();
        assertThat(version(n)).isEqualTo(before + 1);
        JsonObject newest = newestHistoryEntry(n);
        assertThat(newest.getLong("version")).isEqualTo(before + 1);
        assertThat(newest.getString("author")).isEqualTo("file:" + file.toAbsolutePath().normalize());
        assertThat(n.log()).contains("SIGHUP received: reloading")
                .contains("reload: config version " + (before + 1) + " stored from " + file)
                .contains("file:" + file.toAbsolutePath().normalize() + " reload: version " + before + " -> "
                        + (before + 1));

        // An invalid file on SIGHUP: nothing changes, every problem at ERROR with its path, the node keeps serving.
        String valid = Files.readString(file);
        Files.writeString(file, valid.replace("pool: q", "pool: nope"));
        int logBefore = n.log().length();
        n.signal("HUP");
        await().atMost(Duration.ofSeconds(20)).until(() -> n.log().substring(logBefore).contains("refused"));
        assertThat(n.log().substring(logBefore)).containsPattern("ERROR .*reload of .* refused, nothing changed")
                .containsPattern("ERROR .*routes\\[0]\\.pool: unknown pool \"nope\"");
        assertThat(n.process.isAlive()).isTrue();
        assertThat(version(n)).isEqualTo(before + 1);
        assertThat(body(n, "/new/x")).isEqualTo("two");

        // gatehouse reload: an invalid file is refused before the node is signalled (exit 2, the path printed)...
        String[] invalid = reload(file);
        assertThat(invalid[0]).isEqualTo("2");
        assertThat(invalid[1]).contains("routes[0].pool: unknown pool \"nope\"");
        // ... an unchanged valid file: exit 0, nothing stored ...
        Files.writeString(file, valid);
        String[] unchanged = reload(file);
        assertThat(unchanged[0]).as(unchanged[1]).isEqualTo("0");
        assertThat(unchanged[1]).contains("config unchanged: version " + (before + 1));
        // ... a changed one: exit 0, stored ...
        Files.writeString(file, valid.replace("/new/", "/neu/"));
        String[] changed = reload(file);
        assertThat(changed[0]).as(changed[1]).isEqualTo("0");
        assertThat(changed[1]).contains("config version " + (before + 2) + " stored from");
        assertThat(body(n, "/neu/x")).isEqualTo("two");
        // ... a listener that cannot bind: exit 1, the error printed, the old listener still serving.
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Files.writeString(file, valid.replace("/new/", "/neu/").replace(
                    "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]",
                    "listeners: [ { name: public, host: 127.0.0.1, port: " + taken.getLocalPort() + " } ]"));
            String[] failed = reload(file);
            assertThat(failed[0]).as(failed[1]).isEqualTo("1");
            assertThat(failed[1]).contains("listener public: address 127.0.0.1:" + n.listenerPort + " -> 127.0.0.1:"
                    + taken.getLocalPort() + " failed");
            assertThat(body(n, "/neu/x")).isEqualTo("two");
        }
        // No node runs with this data-dir: exit 1.
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, nodeYaml("nobody", shared("")));
        String[] none = reload(other);
        assertThat(none[0]).isEqualTo("1");
        assertThat(none[1]).contains("no running node found");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void atStartAChangedFileWinsAndAnUnchangedOneLeavesTheAdminEditInForceAtWarn() throws Exception {
        Path file = dir.resolve("b.yaml");
        String yaml = nodeYaml("b", shared(""));
        Files.writeString(file, yaml);
        GatehouseProcess n = start("b", file);
        long first = version(n);
        HttpResponse<String> edit = TestNodes.send(HttpRequest.newBuilder(n.admin("/pools/p"))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + TestNodes.WRITE_TOKEN)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"p\",\"backends\":[{\"url\":\"http://127.0.0.1:"
                        + two.actualPort() + "\"}]}")).build());
        assertThat(edit.statusCode()).as(edit.body()).isEqualTo(200);
        assertThat(body(n, "/x")).isEqualTo("two");
        stopGracefully(n);

        // The same file: the admin edit stays, and the log says so at WARN naming both versions.
        int offset = n.log().length();
        GatehouseProcess again = start("b", file);
        assertThat(version(again)).isEqualTo(first + 1);
        assertThat(body(again, "/x")).isEqualTo("two");
        assertThat(again.log().substring(offset)).containsPattern("WARN .*" + java.util.regex.Pattern.quote(
                file + " is unchanged since it was applied as version " + first + ", and the stored config version "
                        + (first + 1) + " by it is newer and differs: version " + (first + 1) + " stays in force"));
        stopGracefully(again);

        // The file edited while the node was down: it becomes the next version, audited as coming from the file.
        Files.writeString(file, yaml.replace("match: { path-prefix: / } }",
                "match: { path-prefix: / }, retries: { attempts: 3 } }"));
        int offset2 = again.log().length();
        GatehouseProcess edited = start("b", file);
        assertThat(version(edited)).isEqualTo(first + 2);
        assertThat(body(edited, "/x")).isEqualTo("one");
        assertThat(newestHistoryEntry(edited).getString("author"))
                .isEqualTo("file:" + file.toAbsolutePath().normalize());
        assertThat(edited.log().substring(offset2)).containsPattern("INFO .*config version " + (first + 2) + " from "
                + java.util.regex.Pattern.quote(file.toString()) + ": its pools/routes/cache changed since this node"
                + " last applied it");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void twoNodesReloadingTheSameFileMakeOneVersion() throws Exception {
        cluster = GatehouseProcesses.start(dir, 2, shared(""));
        GatehouseProcess a = cluster.node(0);
        GatehouseProcess b = cluster.node(1);
        long before = version(a);
        for (GatehouseProcess n : cluster.nodes()) {
            Path file = dir.resolve(n.name + ".yaml");
            Files.writeString(file, Files.readString(file).replace("routes:\n", "routes:\n" + NEW_ROUTE));
        }
        long sent = System.currentTimeMillis();
        a.signal("HUP");
        b.signal("HUP");
        for (GatehouseProcess n : cluster.nodes()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                ControlFiles.Status s = ControlFiles.readStatus(dir.resolve(n.name));
                return s != null && s.startedAt() >= sent;
            });
            assertThat(ControlFiles.readStatus(dir.resolve(n.name)).ok()).isTrue();
        }
        for (GatehouseProcess n : cluster.nodes()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> body(n, "/new/x").equals("two"));
            assertThat(version(n)).isEqualTo(before + 1);
        }
        List<String> outcomes = new ArrayList<>();
        for (GatehouseProcess n : cluster.nodes()) {
            outcomes.add(ControlFiles.readStatus(dir.resolve(n.name)).lines().get(0));
        }
        assertThat(outcomes).anyMatch(l -> l.startsWith("config version " + (before + 1) + " stored from"))
                .anyMatch(l -> l.equals("config unchanged: version " + (before + 1)
                        + " already holds the file's pools/routes/cache"));
    }
}
