package dev.gatehouse.admin;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static dev.gatehouse.admin.AdminHarness.WRITE_TOKEN;
import static dev.gatehouse.admin.AdminHarness.await;
import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class BadInputTest {

    private AdminHarness h;

    @BeforeEach
    void start(Vertx vertx) {
        h = AdminHarness.start(vertx);
    }

    @Test
    void malformedJsonIs400WithTheParseError() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/x", "{\"pool\": \"api\",,}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(r).getString("type")).isEqualTo("urn:gatehouse:problem:malformed-json");
        assertThat(json(r).getString("detail")).contains("line 1, column");
        HttpResponse<Buffer> config = h.write(HttpMethod.PUT, "/api/v1/config", "{\"pools\": [", "If-Match", "\"1\"");
        assertThat(config.statusCode()).isEqualTo(400);
        assertThat(json(config).getJsonArray("errors")).hasSize(1);
        assertThat(h.write(HttpMethod.PUT, "/api/v1/routes/x", "[1, 2]").statusCode()).isEqualTo(400);
        assertThat(h.write(HttpMethod.PUT, "/api/v1/routes/x", "{\"pool\": \"a\", \"pool\": \"b\"}").statusCode())
                .isEqualTo(400);
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void anOversizedBodyIs413() {
        String big = "{\"pool\": \"" + "x".repeat(1024 * 1024 + 10) + "\"}";
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/x", big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(h.version()).isEqualTo(1);
        // The server still answers afterwards.
        assertThat(h.get("/api/v1/config").statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/x", "pool=api", "Content-Type",
                "application/x-www-form-urlencoded");
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(json(r).getInteger("status")).isEqualTo(415);
        HttpResponse<Buffer> none = await(h.request(HttpMethod.POST, "/api/v1/cache/purge", WRITE_TOKEN)
                .sendBuffer(Buffer.buffer("{\"tag\": \"a\"}")));
        assertThat(none.statusCode()).isEqualTo(415);
        assertThat(h.write(HttpMethod.PUT, "/api/v1/routes/x", "{\"pool\": \"api\"}", "Content-Type",
                "application/json; charset=utf-8").statusCode()).isEqualTo(201);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405AsProblems() {
        HttpResponse<Buffer> missing = h.get("/api/v1/nothing-here");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(missing).getInteger("status")).isEqualTo(404);
        HttpResponse<Buffer> outside = h.call(HttpMethod.GET, "/nothing", null, null);
        assertThat(outside.statusCode()).isEqualTo(404);
        assertThat(outside.getHeader("Content-Type")).isEqualTo("application/problem+json");

        HttpResponse<Buffer> wrong = h.write(HttpMethod.DELETE, "/api/v1/health", null);
        assertThat(wrong.statusCode()).isEqualTo(405);
        assertThat(wrong.getHeader("Content-Type")).isEqualTo("application/problem+json");
        assertThat(json(wrong).getInteger("status")).isEqualTo(405);
    }
}
