package dev.gatehouse.admin;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.admin.AdminHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/v1/stats}: the stats port rendered as JSON, read role, no cache fields until a cache exists. */
@ExtendWith(VertxExtension.class)
class StatsEndpointTest {

    private static final Instant AT = Instant.parse("2025-06-01T12:00:00Z");

    private static HttpResponse<Buffer> get(Vertx vertx, StatsPort stats, String token) {
        return get(vertx, stats, token, "/api/v1/stats");
    }

    private static HttpResponse<Buffer> get(Vertx vertx, StatsPort stats, String token, String path) {
        AdminPorts fake = new FakePorts(vertx, 0).ports(false);
        AdminPorts ports = new AdminPorts(fake.config(), fake.health(), fake.cluster(), fake.cache(), fake.metrics(),
                fake.readiness(), stats);
        AdminServer server = new AdminServer(vertx, ports, AdminHarness.tokens());
        await(server.start());
        WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.actualPort()));
        var request = client.request(HttpMethod.GET, path);
        if (token != null) {
            request.putHeader("Authorization", "Bearer " + token);
        }
        return await(request.send());
    }

    @Test
    void rendersRoutesAndListeners(Vertx vertx) {
        StatsPort stats = () -> new NodeStats(AT,
                List.of(new NodeStats.Route("web", "web", 12, Map.of("2xx", 7L, "4xx", 3L, "5xx", 2L), 0.5),
                        new NodeStats.Route("api", "api", 1, Map.of("2xx", 1L), 0.01)),
                List.of(new NodeStats.Listener("public", 5, 2, 13, 1)));

        HttpResponse<Buffer> r = get(vertx, stats, AdminHarness.READ_TOKEN);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject o = r.bodyAsJsonObject();
        assertThat(o.getString("time")).isEqualTo("2025-06-01T12:00:00Z");
        assertThat(o.getLong("config-version")).isEqualTo(1);
        assertThat(o.getJsonArray("routes")).hasSize(2);
        JsonObject api = o.getJsonArray("routes").getJsonObject(0);
        assertThat(api.getString("route")).isEqualTo("api");
        JsonObject web = o.getJsonArray("routes").getJsonObject(1);
        assertThat(web.getLong("requests")).isEqualTo(12);
        assertThat(web.getLong("errors")).isEqualTo(2);
        assertThat(web.getJsonObject("status-classes").getMap()).containsEntry("2xx", 7).containsEntry("4xx", 3)
                .containsEntry("5xx", 2);
        assertThat(web.getDouble("latency-seconds-sum")).isEqualTo(0.5);
        assertThat(web.fieldNames()).as("no cache exists yet").noneMatch(n -> n.startsWith("cache"));
        JsonObject listener = o.getJsonArray("listeners").getJsonObject(0);
        assertThat(listener.getString("listener")).isEqualTo("public");
        assertThat(listener.getLong("connections-accepted")).isEqualTo(5);
        assertThat(listener.getLong("requests-active")).isEqualTo(1);
        assertThat(o.fieldNames()).containsExactlyInAnyOrder("time", "config-version", "routes", "listeners");
    }

    @Test
    void aNodeWithoutARequestPathHasNoRoutes(Vertx vertx) {
        HttpResponse<Buffer> r = get(vertx, StatsPort.NONE, AdminHarness.READ_TOKEN);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getJsonArray("routes")).isEmpty();
    }

    @Test
    void needsAToken(Vertx vertx) {
        assertThat(get(vertx, StatsPort.NONE, null).statusCode()).isEqualTo(401);
    }

    /** A stats port with a history: two intervals, the node and two routes ("b" first seen in the second). */
    private static StatsPort withHistory() {
        double nan = Double.NaN;
        NodeHistory h = new NodeHistory(5, 180, new long[] {1_000, 6_000},
                new NodeHistory.Series(new double[] {2, 4.5}, new double[] {0, 0.25}, new double[] {0.002, 0.003},
                        new double[] {0.004, 0.0125}, new double[] {nan, 0.5}),
                List.of(new NodeHistory.RouteSeries("b", "api", new NodeHistory.Series(new double[] {nan, 0.5},
                                new double[] {nan, 0}, new double[] {nan, 0.001}, new double[] {nan, 0.001},
                                new double[] {nan, 0.5})),
                        new NodeHistory.RouteSeries("a", "web", new NodeHistory.Series(new double[] {2, 4},
                                new double[] {0, 0.25}, new double[] {0.002, 0.0035}, new double[] {0.004, 0.0125},
                                new double[] {nan, nan}))));
        return new StatsPort() {
            @Override
            public NodeStats stats() {
                return new NodeStats(AT, List.of(), List.of());
            }

            @Override
            public NodeHistory history() {
                return h;
            }
        };
    }

    @Test
    void historyRendersColumnsWithNullsWhereNothingIsKnown(Vertx vertx) {
        HttpResponse<Buffer> r = get(vertx, withHistory(), AdminHarness.READ_TOKEN, "/api/v1/stats/history");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
        JsonObject o = r.bodyAsJsonObject();
        assertThat(o.fieldNames()).containsExactlyInAnyOrder("interval-seconds", "capacity", "times", "node", "routes");
        assertThat(o.getInteger("interval-seconds")).isEqualTo(5);
        assertThat(o.getInteger("capacity")).isEqualTo(180);
        assertThat(o.getJsonArray("times").getList()).containsExactly(1000, 6000);
        JsonObject node = o.getJsonObject("node");
        assertThat(node.fieldNames()).containsExactlyInAnyOrder("requests-per-second", "error-rate",
                "latency-average-seconds", "latency-p99-seconds", "cache-hit-ratio");
        assertThat(node.getJsonArray("requests-per-second").getList()).containsExactly(2.0, 4.5);
        assertThat(node.getJsonArray("latency-p99-seconds").getList()).containsExactly(0.004, 0.0125);
        assertThat(node.getJsonArray("cache-hit-ratio").getList()).containsExactly(null, 0.5);
        JsonObject a = o.getJsonArray("routes").getJsonObject(0);
        assertThat(a.getString("route")).as("sorted by name").isEqualTo("a");
        assertThat(a.getString("pool")).isEqualTo("web");
        assertThat(a.getJsonArray("error-rate").getList()).containsExactly(0.0, 0.25);
        JsonObject b = o.getJsonArray("routes").getJsonObject(1);
        assertThat(b.getJsonArray("requests-per-second").getList()).as("not seen in the first interval")
                .containsExactly(null, 0.5);
    }

    @Test
    void historyIsEmptyWhereNothingKeepsIt(Vertx vertx) {
        HttpResponse<Buffer> r = get(vertx, StatsPort.NONE, AdminHarness.READ_TOKEN, "/api/v1/stats/history");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject o = r.bodyAsJsonObject();
        assertThat(o.getJsonArray("times")).isEmpty();
        assertThat(o.getJsonArray("routes")).isEmpty();
        assertThat(o.getJsonObject("node").getJsonArray("requests-per-second")).isEmpty();
    }

    @Test
    void historyNeedsAReadToken(Vertx vertx) {
        assertThat(get(vertx, withHistory(), null, "/api/v1/stats/history").statusCode()).isEqualTo(401);
        assertThat(get(vertx, withHistory(), "not-a-token", "/api/v1/stats/history").statusCode()).isEqualTo(401);
    }

    @Test
    void theOpenApiDocumentDescribesIt() throws Exception {
        JsonObject doc;
        try (var in = getClass().getClassLoader().getResourceAsStream("openapi.json")) {
            doc = new JsonObject(Buffer.buffer(in.readAllBytes()));
        }
        JsonObject get = doc.getJsonObject("paths").getJsonObject("/api/v1/stats").getJsonObject("get");
        assertThat(get.getString("operationId")).isEqualTo("getStats");
        JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
        assertThat(schemas.getJsonObject("NodeStats").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("time", "config-version", "routes", "listeners");
        assertThat(schemas.getJsonObject("RouteStats").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("route", "pool", "requests", "errors", "status-classes",
                        "latency-seconds-sum");
        // GET /api/v1/cache's schemas name exactly what it renders.
        assertThat(schemas.getJsonObject("CacheStats").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("entries", "bytes", "hits", "misses", "hit-ratio", "max-size",
                        "max-entry-size", "members");
        assertThat(schemas.getJsonObject("CacheMemberStats").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrderElementsOf(java.util.Arrays.stream(
                                CachePort.MemberStats.class.getRecordComponents())
                        .map(c -> c.getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase()).toList());
        JsonObject history = doc.getJsonObject("paths").getJsonObject("/api/v1/stats/history").getJsonObject("get");
        assertThat(history.getString("operationId")).isEqualTo("getStatsHistory");
        assertThat(schemas.getJsonObject("StatsHistory").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("interval-seconds", "capacity", "times", "node", "routes");
        assertThat(schemas.getJsonObject("HistorySeries").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("requests-per-second", "error-rate", "latency-average-seconds",
                        "latency-p99-seconds", "cache-hit-ratio");
        assertThat(schemas.getJsonObject("RouteHistory").getJsonObject("properties").fieldNames())
                .contains("route", "pool", "latency-p99-seconds");
        assertThat(schemas.getJsonObject("BackendStatus").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("pool", "backend", "state", "node", "since", "cause", "active-requests",
                        "checks", "passive");
        assertThat(schemas.getJsonObject("PassiveHealth").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("state", "last-success", "last-failure", "last-failure-cause",
                        "recent-requests", "recent-failures", "recent-error-rate", "window-seconds",
                        "consecutive-failures", "ejections", "ejected-until");
        assertThat(schemas.getJsonObject("PurgeResult").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("key", "prefix", "tag", "purged", "acknowledged-by", "millis");
    }
}
