package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** A successful answer, written by {@link Endpoint#adapt}. */
record Reply(int status, String contentType, Buffer body, Map<String, String> headers) {

    static final String JSON = "application/json";

    static Reply json(int status, JsonNode body) {
        return new Reply(status, JSON, Json.encode(body), Map.of());
    }

    static Reply json(JsonNode body) {
        return json(200, body);
    }

    /** Adds {@code ETag: "<version>"} and {@code X-Config-Version}, so a client can send {@code If-Match}. */
    Reply version(long version) {
        return header("ETag", Versions.etag(version)).header("X-Config-Version", Long.toString(version));
    }

    Reply header(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(status, contentType, body, h);
    }

    void send(HttpServerResponse response) {
        response.setStatusCode(status);
        headers.forEach(response::putHeader);
        response.putHeader("Content-Type", contentType);
        response.putHeader("Cache-Control", "no-store");
        response.end(body);
    }
}
