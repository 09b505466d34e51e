package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The built-in filters on real requests: ip-filter, headers, cors, api-key, rate-limit. */
class FiltersIT {

    ProxyHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    ProxyHarness start(String filters) {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "filters:\n" + filters));
        return h;
    }

    HttpResponse<String> send(HttpRequest.Builder b) {
        return h.send(b.build());
    }

    HttpRequest.Builder req(String path) {
        return HttpRequest.newBuilder(h.uri(path));
    }

    @Test
    void ipFilterDenyWinsAndAnAllowListDeniesTheRest() {
        start("  - { type: ip-filter, allow: [127.0.0.0/8], deny: [127.0.0.1/32] }\n");
        HttpResponse<String> r = h.get("/x");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(h.backends[0].hits.get()).isZero();
        h.close();
        start("  - { type: ip-filter, allow: [10.0.0.0/8] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(403);
        h.close();
        start("  - { type: ip-filter, allow: [127.0.0.0/8, \"::1\"] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
    }

    @Test
    void headerRulesEditBothWays() {
        start("  - { type: headers, request: { set: { X-Env: prod }, remove: [X-Debug] },"
                + " response: { set: { X-Frame-Options: DENY }, remove: [X-Backend] } }\n");
        HttpResponse<String> r = send(req("/x").header("X-Debug", "1"));
        JsonObject seen = new JsonObject(r.body()).getJsonObject("headers");
        assertThat(seen.getString("x-env")).isEqualTo("prod");
        assertThat(seen.containsKey("x-debug")).isFalse();
        assertThat(r.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(r.headers().firstValue("x-backend")).isEmpty();
    }

    @Test
    void corsAnswersPreflightsAndDecoratesAllowedOrigins() {
        start("  - { type: cors, origins: [\"https://app.example.com\"], methods: [GET, POST], headers: [Authorization] }\n");
        HttpResponse<String> pre = send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example.com").header("Access-Control-Request-Method", "POST"));
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        assertThat(pre.headers().firstValue("access-control-allow-methods")).hasValue("GET, POST");
        assertThat(h.backends[0].hits.get()).isZero();
        HttpResponse<String> bad = send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST"));
        assertThat(bad.statusCode()).isEqualTo(403);
        HttpResponse<String> get = send(req("/x").header("Origin", "https://app.example.com"));
        assertThat(get.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        HttpResponse<String> other = send(req("/x").header("Origin", "https://evil.example"));
        assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
    }

    @Test
    void apiKeyIsCheckedAgainstItsHashAndNeverReachesTheBackend() throws Exception {
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("s3cret".getBytes(StandardCharsets.UTF_8)));
        start("  - { type: api-key, header: X-Api-Key, keys: [ { name: ci, sha256: \"" + hash + "\" } ] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(401);
        assertThat(send(req("/x").header("X-Api-Key", "wrong")).statusCode()).isEqualTo(401);
        HttpResponse<String> ok = send(req("/x").header("X-Api-Key", "s3cret"));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(ok.body()).getJsonObject("headers").containsKey("x-api-key")).isFalse();
        assertThat(h.backends[0].hits.get()).isEqualTo(1);
    }

    @Test
    void rateLimitAdmitsTheBurstThenAnswers429WithRetryAfterPerKey() {
        start("  - { type: rate-limit, key: header:X-User, rate: 1/m, burst: 3 }\n");
        for (int i = 0; i < 3; i++) {
            assertThat(send(req("/x").header("X-User", "alice")).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = send(req("/x").header("X-User", "alice"));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        assertThat(Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
        // Another key has its own bucket.
        assertThat(send(req("/x").header("X-User", "bob")).statusCode()).isEqualTo(200);
        assertThat(h.backends[0].hits.get()).isEqualTo(4);
    }

    @Test
    void clusterScopedLimitsAreSharedAmongTheLiveNodes() {
        start("  - { type: rate-limit, key: client-ip, rate: 1/m, burst: 4, scope: cluster }\n");
        // Two nodes share a burst of 4: this one admits 2.
        h.proxy.runtime().clusterNodes(() -> 2);
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
        assertThat(h.get("/x").statusCode()).isEqualTo(429);
    }
}
