package dev.gatehouse.admin;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;

import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class StatusEndpointsTest {

    @Test
    void healthListsBackendStates(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/api/v1/health");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject first = json(r).getJsonArray("backends").getJsonObject(0);
        assertThat(first.getString("pool")).isEqualTo("api");
        assertThat(first.getString("backend")).isEqualTo("127.0.0.1:9001");
        assertThat(first.getString("state")).isEqualTo("healthy");
        assertThat(first.getString("since")).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(first.getInteger("active-requests")).isEqualTo(3);
        assertThat(json(r).getJsonArray("backends").getJsonObject(1).getString("cause"))
                .isEqualTo("connection refused");
    }

    @Test
    void healthSaysWhatPassiveChecksKnow(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/api/v1/health");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject first = json(r).getJsonArray("backends").getJsonObject(0);
        assertThat(first.getString("checks")).isEqualTo("passive");
        JsonObject passive = first.getJsonObject("passive");
        assertThat(passive.getString("state")).isEqualTo("serving");
        assertThat(passive.getString("last-success")).isEqualTo("2025-01-01T00:05:00Z");
        assertThat(passive.getString("last-failure")).isEqualTo("2025-01-01T00:04:00Z");
        assertThat(passive.getString("last-failure-cause")).isEqualTo("status 503");
        assertThat(passive.getLong("recent-requests")).isEqualTo(40);
        assertThat(passive.getLong("recent-failures")).isEqualTo(2);
        assertThat(passive.getDouble("recent-error-rate")).isEqualTo(0.05);
        assertThat(passive.getInteger("window-seconds")).isEqualTo(60);
        assertThat(passive.getInteger("consecutive-failures")).isZero();
        assertThat(passive.getInteger("ejections")).isEqualTo(1);
        assertThat(passive.containsKey("ejected-until")).isTrue();
        assertThat(passive.getString("ejected-until")).isNull();
        // A status without passive figures keeps the old fields and says nothing more.
        JsonObject second = json(r).getJsonArray("backends").getJsonObject(1);
        assertThat(second.getString("state")).isEqualTo("unhealthy");
        assertThat(second.getValue("checks")).isNull();
        assertThat(second.getValue("passive")).isNull();
    }

    @Test
    void clusterListsMembersWithTheirVersions(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/api/v1/cluster");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).getLong("config-version")).isEqualTo(1);
        JsonObject local = json(r).getJsonArray("members").getJsonObject(0);
        assertThat(local.getString("id")).isEqualTo("node-1");
        assertThat(local.getBoolean("local")).isTrue();
        assertThat(local.getLong("applied-version")).isEqualTo(1);
        assertThat(json(r).getJsonArray("members")).hasSize(2);
    }

    @Test
    void purgesByKeyPrefixOrTag(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> key = h.write(HttpMethod.POST, "/api/v1/cache/purge",
                "{\"key\": \"http://api.example.com/a?b=1\"}");
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(key.getHeader("Content-Type")).isEqualTo("application/json");
        assertThat(json(key)).isEqualTo(new JsonObject().put("key", "http://api.example.com/a?b=1").put("purged", 1)
                .put("acknowledged-by", new JsonArray().add("node-1").add("node-2")).put("millis", 3));
        JsonObject prefix = json(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"prefix\": \"/api/\"}"));
        assertThat(prefix.getString("prefix")).isEqualTo("/api/");
        assertThat(prefix.getLong("purged")).isEqualTo(5);
        JsonObject tag = json(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": \"users\"}"));
        assertThat(tag.getString("tag")).isEqualTo("users");
        assertThat(tag.getLong("purged")).isEqualTo(2);
        assertThat(tag.getJsonArray("acknowledged-by")).containsExactly("node-1", "node-2");
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"key\": \"HTTPS://api.example.com\"}")
                .statusCode()).isEqualTo(200);
        assertThat(h.fakes.purges).containsExactly("key http://api.example.com/a?b=1", "prefix /api/", "tag users",
                "key HTTPS://api.example.com");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "not json                                     | ``       | line 1",
            "[\"tag\", \"a\"]                               | ``       | expected a JSON object",
            "\"users\"                                      | ``       | expected a JSON object",
            "{}                                           | ``       | exactly one of key, prefix, tag (found none)",
            "{\"key\": \"http://a/x\", \"tag\": \"b\"}          | ``       | found key, tag",
            "{\"url\": \"http://a/x\"}                        | url      | unknown key",
            "{\"tag\": \"a\", \"force\": true}                  | force    | unknown key",
            "{\"tag\": 5}                                   | tag      | expected a non-empty string",
            "{\"tag\": \"\"}                                  | tag      | expected a non-empty string",
            "{\"tag\": null}                                | tag      | expected a non-empty string",
            "{\"prefix\": [\"/a\"]}                           | prefix   | expected a non-empty string",
            "{\"key\": \"/api/a\"}                            | key      | not an absolute http or https URL",
            "{\"key\": \"api.example.com/a\"}                 | key      | not an absolute http or https URL",
            "{\"key\": \"ftp://api.example.com/a\"}           | key      | not an absolute http or https URL",
            "{\"key\": \"https:///a\"}                        | key      | not an absolute http or https URL",
            "{\"key\": \"https://a.example.com/a b\"}         | key      | not an absolute http or https URL",
            "{\"key\": \"GET https://a.example.com/\"}        | key      | not an absolute http or https URL",
            "{\"prefix\": \"api/\"}                           | prefix   | must start with /",
            "{\"tag\": \"a\", \"tag\": \"b\"}                   | ``       | line 1"})
    void aMalformedPurgeIs400AndPurgesNothing(String body, String path, String message, Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);

        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/cache/purge", body);

        assertThat(r.statusCode()).as(body).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        JsonObject error = json(r).getJsonArray("errors").getJsonObject(0);
        assertThat(error.getString("path")).as(body).isEqualTo(path);
        assertThat(error.getString("message")).as(body).contains(message);
        assertThat(h.fakes.purges).as("the port is never called").isEmpty();
    }

    @Test
    void aPurgeWithoutABodyIs400AndPurgesNothing(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/cache/purge", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(h.fakes.purges).isEmpty();
    }

    @Test
    void aPurgeNeedsTheWriteRole(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.call(HttpMethod.POST, "/api/v1/cache/purge", AdminHarness.READ_TOKEN,
                "{\"tag\": \"users\"}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(h.fakes.purges).isEmpty();
    }

    @Test
    void aFailedPurgeIs503(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        h.fakes.cacheFailure = new IllegalStateException("node-2 did not acknowledge within 10s");

        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": \"users\"}");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:cache-unavailable");
        assertThat(json(r).getString("detail")).contains("node-2 did not acknowledge within 10s");
    }

    @Test
    void purgeWithoutACacheIs501(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx, AdminHarness.tokens(), 0, false);
        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": \"users\"}");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(r).getString("title")).isEqualTo("This node has no response cache");
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": 1}").statusCode())
                .as("the body is checked first").isEqualTo(400);
    }

    @Test
    void cacheStatsShowEveryFigure(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);

        HttpResponse<Buffer> r = h.get("/api/v1/cache");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject o = json(r);
        assertThat(o.getLong("entries")).isEqualTo(3);
        assertThat(o.getLong("bytes")).isEqualTo(3000);
        assertThat(o.getLong("hits")).isEqualTo(9);
        assertThat(o.getLong("misses")).isEqualTo(1);
        assertThat(o.getDouble("hit-ratio")).isEqualTo(0.9);
        assertThat(o.getLong("max-size")).isEqualTo(256L << 20);
        assertThat(o.getLong("max-entry-size")).isEqualTo(8L << 20);
        assertThat(o.getJsonArray("members")).hasSize(2);
        assertThat(o.getJsonArray("members").getJsonObject(0)).isEqualTo(new JsonObject()
                .put("member", "node-1").put("owned-entries", 2).put("owned-bytes", 2000).put("backup-entries", 1)
                .put("hits", 6).put("misses", 1).put("stored", 2).put("evictions", 0).put("near-cache-entries", 2)
                .put("near-cache-bytes", 2000).put("near-cache-hits", 5).put("near-cache-misses", 1)
                .put("near-cache-invalidations", 0));
        // Every MemberStats component appears, in kebab-case.
        assertThat(o.getJsonArray("members").getJsonObject(1).fieldNames()).containsExactlyInAnyOrderElementsOf(
                java.util.Arrays.stream(CachePort.MemberStats.class.getRecordComponents())
                        .map(c -> c.getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase()).toList());
        assertThat(h.call(HttpMethod.GET, "/api/v1/cache", null, null).statusCode()).as("read role").isEqualTo(401);
    }

    @Test
    void cacheStatsWithoutACacheIs501AndAFailureIs503(Vertx vertx) {
        AdminHarness without = AdminHarness.start(vertx, AdminHarness.tokens(), 0, false);
        HttpResponse<Buffer> r = without.get("/api/v1/cache");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");

        AdminHarness failing = AdminHarness.start(vertx);
        failing.fakes.cacheFailure = new IllegalStateException("cluster unreachable");
        HttpResponse<Buffer> down = failing.get("/api/v1/cache");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json(down).getString("detail")).contains("cluster unreachable");
    }

    @Test
    void metricsServesTheScrapeWithItsContentType(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/plain; version=0.0.4");
        assertThat(r.bodyAsString()).contains("gatehouse_config_version 1");
    }

    @Test
    void healthzIsAlways200WithoutAuth(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        h.fakes.notReady.add("cluster: joining");
        HttpResponse<Buffer> r = h.call(HttpMethod.GET, "/healthz", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).getString("status")).isEqualTo("ok");
    }

    @Test
    void readyzIs503ListingWhatIsNotReadyThen200(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        h.fakes.notReady.add("cluster: joining");
        h.fakes.notReady.add("config: not loaded");
        HttpResponse<Buffer> notReady = h.call(HttpMethod.GET, "/readyz", null, null);
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(json(notReady).getJsonArray("not-ready")).containsExactly("cluster: joining", "config: not loaded");
        h.fakes.notReady.clear();
        HttpResponse<Buffer> ready = h.call(HttpMethod.GET, "/readyz", null, null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).getString("status")).isEqualTo("ready");
    }

    @Test
    void statusPageIsServedFromTheJar(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.call(HttpMethod.GET, "/", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/html");
        assertThat(r.bodyAsString()).contains("<title>Gatehouse</title>", "/api/v1", "/health", "/config",
                "/api/v1/cache", "id=\"cache-ratio\"", "id=\"cache-members\"");
    }

    @Test
    void openApiDocumentParsesAndListsEveryPath(Vertx vertx) throws Exception {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.get("/api/v1/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject doc = json(r);
        assertThat(doc.getString("openapi")).startsWith("3.1");
        assertThat(doc.getJsonObject("paths").fieldNames()).contains(
                "/api/v1/config", "/api/v1/config/validate", "/api/v1/config/history", "/api/v1/config/rollback",
                "/api/v1/routes", "/api/v1/routes/{name}", "/api/v1/pools", "/api/v1/pools/{name}",
                "/api/v1/pools/{name}/backends", "/api/v1/pools/{name}/backends/{id}",
                "/api/v1/pools/{name}/backends/{id}/weight", "/api/v1/pools/{name}/backends/{id}/drain",
                "/api/v1/pools/{name}/backends/{id}/undrain", "/api/v1/health", "/api/v1/cluster",
                "/api/v1/cache", "/api/v1/cache/purge", "/api/v1/openapi.json", "/metrics", "/healthz", "/readyz", "/",
                "/api/v1/stats", "/api/v1/stats/history");
        assertThat(doc.getJsonObject("paths").getJsonObject("/api/v1/config").fieldNames())
                .contains("get", "put");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("openapi.json")) {
            assertThat(new JsonObject(Buffer.buffer(in.readAllBytes()))).isEqualTo(doc);
        }
        // Every $ref points at something that exists.
        String text = r.bodyAsString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"#/components/(\\w+)/([\\w-]+)\"").matcher(text);
        while (m.find()) {
            assertThat(doc.getJsonObject("components").getJsonObject(m.group(1)).containsKey(m.group(2)))
                    .as(m.group()).isTrue();
        }
    }
}
