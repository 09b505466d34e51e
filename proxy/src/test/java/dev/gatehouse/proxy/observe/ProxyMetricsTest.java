package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.PrometheusText;
import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link ProxyMetrics} rendered by the Prometheus registry and read back as data. */
class ProxyMetricsTest {

    private static final String CONFIG = """
            listeners: [ { name: public, port: 8080 } ]
            pools:
              - { name: web, backends: [ { url: "http://127.0.0.1:9001" }, { url: "http://127.0.0.1:9002" } ] }
              - { name: api, backends: [ { url: "http://127.0.0.1:9003" } ] }
            routes:
              - { name: a, pool: web, match: { path-prefix: /a/ } }
              - { name: b, pool: api }
            """;

    private PrometheusMeterRegistry registry;
    private ProxyRuntime runtime;
    private ProxyMetrics metrics;
    private ListenerSettings listener;

    @BeforeEach
    void setUp() {
        GatehouseConfig config = ConfigParser.parse(CONFIG);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        runtime = new ProxyRuntime(config.shared(), 1);
        metrics = new ProxyMetrics(registry, runtime, ProxyMetrics.Settings.DEFAULT);
        listener = ListenerSettings.of(config.listeners().get(0), false);
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(registry.scrape());
    }

    static ExchangeRecord record(String route, String pool, int status, long millis, int attempts) {
        return new ExchangeRecord(System.currentTimeMillis(), millis * 1_000_000, "public", "rid", "192.0.2.7", "GET",
                "/a/users/42?token=secret", "HTTP/1.1", route, pool, attempts == 0 ? null : "127.0.0.1:9001", status,
                10, 100, attempts, null, "curl", null);
    }

    private void send(int n, String route, String pool, int status, long millis) {
        for (int i = 0; i < n; i++) {
            metrics.requestStarted(listener);
            metrics.completed(record(route, pool, status, millis, route == null ? 0 : 1));
        }
    }

    @Test
    void countsRequestsByRoutePoolAndStatusClass() {
        send(7, "a", "web", 200, 3);
        send(3, "b", "api", 404, 30);
        send(2, "b", "api", 502, 700);
        send(1, null, null, 404, 1);

        PrometheusText p = scrape();

        assertThat(p.types).containsEntry("gatehouse_requests_total", "counter")
                .containsEntry("gatehouse_request_duration_seconds", "histogram");
        assertThat(p.value("gatehouse_requests_total", "route", "a", "pool", "web", "status_class", "2xx")).isEqualTo(7);
        assertThat(p.value("gatehouse_requests_total", "route", "b", "pool", "api", "status_class", "4xx")).isEqualTo(3);
        assertThat(p.value("gatehouse_requests_total", "route", "b", "pool", "api", "status_class", "5xx")).isEqualTo(2);
        assertThat(p.value("gatehouse_requests_total", "route", "none", "pool", "none", "status_class", "4xx"))
                .isEqualTo(1);
        assertThat(p.sum("gatehouse_requests_total")).isEqualTo(13);
        assertThat(p.value("gatehouse_request_duration_seconds_count", "route", "b", "status_class", "5xx"))
                .isEqualTo(2);
        assertThat(p.value("gatehouse_request_duration_seconds_sum", "route", "b", "status_class", "5xx"))
                .isCloseTo(1.4, within(1e-6));
        assertThat(p.value("gatehouse_listener_requests_total", "listener", "public")).isEqualTo(13);
        assertThat(p.value("gatehouse_listener_requests_active", "listener", "public")).isZero();
        assertThat(p.value("gatehouse_request_body_bytes_total", "route", "a")).isEqualTo(70);
        assertThat(p.value("gatehouse_response_body_bytes_total", "route", "a")).isEqualTo(700);
    }

    @Test
    void latencyFallsIntoTheSloBuckets() {
        send(4, "a", "web", 200, 3);
        send(1, "a", "web", 200, 40);
        send(1, "a", "web", 200, 20_000);

        PrometheusText p = scrape();

        List<PrometheusText.Sample> buckets = p.find("gatehouse_request_duration_seconds_bucket", "route", "a");
        assertThat(buckets).extracting(s -> s.labels().get("le")).containsExactly("0.005", "0.01", "0.025", "0.05",
                "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf");
        assertThat(p.value("gatehouse_request_duration_seconds_bucket", "route", "a", "le", "0.005")).isEqualTo(4);
        assertThat(p.value("gatehouse_request_duration_seconds_bucket", "route", "a", "le", "0.05")).isEqualTo(5);
        assertThat(p.value("gatehouse_request_duration_seconds_bucket", "route", "a", "le", "10.0")).isEqualTo(5);
        assertThat(p.value("gatehouse_request_duration_seconds_bucket", "route", "a", "le", "+Inf")).isEqualTo(6);
    }

    @Test
    void labelsNeverCarryPathsOrClientAddresses() {
        send(3, "a", "web", 200, 3);
        send(1, null, null, 404, 1);
        metrics.upstreamAttempt("a", backend("web", 0), true);

        for (PrometheusText.Sample s : scrape().samples) {
            for (Map.Entry<String, String> l : s.labels().entrySet()) {
                assertThat(l.getValue()).as(s.toString()).doesNotContain("/a/users", "192.0.2.7", "secret");
            }
            assertThat(s.labels().keySet()).as(s.toString()).doesNotContain("path", "client", "uri");
        }
    }

    @Test
    void percentilesArePublishedWhenConfigured() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new ProxyMetrics(registry, runtime, new ProxyMetrics.Settings(
                List.of(Duration.ofMillis(10), Duration.ofMillis(100)), List.of(0.5, 0.99)));
        send(10, "a", "web", 200, 5);

        PrometheusText p = scrape();

        assertThat(p.find("gatehouse_request_duration_seconds_bucket", "route", "a"))
                .extracting(s -> s.labels().get("le")).containsExactly("0.01", "0.1", "+Inf");
        assertThat(p.types).containsEntry("gatehouse_request_quantiles_seconds", "summary");
        assertThat(p.value("gatehouse_request_quantiles_seconds", "route", "a", "quantile", "0.99"))
                .isCloseTo(0.005, within(0.001));
        assertThat(p.value("gatehouse_request_quantiles_seconds", "route", "a", "quantile", "0.5"))
                .isCloseTo(0.005, within(0.001));
        assertThat(p.value("gatehouse_request_quantiles_seconds_count", "route", "a")).isEqualTo(10);
    }

    @Test
    void countsUpstreamAttemptsAndRetriesByBackend() {
        Backend first = backend("web", 0);
        Backend second = backend("web", 1);
        metrics.upstreamAttempt("a", first, false);
        metrics.upstreamAttempt("a", second, true);
        metrics.upstreamAttempt("a", first, false);

        PrometheusText p = scrape();

        assertThat(p.value("gatehouse_upstream_attempts_total", "pool", "web", "backend", "127.0.0.1:9001"))
                .isEqualTo(2);
        assertThat(p.value("gatehouse_upstream_attempts_total", "pool", "web", "backend", "127.0.0.1:9002"))
                .isEqualTo(1);
        assertThat(p.value("gatehouse_upstream_retries_total", "pool", "web", "backend", "127.0.0.1:9002"))
                .isEqualTo(1);
        assertThat(p.value("gatehouse_upstream_retries_total", "pool", "web", "backend", "127.0.0.1:9001")).isZero();
    }

    @Test
    void backendHealthFollowsStateAndConfig() {
        PrometheusText before = scrape();
        assertThat(before.value("gatehouse_backend_healthy", "pool", "web", "backend", "127.0.0.1:9002")).isEqualTo(1);
        assertThat(before.value("gatehouse_backend_state", "pool", "web", "backend", "127.0.0.1:9002",
                "state", "unknown")).isEqualTo(1);
        assertThat(before.value("gatehouse_pool_backends", "pool", "web", "state", "unknown")).isEqualTo(2);

        runtime.backendState("web", "127.0.0.1:9002").setDraining(true, "test");
        PrometheusText drained = scrape();
        assertThat(drained.value("gatehouse_backend_healthy", "pool", "web", "backend", "127.0.0.1:9002")).isZero();
        assertThat(drained.value("gatehouse_backend_state", "pool", "web", "backend", "127.0.0.1:9002",
                "state", "draining")).isEqualTo(1);
        assertThat(drained.value("gatehouse_backend_state", "pool", "web", "backend", "127.0.0.1:9002",
                "state", "unknown")).isZero();
        assertThat(drained.value("gatehouse_pool_backends", "pool", "web", "state", "draining")).isEqualTo(1);

        // Version 2 drops backend 9002 and route b: their series go with them.
        metrics.upstreamAttempt("a", backend("web", 1), false);
        send(1, "b", "api", 200, 1);
        runtime.apply(ConfigParser.parse(CONFIG.replace(", { url: \"http://127.0.0.1:9002\" }", "")
                .replace("  - { name: b, pool: api }\n", "")).shared(), 2);
        PrometheusText after = scrape();
        assertThat(after.find("gatehouse_backend_healthy", "backend", "127.0.0.1:9002")).isEmpty();
        assertThat(after.find("gatehouse_upstream_attempts_total", "backend", "127.0.0.1:9002")).isEmpty();
        assertThat(after.find("gatehouse_requests_total", "route", "b")).isEmpty();
        assertThat(after.value("gatehouse_backend_healthy", "pool", "web", "backend", "127.0.0.1:9001")).isEqualTo(1);
        assertThat(after.value("gatehouse_config_version")).isEqualTo(2);
    }

    @Test
    void rejectionsByTheProxyItselfAreCountedByKind() {
        metrics.completed(record("a", "web", 429, 1, 0));
        metrics.completed(record("a", "web", 429, 1, 0));
        metrics.completed(record("a", "web", 401, 1, 0));
        metrics.completed(record("a", "web", 403, 1, 0));
        // A backend's own 403 is not a proxy rejection.
        metrics.completed(record("a", "web", 403, 1, 1));

        PrometheusText p = scrape();

        assertThat(p.value("gatehouse_rate_limited_total", "route", "a")).isEqualTo(2);
        assertThat(p.value("gatehouse_auth_rejected_total", "route", "a")).isEqualTo(2);
    }

    @Test
    void countsConnectionsAndTlsHandshakes() {
        metrics.connectionOpened("public");
        metrics.connectionOpened("public");
        metrics.connectionClosed("public");
        metrics.tlsHandshake("public", "TLSv1.3");
        metrics.tlsHandshake("public", "TLSv1.3");
        metrics.tlsHandshake("public", "SSLv3-or-garbage-from-a-client");
        metrics.tlsHandshakeFailed("public");

        PrometheusText p = scrape();

        assertThat(p.value("gatehouse_connections_accepted_total", "listener", "public")).isEqualTo(2);
        assertThat(p.value("gatehouse_connections_active", "listener", "public")).isEqualTo(1);
        assertThat(p.value("gatehouse_tls_handshakes_total", "listener", "public", "protocol", "TLSv1.3")).isEqualTo(2);
        assertThat(p.value("gatehouse_tls_handshakes_total", "listener", "public", "protocol", "other")).isEqualTo(1);
        assertThat(p.value("gatehouse_tls_handshake_failures_total", "listener", "public")).isEqualTo(1);
    }

    static ExchangeRecord cached(String route, String word) {
        return new ExchangeRecord(System.currentTimeMillis(), 1_000_000, "public", "rid", "192.0.2.7", "GET", "/a/x",
                "HTTP/1.1", route, "web", null, 200, 0, 100, 0, null, "curl", null, word);
    }

    @Test
    void noCacheSeriesWithoutCaching() {
        send(3, "a", "web", 200, 3);

        assertThat(registry.scrape()).doesNotContain("gatehouse_cache");
    }

    @Test
    void countsCacheLookupsByTheXCacheWord() {
        for (String word : List.of("HIT", "HIT", "HIT", "MISS", "STALE", "UPDATING", "REVALIDATED", "EXPIRED",
                "BYPASS", "MISS")) {
            metrics.completed(cached("a", word));
        }
        metrics.completed(cached("b", "HIT"));
        send(5, "a", "web", 200, 3); // no cache word: not a lookup

        PrometheusText p = scrape();

        assertThat(p.types).containsEntry("gatehouse_cache_lookups_total", "counter");
        assertThat(p.value("gatehouse_cache_lookups_total", "route", "a", "result", "hit")).isEqualTo(3);
        assertThat(p.value("gatehouse_cache_lookups_total", "route", "a", "result", "miss")).isEqualTo(2);
        for (String result : List.of("stale", "updating", "revalidated", "expired", "bypass")) {
            assertThat(p.value("gatehouse_cache_lookups_total", "route", "a", "result", result)).as(result)
                    .isEqualTo(1);
        }
        assertThat(p.find("gatehouse_cache_lookups_total", "route", "a")).extracting(s -> s.labels().keySet())
                .allSatisfy(labels -> assertThat(labels).containsExactlyInAnyOrder("route", "result"));
        assertThat(p.sum("gatehouse_cache_lookups_total", "route", "a")).isEqualTo(10);
        assertThat(p.value("gatehouse_cache_lookups_total", "route", "b", "result", "hit")).isEqualTo(1);
        assertThat(p.value("gatehouse_cache_lookups_total", "route", "b", "result", "miss"))
                .as("every result is a series from the start").isZero();
        assertThat(p.value("gatehouse_requests_total", "route", "a", "status_class", "2xx")).isEqualTo(15);
    }

    @Test
    void anUnknownCacheWordIsNotALabel() {
        metrics.completed(cached("a", "<script>"));

        assertThat(scrape().sum("gatehouse_cache_lookups_total")).isZero();
        assertThat(registry.scrape()).doesNotContain("script");
    }

    @Test
    void countsStoresBytesCollapsedAndInvalidations() {
        metrics.cacheStore("a", true, 1000);
        metrics.cacheStore("a", true, 24);
        metrics.cacheStore("a", false, 0);
        metrics.cacheCollapsed("a");
        metrics.cacheCollapsed("a");
        metrics.cacheCollapsed("a");
        metrics.cacheInvalidated("a", 3);
        metrics.cacheInvalidated("a", 0);

        PrometheusText p = scrape();

        assertThat(p.value("gatehouse_cache_stores_total", "route", "a", "result", "stored")).isEqualTo(2);
        assertThat(p.value("gatehouse_cache_stores_total", "route", "a", "result", "refused")).isEqualTo(1);
        assertThat(p.types).containsEntry("gatehouse_cache_stored_bytes_total", "counter");
        assertThat(p.value("gatehouse_cache_stored_bytes_total", "route", "a")).isEqualTo(1024);
        assertThat(p.value("gatehouse_cache_collapsed_total", "route", "a")).isEqualTo(3);
        assertThat(p.value("gatehouse_cache_invalidations_total", "route", "a")).isEqualTo(3);
    }

    @Test
    void purgesAreAHistogramByKind() {
        metrics.cachePurged("tag", 3_000_000);
        metrics.cachePurged("tag", 40_000_000);
        metrics.cachePurged("key", 500_000);

        PrometheusText p = scrape();

        assertThat(p.types).containsEntry("gatehouse_cache_purge_seconds", "histogram");
        assertThat(p.value("gatehouse_cache_purge_seconds_count", "kind", "tag")).isEqualTo(2);
        assertThat(p.value("gatehouse_cache_purge_seconds_sum", "kind", "tag")).isCloseTo(0.043, within(1e-9));
        assertThat(p.value("gatehouse_cache_purge_seconds_bucket", "kind", "tag", "le", "0.005")).isEqualTo(1);
        assertThat(p.value("gatehouse_cache_purge_seconds_bucket", "kind", "tag", "le", "0.05")).isEqualTo(2);
        assertThat(p.value("gatehouse_cache_purge_seconds_bucket", "kind", "key", "le", "0.001")).isEqualTo(1);
        assertThat(p.find("gatehouse_cache_purge_seconds_count", "kind", "prefix")).isEmpty();
        assertThatThrownBy(() -> metrics.cachePurged("everything", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cacheGaugesReadTheBoundFigures() {
        assertThat(registry.scrape()).as("nothing bound yet").doesNotContain("gatehouse_cache_entries");
        long[] figures = {12, 4096, 2};
        CacheFigures source = new CacheFigures() {
            @Override
            public long entries() {
                return figures[0];
            }

            @Override
            public long bytes() {
                return figures[1];
            }

            @Override
            public long evictions() {
                return figures[2];
            }
        };
        metrics.bindCacheFigures(CacheFigures.NONE);
        assertThat(scrape().value("gatehouse_cache_entries")).isZero();

        metrics.bindCacheFigures(source);
        PrometheusText p = scrape();
        assertThat(p.types).containsEntry("gatehouse_cache_entries", "gauge")
                .containsEntry("gatehouse_cache_bytes", "gauge")
                .containsEntry("gatehouse_cache_evictions_total", "counter");
        assertThat(p.value("gatehouse_cache_entries")).isEqualTo(12);
        assertThat(p.value("gatehouse_cache_bytes")).isEqualTo(4096);
        assertThat(p.value("gatehouse_cache_evictions_total")).isEqualTo(2);

        figures[0] = 13;
        figures[2] = 5;
        assertThat(scrape().value("gatehouse_cache_entries")).isEqualTo(13);
        assertThat(scrape().value("gatehouse_cache_evictions_total")).isEqualTo(5);
    }

    @Test
    void cacheSeriesOfARemovedRouteGo() {
        metrics.completed(cached("b", "HIT"));
        metrics.cacheStore("b", true, 10);
        metrics.completed(cached("a", "MISS"));

        runtime.apply(ConfigParser.parse(CONFIG.replace("  - { name: b, pool: api }\n", "")).shared(), 2);

        PrometheusText p = scrape();
        assertThat(p.find("gatehouse_cache_lookups_total", "route", "b")).isEmpty();
        assertThat(p.find("gatehouse_cache_stores_total", "route", "b")).isEmpty();
        assertThat(p.value("gatehouse_cache_lookups_total", "route", "a", "result", "miss")).isEqualTo(1);
    }

    @Test
    void routeCountsFeedTheStatusPage() {
        send(7, "a", "web", 200, 3);
        send(3, "b", "api", 404, 30);
        send(2, "b", "api", 502, 700);

        Map<String, ProxyMetrics.RouteCounts> byRoute = new java.util.HashMap<>();
        metrics.routeCounts().forEach(r -> byRoute.put(r.route(), r));

        assertThat(byRoute.get("a").requests()).isEqualTo(7);
        assertThat(byRoute.get("b").requests()).isEqualTo(5);
        assertThat(byRoute.get("b").byStatusClass()).containsEntry("4xx", 3L).containsEntry("5xx", 2L);
        assertThat(byRoute.get("b").latencySecondsSum()).isCloseTo(1.49, within(1e-6));
        assertThat(metrics.listenerCounts()).singleElement()
                .satisfies(l -> assertThat(l.requests()).isEqualTo(12));
    }

    @Test
    void clusterMembersAndAccessLogCountersAreNodeGauges() throws Exception {
        metrics.bindClusterMembers(() -> 3);
        try (AccessLog log = new AccessLog(java.io.OutputStream.nullOutputStream(), "null", true, 1.0, 16)) {
            metrics.bindAccessLog(log);
            PrometheusText p = scrape();
            assertThat(p.value("gatehouse_cluster_members")).isEqualTo(3);
            assertThat(p.value("gatehouse_access_log_dropped_total")).isZero();
            assertThat(p.types).containsEntry("gatehouse_access_log_written_total", "counter");
        }
    }

    private Backend backend(String pool, int index) {
        return runtime.current().pools().get(pool).backends.get(index);
    }
}
