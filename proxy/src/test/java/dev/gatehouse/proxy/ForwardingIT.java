package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

class ForwardingIT {

    static ProxyHarness h;

    @BeforeAll
    static void start() {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", ""));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void forwardsRequestAndResponse() {
        HttpResponse<String> r = h.get("/hello?x=1");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(r.body());
        assertThat(body.getString("uri")).isEqualTo("/hello?x=1");
        assertThat(r.headers().firstValue("x-backend")).hasValue("b0");
        assertThat(r.headers().firstValue("via")).hasValue("1.1 gatehouse");
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
    }

    @Test
    void passesHostAndAddsForwardingHeaders() {
        HttpResponse<String> r = h.send(HttpRequest.newBuilder(h.uri("/h")).header("X-Forwarded-For", "6.6.6.6")
                .header("X-Request-Id", "abc-123").GET().build());
        JsonObject headers = new JsonObject(r.body()).getJsonObject("headers");
        assertThat(headers.getString("host")).isEqualTo("127.0.0.1:" + h.port());
        // Not a trusted proxy: the client's claim is replaced, not extended.
        assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
        assertThat(headers.getString("x-forwarded-host")).isEqualTo("127.0.0.1:" + h.port());
        assertThat(headers.getString("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"127.0.0.1:" + h.port() + "\"");
        assertThat(headers.getString("via")).isEqualTo("1.1 gatehouse");
        assertThat(headers.getString("x-request-id")).isEqualTo("abc-123");
        assertThat(r.headers().firstValue("x-request-id")).hasValue("abc-123");
    }
}
