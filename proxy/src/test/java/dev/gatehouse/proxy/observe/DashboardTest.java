package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.route.ProxyRuntime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped Grafana dashboard asks only for series a node serves: every metric name in every PromQL expression is
 * rendered by a registry holding every {@link ProxyMetrics} meter (each one used) and the JVM binders the app binds.
 */
class DashboardTest {

    private static final Path EXAMPLES = Path.of("..", "config", "examples");
    private static final Pattern METRIC = Pattern.compile("\\b((?:gatehouse|jvm|process)_[a-z_]+)\\b");

    /** Every sample name the registry renders once every meter has been used. */
    static Set<String> servedNames() throws Exception {
        GatehouseConfig config = ConfigParser.parse("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes: [ { name: a, pool: web } ]
                """);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
        ProxyMetrics metrics = new ProxyMetrics(registry, runtime, ProxyMetrics.Settings.DEFAULT);
        ListenerSettings listener = ListenerSettings.of(config.listeners().get(0), false);
        metrics.requestStarted(listener);
        metrics.upstreamAttempt("a", runtime.current().pools().get("web").backends.get(0), true);
        metrics.completed(ProxyMetricsTest.record("a", "web", 200, 3, 1));
        metrics.completed(ProxyMetricsTest.record("a", "web", 429, 1, 0));
        metrics.completed(ProxyMetricsTest.record("a", "web", 401, 1, 0));
        metrics.connectionOpened("public");
        metrics.tlsHandshake("public", "TLSv1.3");
        metrics.tlsHandshakeFailed("public");
        metrics.bindClusterMembers(() -> 1);
        metrics.completed(ProxyMetricsTest.cached("a", "HIT"));
        metrics.cacheStore("a", true, 10);
        metrics.cacheCollapsed("a");
        metrics.cacheInvalidated("a", 1);
        metrics.cachePurged("tag", 1_000_000);
        metrics.bindCacheFigures(CacheFigures.NONE);
        try (AccessLog log = new AccessLog(java.io.OutputStream.nullOutputStream(), "null", true, 1.0, 16)) {
            metrics.bindAccessLog(log);
            // jvm_gc_pause appears with the first collection the binder is told about.
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                System.gc();
                return registry.find("jvm.gc.pause").timer() != null;
            });
            Set<String> names = new TreeSet<>();
            for (String line : registry.scrape().split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    names.add(line.split("[{ ]", 2)[0]);
                }
            }
            return names;
        } finally {
            gc.close();
        }
    }

    @Test
    void everyQueryUsesServedMetricNames() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(EXAMPLES.resolve("grafana-dashboard.json")));
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        dashboard.findValues("definition").forEach(d -> exprs.add(d.asText()));
        Set<String> served = servedNames();

        assertThat(exprs).hasSizeGreaterThan(25);
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        assertThat(used).contains("gatehouse_requests_total", "gatehouse_request_duration_seconds_bucket",
                "gatehouse_backend_healthy", "gatehouse_upstream_retries_total", "gatehouse_cluster_members",
                "gatehouse_config_version", "gatehouse_tls_handshakes_total", "jvm_memory_used_bytes");
        assertThat(used).contains("gatehouse_cache_lookups_total", "gatehouse_cache_stores_total",
                "gatehouse_cache_stored_bytes_total", "gatehouse_cache_collapsed_total",
                "gatehouse_cache_purge_seconds_bucket", "gatehouse_cache_entries", "gatehouse_cache_bytes");
        assertThat(served).containsAll(used);
    }

    @Test
    void everyPanelHasAQueryAndAUniqueId() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(EXAMPLES.resolve("grafana-dashboard.json")));
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("id %s", panel.get("id")).isTrue();
            if (!panel.get("type").asText().equals("row")) {
                assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            }
        }
        assertThat(dashboard.get("uid").asText()).isEqualTo("gatehouse-overview");
    }

    @Test
    void thePrometheusExampleScrapesTheAdminMetricsPath() throws IOException {
        String yaml = Files.readString(EXAMPLES.resolve("prometheus.yml"));

        assertThat(yaml).contains("metrics_path: /metrics", "job_name: gatehouse", "type: Bearer");
    }
}
