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
        AdminPorts fake = new FakePorts(vertx, 0).ports(false);
        AdminPorts ports = new AdminPorts(fake.config(), fake.health(), fake.cluster(), fake.cache(), fake.metrics(),
                fake.readiness(), stats);
        AdminServer server = new AdminServer(vertx, ports, AdminHarness.tokens());
        await(server.start());
        WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.actualPort()));
        var request = client.request(HttpMethod.GET, "/api/v1/stats");
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
        assertThat(schemas.getJsonObject("PurgeResult").getJsonObject("properties").fieldNames())
                .containsExactlyInAnyOrder("key", "prefix", "tag", "purged", "acknowledged-by", "millis");
    }
}
