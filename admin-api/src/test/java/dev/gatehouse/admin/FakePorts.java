package dev.gatehouse.admin;

import dev.gatehouse.config.BackendConfig;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.RouteConfig;
import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** In-memory ports for admin API tests: no proxy, no cluster. */
final class FakePorts {

    final InMemoryConfigPort config;
    final List<String> notReady = new CopyOnWriteArrayList<>();
    final List<String> purges = new CopyOnWriteArrayList<>();
    /** When set, every cache operation fails with it (a member that did not acknowledge, a cluster gone). */
    volatile RuntimeException cacheFailure;

    FakePorts(Vertx vertx, long applyDelayMs) {
        this.config = new InMemoryConfigPort(vertx, sample(), applyDelayMs);
    }

    /** Pools {@code api} (two backends) and {@code web} (one); routes {@code api} (/api/) and {@code web} (/web/). */
    static SharedConfig sample() {
        PoolConfig api = pool("api", "http://127.0.0.1:9001", "http://127.0.0.1:9002");
        PoolConfig web = pool("web", "http://127.0.0.1:9101");
        return new SharedConfig(List.of(api, web), List.of(route("api", "/api/", "api"), route("web", "/web/", "web")),
                CacheConfig.DEFAULT);
    }

    static PoolConfig pool(String name, String... urls) {
        return new PoolConfig(name, null, null,
                java.util.Arrays.stream(urls).map(u -> new BackendConfig(u, null, null)).toList(),
                null, null, null, null, null, null, null, null, null, null);
    }

    static RouteConfig route(String name, String prefix, String pool) {
        return new RouteConfig(name, new dev.gatehouse.config.MatchConfig(null, prefix, null, null, null, null), pool,
                null, null, null, null, null, null, null, null, null);
    }

    AdminPorts ports(boolean withCache) {
        HealthPort health = () -> Future.succeededFuture(List.of(
                new BackendStatus("api", "127.0.0.1:9001", "healthy", "node-1", Instant.parse("2025-01-01T00:00:00Z"),
                        null, 3, "passive", new BackendStatus.Passive("serving",
                        Instant.parse("2025-01-01T00:05:00Z"), Instant.parse("2025-01-01T00:04:00Z"), "status 503",
                        40, 2, 60, 0, 1, null)),
                new BackendStatus("api", "127.0.0.1:9002", "unhealthy", "node-1", Instant.now(),
                        "connection refused", 0)));
        ClusterPort cluster = () -> Future.succeededFuture(List.of(
                new MemberStatus("node-1", "127.0.0.1:5701", true, config.current().version(), "active"),
                new MemberStatus("node-2", "127.0.0.1:5702", false, config.current().version() - 1, "active")));
        CachePort cache = new CachePort() {
            @Override
            public Future<Purged> purgeKey(String key) {
                purges.add("key " + key);
                if (cacheFailure != null) {
                    return Future.failedFuture(cacheFailure);
                }
                return Future.succeededFuture(new Purged(1L, List.of("node-1", "node-2"), 3));
            }

            @Override
            public Future<Purged> purgePrefix(String prefix) {
                purges.add("prefix " + prefix);
                if (cacheFailure != null) {
                    return Future.failedFuture(cacheFailure);
                }
                return Future.succeededFuture(new Purged(5L, List.of("node-1", "node-2"), 3));
            }

            @Override
            public Future<Purged> purgeTag(String tag) {
                purges.add("tag " + tag);
                if (cacheFailure != null) {
                    return Future.failedFuture(cacheFailure);
                }
                return Future.succeededFuture(new Purged(2L, List.of("node-1", "node-2"), 3));
            }

            @Override
            public Future<Stats> stats() {
                if (cacheFailure != null) {
                    return Future.failedFuture(cacheFailure);
                }
                return Future.succeededFuture(new Stats(3, 3000, 9, 1, 256L << 20, 8L << 20, List.of(
                        new MemberStats("node-1", 2, 2000, 1, 6, 1, 2, 0, 2, 2000, 5, 1, 0),
                        new MemberStats("node-2", 1, 1000, 2, 3, 0, 1, 0, 1, 1000, 2, 0, 0))));
            }
        };
        MetricsPort metrics = accept -> new MetricsScrape("text/plain; version=0.0.4; charset=utf-8",
                "# TYPE gatehouse_config_version gauge\ngatehouse_config_version " + config.current().version() + "\n");
        ReadinessPort readiness = () -> List.copyOf(notReady);
        return new AdminPorts(config, health, cluster, withCache ? Optional.of(cache) : Optional.empty(), metrics,
                readiness);
    }
}
