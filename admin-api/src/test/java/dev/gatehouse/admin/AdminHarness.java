package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import dev.gatehouse.config.AdminConfig.AdminToken;
import dev.gatehouse.config.AdminConfig.Role;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real admin server on 127.0.0.1, port 0, over fake ports, and a client for it. */
final class AdminHarness {

    static final String READ_TOKEN = "read-secret";
    static final String WRITE_TOKEN = "write-secret";

    final FakePorts fakes;
    final AdminServer server;
    final WebClient client;

    private AdminHarness(FakePorts fakes, AdminServer server, WebClient client) {
        this.fakes = fakes;
        this.server = server;
        this.client = client;
    }

    static AdminConfig tokens() {
        return new AdminConfig("127.0.0.1", 0, List.of(
                new AdminToken("viewer", sha256(READ_TOKEN), Role.READ),
                new AdminToken("ops", sha256(WRITE_TOKEN), Role.WRITE)), null);
    }

    static AdminHarness start(Vertx vertx) {
        return start(vertx, tokens(), 0, true);
    }

    static AdminHarness start(Vertx vertx, AdminConfig admin, long applyDelayMs, boolean withCache) {
        FakePorts fakes = new FakePorts(vertx, applyDelayMs);
        AdminServer server = new AdminServer(vertx, fakes.ports(withCache), admin);
        await(server.start());
        WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.actualPort()));
        return new AdminHarness(fakes, server, client);
    }

    static String sha256(String token) {
        return new String(AdminAuth.sha256Hex(token), StandardCharsets.US_ASCII);
    }

    static <T> T await(Future<T> future) {
        try {
            return future.await(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out", e);
        }
    }

    HttpRequest<Buffer> request(HttpMethod method, String path, String token) {
        HttpRequest<Buffer> r = client.request(method, path);
        if (token != null) {
            r.putHeader("Authorization", "Bearer " + token);
        }
        return r;
    }

    /** Sends and waits; {@code headers} alternate name, value. */
    HttpResponse<Buffer> call(HttpMethod method, String path, String token, String json, String... headers) {
        HttpRequest<Buffer> r = request(method, path, token);
        MultiMap h = r.headers();
        for (int i = 0; i < headers.length; i += 2) {
            h.set(headers[i], headers[i + 1]);
        }
        if (json == null) {
            return await(r.send());
        }
        if (!h.contains("Content-Type")) {
            h.set("Content-Type", "application/json");
        }
        return await(r.sendBuffer(Buffer.buffer(json)));
    }

    HttpResponse<Buffer> get(String path) {
        return call(HttpMethod.GET, path, READ_TOKEN, null);
    }

    HttpResponse<Buffer> write(HttpMethod method, String path, String json, String... headers) {
        return call(method, path, WRITE_TOKEN, json, headers);
    }

    long version() {
        return fakes.config.current().version();
    }

    static JsonObject json(HttpResponse<Buffer> response) {
        return response.bodyAsJsonObject();
    }
}
