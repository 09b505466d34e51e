package dev.gatehouse.app;

import dev.gatehouse.admin.BackendStatus;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.proxy.balance.BackendState;
import dev.gatehouse.proxy.route.ProxyRuntime;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code GET /api/v1/health} reports from the runtime: the checked state and what traffic showed. */
class HealthViewTest {

    private static final String CONFIG = """
            listeners: [ { name: public, port: 8080 } ]
            pools:
              - name: checked
                backends: [ { url: "http://127.0.0.1:9001" } ]
                health-check: { path: /health, interval: 1s }
              - name: passive
                backends: [ { url: "http://127.0.0.1:9002" }, { url: "http://127.0.0.1:9003" },
                            { url: "http://127.0.0.1:9004" } ]
                outlier-detection: { consecutive-failures: 2, base-ejection: 1m }
              - name: small
                backends: [ { url: "http://127.0.0.1:9005" } ]
                circuit-breaker: { max-requests: 2 }
            routes: [ { name: r, pool: passive } ]
            """;

    private static BackendStatus find(List<BackendStatus> all, String pool, String backend) {
        return all.stream().filter(b -> b.pool().equals(pool) && b.backend().equals(backend)).findFirst().orElseThrow();
    }

    @Test
    void passivePoolsSayWhatTrafficShowed() {
        ProxyRuntime runtime = new ProxyRuntime(ConfigParser.parse(CONFIG).shared(), 1);
        BackendState serving = runtime.backendState("passive", "127.0.0.1:9002");
        serving.passive().success();
        serving.passive().failure("status 502");
        serving.passive().success();
        serving.passive().roll();
        BackendState ejected = runtime.backendState("passive", "127.0.0.1:9004");
        ejected.passive().failure("connect failed");
        ejected.eject(System.currentTimeMillis() + 60_000, "2 consecutive failures, last: connect failed");

        List<BackendStatus> all = new HealthView(runtime, "node-1").backends().result();

        BackendStatus checked = find(all, "checked", "127.0.0.1:9001");
        assertThat(checked.checks()).isEqualTo("active");
        assertThat(checked.state()).isEqualTo("unknown");
        assertThat(checked.passive().state()).isEqualTo("no-traffic");

        BackendStatus s = find(all, "passive", "127.0.0.1:9002");
        assertThat(s.checks()).isEqualTo("passive");
        assertThat(s.state()).as("the existing field is unchanged").isEqualTo("unknown");
        assertThat(s.passive().state()).isEqualTo("serving");
        assertThat(s.passive().lastSuccess()).isNotNull();
        assertThat(s.passive().lastFailure()).isNotNull();
        assertThat(s.passive().lastFailureCause()).isEqualTo("status 502");
        assertThat(s.passive().recentRequests()).isEqualTo(3);
        assertThat(s.passive().recentFailures()).isEqualTo(1);
        assertThat(s.passive().windowSeconds()).isEqualTo(60);
        assertThat(s.passive().ejectedUntil()).isNull();

        BackendStatus none = find(all, "passive", "127.0.0.1:9003");
        assertThat(none.passive().state()).isEqualTo("no-traffic");
        assertThat(none.passive().lastSuccess()).isNull();
        assertThat(none.passive().windowSeconds()).as("never rolled").isZero();

        BackendStatus e = find(all, "passive", "127.0.0.1:9004");
        assertThat(e.state()).isEqualTo("ejected");
        assertThat(e.passive().state()).isEqualTo("ejected");
        assertThat(e.passive().ejectedUntil()).isAfter(java.time.Instant.now());
        assertThat(e.passive().ejections()).isEqualTo(1);
        assertThat(e.cause()).contains("connect failed");
    }

    @Test
    void aBackendAtItsRequestLimitSaysSo() {
        ProxyRuntime runtime = new ProxyRuntime(ConfigParser.parse(CONFIG).shared(), 1);
        runtime.backendState("small", "127.0.0.1:9005").passive().success();
        var backend = runtime.current().pools().get("small").backends.get(0);
        backend.requestStarted();
        assertThat(find(new HealthView(runtime, "n").backends().result(), "small", "127.0.0.1:9005").passive().state())
                .isEqualTo("serving");
        backend.requestStarted();
        BackendStatus full = find(new HealthView(runtime, "n").backends().result(), "small", "127.0.0.1:9005");
        assertThat(full.activeRequests()).isEqualTo(2);
        assertThat(full.passive().state()).isEqualTo("at-limit");
        backend.requestEnded();
        assertThat(find(new HealthView(runtime, "n").backends().result(), "small", "127.0.0.1:9005").passive().state())
                .isEqualTo("serving");
    }
}
