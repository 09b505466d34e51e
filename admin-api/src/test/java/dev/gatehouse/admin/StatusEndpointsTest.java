package dev.gatehouse.admin;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
                "{\"key\": \"http://api.example.com/a\"}");
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(json(key).getLong("purged")).isEqualTo(1);
        assertThat(json(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"prefix\": \"/api/\"}")).getLong("purged"))
                .isEqualTo(5);
        assertThat(json(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": \"users\"}")).getLong("purged"))
                .isEqualTo(2);
        assertThat(h.fakes.purges).containsExactly("key http://api.example.com/a", "prefix /api/", "tag users");
    }

    @Test
    void purgeNeedsExactlyOneSelector(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{}").statusCode()).isEqualTo(400);
        HttpResponse<Buffer> two = h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"key\": \"a\", \"tag\": \"b\"}");
        assertThat(two.statusCode()).isEqualTo(400);
        assertThat(json(two).getString("detail")).contains("exactly one");
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"url\": \"a\"}").statusCode()).isEqualTo(400);
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": 5}").statusCode()).isEqualTo(400);
        assertThat(h.write(HttpMethod.POST, "/api/v1/cache/purge", null).statusCode()).isEqualTo(400);
        assertThat(h.fakes.purges).isEmpty();
    }

    @Test
    void purgeWithoutACacheIs501(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx, AdminHarness.tokens(), 0, false);
        HttpResponse<Buffer> r = h.write(HttpMethod.POST, "/api/v1/cache/purge", "{\"tag\": \"users\"}");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(r).getString("title")).isEqualTo("Response caching is not available yet");
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
        assertThat(r.bodyAsString()).contains("<title>Gatehouse</title>", "/api/v1", "/health", "/config");
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
                "/api/v1/cache/purge", "/api/v1/openapi.json", "/metrics", "/healthz", "/readyz", "/");
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
