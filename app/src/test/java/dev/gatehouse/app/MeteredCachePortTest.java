package dev.gatehouse.app;

import dev.gatehouse.admin.CachePort;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Purges through the metered port land in {@code gatehouse_cache_purge_seconds} by kind; failures do not. */
class MeteredCachePortTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProxyMetrics metrics = new ProxyMetrics(registry, new ProxyRuntime(ConfigParser.parse("""
            listeners: [ { name: public, port: 8080 } ]
            pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
            routes: [ { name: a, pool: web } ]
            """).shared(), 1), ProxyMetrics.Settings.DEFAULT);

    @Test
    void successfulPurgesAreTimedByKind() {
        CachePort.Purged done = new CachePort.Purged(3, List.of("node-1"), 2);
        CachePort metered = new MeteredCachePort(port(Future.succeededFuture(done)), metrics);

        assertThat(metered.purgeKey("https://a.example.com/x").result()).isSameAs(done);
        metered.purgeTag("users");
        metered.purgeTag("orders");
        metered.purgePrefix("/a/");

        String text = registry.scrape();
        assertThat(text).contains("gatehouse_cache_purge_seconds_count{kind=\"key\"} 1",
                "gatehouse_cache_purge_seconds_count{kind=\"tag\"} 2",
                "gatehouse_cache_purge_seconds_count{kind=\"prefix\"} 1",
                "gatehouse_cache_purge_seconds_bucket{kind=\"tag\",le=\"+Inf\"} 2");
    }

    @Test
    void aFailedPurgeIsNotTimedAndStillFails() {
        CachePort metered = new MeteredCachePort(port(Future.failedFuture("node-2 did not acknowledge")), metrics);

        assertThat(metered.purgeTag("users").failed()).isTrue();
        assertThat(registry.scrape()).doesNotContain("gatehouse_cache_purge_seconds");
    }

    private static CachePort port(Future<CachePort.Purged> answer) {
        return new CachePort() {
            @Override
            public Future<Purged> purgeKey(String url) {
                return answer;
            }

            @Override
            public Future<Purged> purgePrefix(String prefix) {
                return answer;
            }

            @Override
            public Future<Purged> purgeTag(String tag) {
                return answer;
            }

            @Override
            public Future<Stats> stats() {
                return Future.succeededFuture(new Stats(0, 0, 0, 0, 0, 0, List.of()));
            }
        };
    }
}
