package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.gatehouse.admin.AdminHarness.READ_TOKEN;
import static dev.gatehouse.admin.AdminHarness.WRITE_TOKEN;
import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class AuthTest {

    @Test
    void missingTokenIs401WithABearerChallenge(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.call(HttpMethod.GET, "/api/v1/config", null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.getHeader("WWW-Authenticate")).startsWith("Bearer");
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(r).getInteger("status")).isEqualTo(401);
        assertThat(h.call(HttpMethod.GET, "/api/v1/config", null, null, "Authorization", "Basic YTpi").statusCode())
                .isEqualTo(401);
    }

    @Test
    void unknownTokenIs401(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        HttpResponse<Buffer> r = h.call(HttpMethod.GET, "/api/v1/config", "guess", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.getHeader("WWW-Authenticate")).contains("invalid_token");
    }

    @Test
    void readRoleMayGetButNotWrite(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        for (String path : List.of("/api/v1/config", "/api/v1/routes", "/api/v1/pools", "/api/v1/pools/api/backends",
                "/api/v1/health", "/api/v1/cluster", "/api/v1/config/history", "/api/v1/openapi.json", "/metrics")) {
            assertThat(h.call(HttpMethod.GET, path, READ_TOKEN, null).statusCode()).as(path).isEqualTo(200);
        }
        HttpResponse<Buffer> put = h.call(HttpMethod.PUT, "/api/v1/routes/x", READ_TOKEN, "{\"pool\": \"api\"}");
        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(json(put).getString("type")).isEqualTo("urn:gatehouse:problem:forbidden");
        assertThat(h.call(HttpMethod.DELETE, "/api/v1/routes/web", READ_TOKEN, null).statusCode()).isEqualTo(403);
        assertThat(h.call(HttpMethod.POST, "/api/v1/cache/purge", READ_TOKEN, "{\"tag\": \"a\"}").statusCode())
                .isEqualTo(403);
        assertThat(h.call(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9001/drain", READ_TOKEN, null)
                .statusCode()).isEqualTo(403);
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void writeRoleMayDoBoth(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.call(HttpMethod.GET, "/api/v1/config", WRITE_TOKEN, null).statusCode()).isEqualTo(200);
        assertThat(h.call(HttpMethod.DELETE, "/api/v1/routes/web", WRITE_TOKEN, null).statusCode()).isEqualTo(200);
        assertThat(h.fakes.config.current().author()).isEqualTo("ops");
    }

    @Test
    void metricsNeedsATokenButProbesAndStatusPageDoNot(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx);
        assertThat(h.call(HttpMethod.GET, "/metrics", null, null).statusCode()).isEqualTo(401);
        assertThat(h.call(HttpMethod.GET, "/healthz", null, null).statusCode()).isEqualTo(200);
        assertThat(h.call(HttpMethod.GET, "/readyz", null, null).statusCode()).isEqualTo(200);
        assertThat(h.call(HttpMethod.GET, "/", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutTokensALoopbackServerIsReadOnly(Vertx vertx) {
        AdminHarness h = AdminHarness.start(vertx, new AdminConfig("127.0.0.1", 0, List.of(), null), 0, true);
        assertThat(h.call(HttpMethod.GET, "/api/v1/config", null, null).statusCode()).isEqualTo(200);
        assertThat(h.call(HttpMethod.GET, "/metrics", null, null).statusCode()).isEqualTo(200);
        HttpResponse<Buffer> delete = h.call(HttpMethod.DELETE, "/api/v1/routes/web", null, null);
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(json(delete).getString("type")).isEqualTo("urn:gatehouse:problem:read-only");
        assertThat(json(delete).getString("detail")).contains("no admin tokens are configured")
                .contains("admin.tokens");
        // Every kind of write, with or without a body, with or without a made-up token.
        assertThat(h.call(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9001/drain", null, null)
                .statusCode()).isEqualTo(403);
        assertThat(h.call(HttpMethod.POST, "/api/v1/cache/purge", "anything", "{\"tag\": \"a\"}").statusCode())
                .isEqualTo(403);
        assertThat(h.call(HttpMethod.PUT, "/api/v1/routes/x", null, "{\"pool\": \"api\"}").statusCode())
                .isEqualTo(403);
        assertThat(h.call(HttpMethod.PATCH, "/api/v1/pools/api", null, "{}").statusCode()).isEqualTo(403);
        assertThat(h.version()).isEqualTo(1);
        assertThat(h.fakes.purges).isEmpty();
    }

    @Test
    void withoutTokensANonLoopbackServerRefusesToStart(Vertx vertx) {
        FakePorts fakes = new FakePorts(vertx, 0);
        AdminServer server = new AdminServer(vertx, fakes.ports(true), new AdminConfig("0.0.0.0", 0, List.of(), null));
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no tokens").hasMessageContaining("127.0.0.1");
        assertThat(server.actualPort()).isEqualTo(-1);
    }

    @Test
    void loopbackDetectionNeedsNoDns() {
        assertThat(AdminAuth.isLoopback("127.0.0.1")).isTrue();
        assertThat(AdminAuth.isLoopback("127.1.2.3")).isTrue();
        assertThat(AdminAuth.isLoopback("::1")).isTrue();
        assertThat(AdminAuth.isLoopback("[::1]")).isTrue();
        assertThat(AdminAuth.isLoopback("localhost")).isTrue();
        assertThat(AdminAuth.isLoopback("0.0.0.0")).isFalse();
        assertThat(AdminAuth.isLoopback("10.0.0.1")).isFalse();
        assertThat(AdminAuth.isLoopback("admin.example.com")).isFalse();
    }
}
