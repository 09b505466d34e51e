package dev.gatehouse.admin;

import dev.gatehouse.config.ConfigWriter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.gatehouse.admin.AdminHarness.await;
import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class ConfigEndpointsTest {

    private static JsonObject configJson(AdminHarness h) {
        return new JsonObject(ConfigWriter.toJson(h.fakes.config.current().config()));
    }

    @Test
    void getConfigReturnsTheSnapshotWithItsVersion(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/api/v1/config");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("ETag")).isEqualTo("\"1\"");
        assertThat(r.getHeader("X-Config-Version")).isEqualTo("1");
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
        JsonObject body = json(r);
        assertThat(body.getJsonArray("pools")).hasSize(2);
        assertThat(body.getJsonArray("routes").getJsonObject(0).getString("pool")).isEqualTo("api");
    }

    @Test
    void putConfigWithIfMatchAppliesANewVersion(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        JsonObject config = configJson(h);
        config.getJsonArray("routes").remove(1);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", config.encode(), "If-Match", "\"1\"");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).getLong("version")).isEqualTo(2);
        assertThat(json(r).getString("applied-at")).isNotBlank();
        assertThat(r.getHeader("ETag")).isEqualTo("\"2\"");
        assertThat(h.fakes.config.current().config().routes()).hasSize(1);
        assertThat(h.fakes.config.current().author()).isEqualTo("ops");
    }

    @Test
    void putConfigAcceptsYaml(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        String yaml = ConfigWriter.toYaml(h.fakes.config.current().config()).replace("/api/", "/v2/");
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", yaml, "If-Match", "\"1\"",
                "Content-Type", "application/yaml");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.fakes.config.current().config().route("api").orElseThrow().match().pathPrefix())
                .isEqualTo("/v2/");
    }

    @Test
    void putConfigWithoutIfMatchIs428(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", configJson(h).encode());
        assertThat(r.statusCode()).isEqualTo(428);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void putConfigWithIfMatchStarOverwritesWhateverIsCurrent(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        JsonObject config = configJson(h);
        config.getJsonArray("routes").remove(0);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", config.encode(), "If-Match", "*");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.version()).isEqualTo(2);
    }

    @Test
    void invalidPutIs400WithEveryProblemAndPathAndKeepsTheVersion(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        JsonObject config = configJson(h);
        config.getJsonArray("routes").getJsonObject(0).put("pool", "apii");
        config.getJsonArray("pools").getJsonObject(1).getJsonArray("backends").getJsonObject(0).put("weight", 0);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", config.encode(), "If-Match", "\"1\"");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        JsonObject problem = json(r);
        assertThat(problem.getString("type")).isEqualTo("urn:gatehouse:problem:invalid-config");
        assertThat(problem.getString("title")).isNotBlank();
        assertThat(problem.getInteger("status")).isEqualTo(400);
        assertThat(problem.getString("detail")).isNotBlank();
        JsonArray errors = problem.getJsonArray("errors");
        assertThat(errors.stream().map(e -> ((JsonObject) e).getString("path")))
                .containsExactlyInAnyOrder("routes[0].pool", "pools[1].backends[0].weight");
        assertThat(errors.stream().map(e -> (JsonObject) e)
                .filter(e -> e.getString("path").equals("routes[0].pool")).findFirst().orElseThrow()
                .getString("message")).contains("unknown pool \"apii\"");
        assertThat(h.version()).isEqualTo(1);
        assertThat(h.fakes.config.current().config()).isEqualTo(FakePorts.sample());
    }

    @Test
    void aWriteTheStoreCannotTakeNowIs503WithRetryAfterAndKeepsTheVersion(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        h.fakes.config.unavailable = "no quorum: 1 member present, cluster.quorum needs 2";
        JsonObject config = configJson(h);
        config.getJsonArray("routes").remove(1);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", config.encode(), "If-Match", "\"1\"");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.getHeader("Retry-After")).isEqualTo("5");
        assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:writes-unavailable");
        assertThat(json(r).getString("detail")).isEqualTo("no quorum: 1 member present, cluster.quorum needs 2");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void staleIfMatchIs412(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9001/drain", null).statusCode())
                .isEqualTo(200);
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/config", configJson(h).encode(), "If-Match", "\"1\"");
        assertThat(r.statusCode()).isEqualTo(412);
        assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:stale-version");
        assertThat(h.version()).isEqualTo(2);
    }

    @Test
    void twoRacingWritersWithTheSameIfMatchGetOne200AndOne412(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx, AdminHarness.tokens(), 50, true);
        JsonObject a = configJson(h);
        a.getJsonArray("routes").remove(1);
        JsonObject b = configJson(h);
        b.getJsonArray("routes").remove(0);
        Future<HttpResponse<Buffer>> first = h.request(HttpMethod.PUT, "/api/v1/config", AdminHarness.WRITE_TOKEN)
                .putHeader("If-Match", "\"1\"").putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(a.encode()));
        Future<HttpResponse<Buffer>> second = h.request(HttpMethod.PUT, "/api/v1/config", AdminHarness.WRITE_TOKEN)
                .putHeader("If-Match", "\"1\"").putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(b.encode()));
        await(Future.join(first, second));
        List<Integer> statuses = List.of(first.result().statusCode(), second.result().statusCode());
        assertThat(statuses).containsExactlyInAnyOrder(200, 412);
        assertThat(h.version()).isEqualTo(2);
        assertThat(h.fakes.config.current().config().routes()).hasSize(1);
    }

    @Test
    void racingWritersWithoutIfMatchAreRetriedAndBothApplied(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx, AdminHarness.tokens(), 30, true);
        Future<HttpResponse<Buffer>> first = h.request(HttpMethod.POST,
                "/api/v1/pools/api/backends/127.0.0.1:9001/drain", AdminHarness.WRITE_TOKEN).send();
        Future<HttpResponse<Buffer>> second = h.request(HttpMethod.POST,
                "/api/v1/pools/api/backends/127.0.0.1:9002/weight", AdminHarness.WRITE_TOKEN)
                .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"weight\": 7}"));
        await(Future.join(first, second));
        assertThat(first.result().statusCode()).isEqualTo(200);
        assertThat(second.result().statusCode()).isEqualTo(200);
        assertThat(h.version()).isEqualTo(3);
        var backends = h.fakes.config.current().config().pool("api").orElseThrow().backends();
        assertThat(backends.get(0).draining()).isTrue();
        assertThat(backends.get(1).weight()).isEqualTo(7);
    }

    @Test
    void validateIsADryRun(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> ok = h.write(HttpMethod.POST, "/api/v1/config/validate", configJson(h).encode());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).getBoolean("valid")).isTrue();

        JsonObject bad = configJson(h);
        bad.getJsonArray("routes").getJsonObject(1).put("pool", "nope");
        bad.put("colour", "blue");
        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/config/validate", bad.encode());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("path")))
                .contains("routes[1].pool", "colour");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void historyListsVersionsNewestFirstAndRollbackRestoresOne(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/routes/web", null).statusCode()).isEqualTo(200);

        HttpResponse<Buffer> history = h.get("/api/v1/config/history");
        assertThat(history.statusCode()).isEqualTo(200);
        JsonArray list = history.bodyAsJsonArray();
        assertThat(list).hasSize(2);
        assertThat(list.getJsonObject(0).getLong("version")).isEqualTo(2);
        assertThat(list.getJsonObject(0).getString("author")).isEqualTo("ops");
        assertThat(list.getJsonObject(1).getString("author")).isEqualTo("seed");

        HttpResponse<Buffer> one = h.get("/api/v1/config/history/1");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one).getJsonObject("config").getJsonArray("routes")).hasSize(2);

        HttpResponse<Buffer> rollback = h.write(HttpMethod.POST, "/api/v1/config/rollback", "{\"version\": 1}");
        assertThat(rollback.statusCode()).isEqualTo(200);
        assertThat(json(rollback).getLong("version")).isEqualTo(3);
        assertThat(rollback.getHeader("ETag")).isEqualTo("\"3\"");
        assertThat(h.fakes.config.current().config()).isEqualTo(FakePorts.sample());
    }

    @Test
    void rollbackToAnUnknownVersionIs404(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/config/rollback", "{\"version\": 42}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(h.get("/api/v1/config/history/42").statusCode()).isEqualTo(404);
        HttpResponse<Buffer> noVersion = h.write(HttpMethod.POST, "/api/v1/config/rollback", "{\"to\": 1}");
        assertThat(noVersion.statusCode()).isEqualTo(400);
        assertThat(h.version()).isEqualTo(1);
    }
}
