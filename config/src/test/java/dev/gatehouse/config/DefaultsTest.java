package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.resource;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A minimal file (one listener, one pool, one route) gets the documented defaults everywhere else. */
class DefaultsTest {

    private final GatehouseConfig config = ConfigParser.parse(resource("valid/minimal.yaml"));

    @Test
    void topLevel() {
        assertThat(config.dataDir()).isEqualTo("./data");
        assertThat(config.cluster()).as("standalone").isNull();
        assertThat(config.admin()).isNull();
        assertThat(config.cache()).as("absent: CacheConfig.DEFAULT applies").isNull();
    }

    @Test
    void listener() {
        ListenerConfig l = config.listeners().get(0);

        assertThat(l.host()).isEqualTo("0.0.0.0");
        assertThat(l.port()).isEqualTo(8080);
        assertThat(l.http2()).isTrue();
        assertThat(l.tls()).isNull();
        assertThat(l.isTls()).isFalse();
        assertThat(l.proxyProtocol()).isFalse();
        assertThat(l.trustedProxies()).isEmpty();
        assertThat(l.maxHeaderSize()).isEqualTo(DataSize.ofKilobytes(16));
        assertThat(l.maxUriLength()).isEqualTo(DataSize.ofKilobytes(8));
        assertThat(l.maxBodySize()).as("unlimited").isEqualTo(DataSize.ZERO);
        assertThat(l.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(l.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void pool() {
        PoolConfig p = config.pools().get(0);

        assertThat(p.balancer()).isEqualTo(PoolConfig.Balancer.ROUND_ROBIN);
        assertThat(p.hashKey()).isNull();
        assertThat(p.healthCheck()).as("no active checks unless asked").isNull();
        assertThat(p.outlierDetection()).isNull();
        assertThat(p.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.maxConnections()).isEqualTo(512);
        assertThat(p.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.backends()).containsExactly(new BackendConfig("http://127.0.0.1:9001", 1, false));
    }

    @Test
    void backend() {
        BackendConfig b = config.pools().get(0).backends().get(0);

        assertThat(b.weight()).isEqualTo(1);
        assertThat(b.draining()).isFalse();
        assertThat(b.host()).isEqualTo("127.0.0.1");
        assertThat(b.port()).isEqualTo(9001);
        assertThat(b.id()).isEqualTo("127.0.0.1:9001");
        assertThat(b.isTls()).isFalse();
    }

    @Test
    void backendDefaultPorts() {
        assertThat(new BackendConfig("http://a.internal", null, null).port()).isEqualTo(80);
        assertThat(new BackendConfig("https://a.internal", null, null).port()).isEqualTo(443);
        assertThat(new BackendConfig("https://a.internal", null, null).id()).isEqualTo("a.internal:443");
        assertThat(new BackendConfig("HTTPS://a.internal", null, null).isTls()).isTrue();
    }

    @Test
    void route() {
        RouteConfig r = config.routes().get(0);

        assertThat(r.match()).isEqualTo(MatchConfig.ANY);
        assertThat(r.prefixRewrite()).isNull();
        assertThat(r.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.retries()).isEqualTo(RetryConfig.DEFAULT);
        assertThat(r.retries().attempts()).isEqualTo(2);
        assertThat(r.retries().on()).containsExactly("connect-failure");
        assertThat(r.cache()).as("absent: not cached").isNull();
        assertThat(r.filters()).isEmpty();
        assertThat(r.maxBodySize()).as("inherits the listener's").isNull();
        assertThat(r.compression()).isFalse();
    }

    @Test
    void match() {
        MatchConfig m = MatchConfig.ANY;

        assertThat(m.host()).isEmpty();
        assertThat(m.methods()).isEmpty();
        assertThat(m.headers()).isEmpty();
        assertThat(m.pathPrefix()).isNull();
        assertThat(m.pathExact()).isNull();
        assertThat(m.pathRegex()).isNull();
    }

    @Test
    void healthCheckAndOutlierDetectionWhenPresentButEmpty() {
        PoolConfig p = ConfigParser.parse(Configs.withPool("health-check: {}, outlier-detection: {}")).pools().get(0);

        assertThat(p.healthCheck()).isEqualTo(new HealthCheckConfig("http", "/", "200-399", null, null,
                Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, Duration.ZERO));
        assertThat(p.outlierDetection()).isEqualTo(new OutlierDetectionConfig(5, Duration.ofSeconds(10),
                Duration.ofMinutes(5)));
    }

    @Test
    void retriesWithOnlyAttempts() {
        RetryConfig r = ConfigParser.parse(Configs.withRoute("retries: { attempts: 1 }")).routes().get(0).retries();

        assertThat(r).isEqualTo(new RetryConfig(1, List.of("connect-failure"), java.time.Duration.ofMillis(25)));
    }

    @Test
    void adminAndClusterWhenPresentButEmpty() {
        GatehouseConfig c = ConfigParser.parse(Configs.tail("admin: {}\ncluster: {}\n"));

        assertThat(c.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9090, List.of(), null));
        assertThat(c.cluster()).isEqualTo(new ClusterConfig("gatehouse", "127.0.0.1", 5701, List.of(), null));
    }

    @Test
    void filterDefaults() {
        List<FilterConfig> filters = ConfigParser.parse(Configs.withFilters(
                "{ type: rate-limit, rate: 10/s }, { type: cors, origins: [\"*\"] }, "
                        + "{ type: api-key, keys: [ { name: a, sha256: " + Configs.SHA256 + " } ] }, "
                        + "{ type: jwt, issuer: i, jwks: j.json }, { type: headers }, "
                        + "{ type: basic, users: [ { name: a, bcrypt: "
                        + "\"$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\" } ] }"))
                .routes().get(0).filters();

        assertThat(filters.get(0)).isEqualTo(new FilterConfig.RateLimit("client-ip", Rate.parse("10/s"), null, "node"));
        assertThat((FilterConfig.Cors) filters.get(1)).satisfies(c -> {
            assertThat(c.methods()).containsExactly("GET", "HEAD", "POST");
            assertThat(c.credentials()).isFalse();
            assertThat(c.maxAge()).isEqualTo(Duration.ofMinutes(10));
        });
        assertThat(((FilterConfig.ApiKey) filters.get(2)).header()).isEqualTo("X-Api-Key");
        assertThat(((FilterConfig.Jwt) filters.get(3)).clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(filters.get(4)).isEqualTo(new FilterConfig.Headers(FilterConfig.HeaderRules.NONE,
                FilterConfig.HeaderRules.NONE));
        assertThat(((FilterConfig.Basic) filters.get(5)).realm()).isEqualTo("gatehouse");
        assertThat(filters).extracting(FilterConfig::type)
                .containsExactly("rate-limit", "cors", "api-key", "jwt", "headers", "basic");
    }

    @Test
    void cacheSection() {
        CacheConfig c = ConfigParser.parse(Configs.tail("cache: {}\n")).cache();

        assertThat(c).isEqualTo(CacheConfig.DEFAULT);
        assertThat(c.maxSize()).isEqualTo(DataSize.ofMegabytes(256));
        assertThat(c.maxEntrySize()).isEqualTo(DataSize.ofMegabytes(8));
        assertThat(c.eviction()).isEqualTo(CacheConfig.Eviction.LRU);
        assertThat(c.nearCacheMaxEntries()).isEqualTo(10_000);
        assertThat(c.collapseWait()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.keep()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void routeCache() {
        RouteCacheConfig c = ConfigParser.parse(Configs.withRoute("cache: { enabled: true }")).routes().get(0).cache();

        assertThat(c.enabled()).isTrue();
        assertThat(c.defaultTtl()).as("heuristic freshness").isZero();
        assertThat(c.storeSetCookie()).isFalse();
        assertThat(c.stripCdnCacheControl()).isFalse();
        assertThat(ConfigParser.parse(Configs.withRoute("cache: {}")).routes().get(0).cache())
                .isEqualTo(RouteCacheConfig.DISABLED);
    }

    @Test
    void collectionsAreImmutableCopies() {
        assertThat(config.listeners()).isUnmodifiable();
        assertThat(config.routes().get(0).filters()).isUnmodifiable();
        assertThat(new MatchConfig(null, null, null, null, null, Map.of("a", "b")).headers()).isUnmodifiable();
    }
}
