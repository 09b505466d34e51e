package dev.gatehouse.app;

import dev.gatehouse.config.AdminConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse demo} makes a write token per run: configured (as its SHA-256), printed with curl lines that work,
 * and the only way to write (or, with a token configured, to read).
 */
class DemoIT {

    @TempDir
    Path dir;

    @Test
    void theDemoConfigGetsAFreshWriteTokenThatIsTheOnlyWayToWrite() {
        String token = Demo.newToken();
        assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+").isNotEqualTo(Demo.newToken());
        // The demo's own config, on ephemeral ports and a temporary data directory.
        String yaml = Demo.demoYaml().replace("port: 8080", "port: 0").replace("port: 9090", "port: 0")
                .replace("data-dir: ./data/demo", "data-dir: " + dir);
        GatehouseConfig config = Demo.withWriteToken(ConfigParser.parse(yaml), token);
        assertThat(config.admin().tokens()).singleElement().satisfies(t -> {
            assertThat(t.role()).isEqualTo(AdminConfig.Role.WRITE);
            assertThat(t.tokenSha256()).isEqualTo(ObservabilityIT.sha256(token)).doesNotContain(token);
        });

        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        Node node;
        try {
            node = TestNodes.await(Node.start(vertx, config, false));
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
        try {
            int port = node.admin.actualPort();
            String banner = Demo.adminBanner(port, token);
            String drain = "http://127.0.0.1:" + port + "/api/v1/pools/web/backends/127.0.0.1:9003/drain";
            assertThat(banner).contains(token).contains("Authorization: Bearer $TOKEN").contains(drain)
                    .contains("no write without it");

            assertThat(post(drain, null).statusCode()).isEqualTo(401);
            assertThat(post(drain, "not-the-token").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = post(drain, token);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(TestNodes.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health"))
                    .header("Authorization", "Bearer " + token).build()).body()).contains("draining");
        } finally {
            TestNodes.stop(node);
        }
    }

    private static HttpResponse<String> post(String url, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return TestNodes.send(b.build());
    }
}
