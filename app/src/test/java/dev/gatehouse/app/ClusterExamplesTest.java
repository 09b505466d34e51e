package dev.gatehouse.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.hazelcast.config.Config;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.Durations;
import dev.gatehouse.config.GatehouseConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code deploy/cluster} (three nodes on three hosts, their systemd unit, HAProxy and nginx in front) and
 * {@code deploy/client}: the node files pass the checks of {@code gatehouse validate}, and the other files agree with
 * them (addresses, ports, timings).
 */
class ClusterExamplesTest {

    private static final Path CLUSTER = Path.of("../deploy/cluster");
    private static final List<String> NODES = List.of("node-a.yaml", "node-b.yaml", "node-c.yaml");

    @TempDir
    Path dir;

    private static GatehouseConfig node(String file) {
        return ConfigParser.readFile(CLUSTER.resolve(file));
    }

    private static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code gatehouse validate}: the file's rules, then every file it names (here the secret, put in a temp dir). */
    private void validateAsTheCommandDoes(Path file) {
        Path secret = TestNodes.secretFile(dir.resolve(file.getFileName().toString()), TestNodes.SECRET);
        String yaml = text(file).replace("/etc/gatehouse/cluster.secret", secret.toString());
        Node.checkFiles(ConfigParser.parse(yaml));
    }

    @ParameterizedTest
    @ValueSource(strings = {"node-a.yaml", "node-b.yaml", "node-c.yaml"})
    void eachNodeFileValidates(String file) {
        GatehouseConfig c = node(file);

        validateAsTheCommandDoes(CLUSTER.resolve(file));
        assertThat(c.cluster().members()).contains(c.cluster().host() + ":" + c.cluster().port());
        assertThat(c.admin().host()).as("admin on the host's own address, not every one").isEqualTo(c.cluster().host());
        assertThat(c.cluster().secretFile()).isEqualTo("/etc/gatehouse/cluster.secret");
        Config hz = ClusterMembership.memberConfig(c.cluster());
        assertThat(hz.getAdvancedNetworkConfig().getJoin().getTcpIpConfig().getMembers())
                .containsExactlyElementsOf(c.cluster().members());
    }

    @Test
    void theThreeNodesDifferOnlyInTheirOwnAddress() {
        GatehouseConfig a = node("node-a.yaml");
        List<String> hosts = new ArrayList<>();
        for (String file : NODES) {
            GatehouseConfig c = node(file);
            hosts.add(c.cluster().host());
            assertThat(c.cluster().name()).isEqualTo(a.cluster().name());
            assertThat(c.cluster().members()).isEqualTo(a.cluster().members());
            assertThat(c.shared()).isEqualTo(a.shared());
            assertThat(c.listeners()).isEqualTo(a.listeners());
            List<String> lines = text(CLUSTER.resolve(file)).lines().toList();
            List<String> linesOfA = text(CLUSTER.resolve("node-a.yaml")).lines().toList();
            assertThat(lines).hasSameSizeAs(linesOfA);
            for (int i = 1; i < lines.size(); i++) { // the first line names the node
                if (!lines.get(i).equals(linesOfA.get(i))) {
                    assertThat(lines.get(i)).as("%s line %d", file, i + 1).contains("# this host")
                            .isEqualTo(linesOfA.get(i).replace(a.cluster().host(), c.cluster().host()));
                }
            }
        }
        assertThat(hosts.stream().map(h -> h + ":" + a.cluster().port()).toList())
                .containsExactlyElementsOf(a.cluster().members());
    }

    @Test
    void haproxyFollowsReadyzOnEveryNodeFastEnough() {
        GatehouseConfig a = node("node-a.yaml");
        String cfg = text(CLUSTER.resolve("haproxy.cfg"));
        List<String> servers = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*server \\S+ (\\S+)").matcher(cfg);
        while (m.find()) {
            servers.add(m.group(1));
        }
        List<String> expected = NODES.stream().map(f -> node(f).cluster().host() + ":" + a.listeners().get(0).port())
                .toList();

        assertThat(servers).containsExactlyElementsOf(expected);
        assertThat(cfg).contains("http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1");
        Matcher d = Pattern.compile("default-server check port (\\d+) inter (\\d+)s fall (\\d+)").matcher(cfg);
        assertThat(d.find()).isTrue();
        assertThat(Integer.parseInt(d.group(1))).isEqualTo(a.admin().port());
        long noticed = Long.parseLong(d.group(2)) * Long.parseLong(d.group(3));
        assertThat(Duration.ofSeconds(noticed)).as("inter x fall < readiness-delay")
                .isLessThan(a.shutdown().readinessDelay());
        assertThat(cfg).doesNotContain("shutdown-sessions"); // would cut requests in flight when /readyz fails
    }

    @Test
    void nginxSpreadsOverEveryNode() {
        GatehouseConfig a = node("node-a.yaml");
        String cfg = text(CLUSTER.resolve("nginx.conf"));
        List<String> servers = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*server (\\d\\S+:\\d+)").matcher(cfg);
        while (m.find()) {
            servers.add(m.group(1));
        }

        assertThat(servers).containsExactlyElementsOf(NODES.stream()
                .map(f -> node(f).cluster().host() + ":" + a.listeners().get(0).port()).toList());
    }

    @Test
    void systemdWaitsForTheWholeLeaveAndReloadsWithSighup() {
        GatehouseConfig a = node("node-a.yaml");
        String unit = text(CLUSTER.resolve("gatehouse.service"));
        Matcher t = Pattern.compile("(?m)^TimeoutStopSec=(\\S+)$").matcher(unit);

        assertThat(t.find()).isTrue();
        Duration stop = Durations.parse(t.group(1));
        assertThat(stop).as("TimeoutStopSec > readiness-delay + drain-timeout + 10s to leave the cluster")
                .isGreaterThan(a.shutdown().readinessDelay().plus(a.shutdown().drainTimeout()).plusSeconds(10));
        assertThat(unit).contains("ExecReload=/bin/kill -HUP $MAINPID", "KillSignal=SIGTERM",
                "RestartPreventExitStatus=2");
        assertThat(unit).containsPattern("(?m)^ExecStart=/usr/bin/java .*-jar /opt/gatehouse/gatehouse.jar run"
                + " --config "
                + "/etc/gatehouse/gatehouse.yaml$");
        assertThat(unit).containsPattern("(?m)^ReadWritePaths=" + a.dataDir() + "$");
    }

    @Test
    void theClientFileJoinsAnExistingClusterAsAClient() {
        Path file = Path.of("../deploy/client/client.yaml");
        GatehouseConfig c = ConfigParser.readFile(file);

        validateAsTheCommandDoes(file);
        assertThat(ClusterMembership.clientMode(c.cluster())).isTrue();
        assertThat(c.cluster().client().addresses()).hasSize(3);
        assertThat(c.cluster().client().clusterName()).isEqualTo("platform");
        assertThat(c.cluster().members()).isEmpty();
    }

    /** Where HAProxy and nginx are installed, they accept the files too (the CI machine may lack them). */
    @Test
    void haproxyAndNginxAcceptTheirFiles() throws Exception {
        Path haproxy = installed("haproxy");
        Path nginx = installed("nginx");
        assumeThat(haproxy != null || nginx != null).as("haproxy or nginx installed").isTrue();
        if (haproxy != null) {
            assertThat(run(haproxy.toString(), "-c", "-f", CLUSTER.resolve("haproxy.cfg").toString())).isZero();
        }
        if (nginx != null) {
            Path prefix = Files.createDirectories(dir.resolve("nginx/logs")).getParent();
            assertThat(run(nginx.toString(), "-t", "-p", prefix.toString(), "-c",
                    CLUSTER.resolve("nginx.conf").toAbsolutePath().toString(),
                    "-g", "pid " + prefix.resolve("nginx.pid") + "; error_log " + prefix.resolve("error.log") + ";"))
                    .isZero();
        }
    }

    /** The command on PATH or in /usr/sbin (where Debian puts both), null when absent. */
    private static Path installed(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/sbin");
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return Path.of(d, command);
            }
        }
        return null;
    }

    private int run(String... command) throws Exception {
        Path out = dir.resolve(Path.of(command[0]).getFileName() + ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command[0] + " did not finish");
        }
        if (p.exitValue() != 0) {
            System.err.println(Files.readString(out));
        }
        return p.exitValue();
    }
}
