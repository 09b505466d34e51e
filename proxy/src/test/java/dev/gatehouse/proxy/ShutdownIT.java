package dev.gatehouse.proxy;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A graceful shutdown lets requests in flight finish, on the fast path and on the full path alike. */
class ShutdownIT {

    @Test
    void requestsInFlightFinishThenTheirConnectionsClose() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(1, ProxyHarness.simple(1, "", ""))) {
            h.backends[0].handler = req -> req.body().onSuccess(body -> h.vertx.setTimer(500, id -> req.response()
                    .putHeader("Content-Type", "application/json")
                    .end(new io.vertx.core.json.JsonObject().put("uri", req.uri()).put("bodyLength", body.length())
                            .encode())));
            try (RawHttp fast = RawHttp.connect(h.port()); RawHttp full = RawHttp.connect(h.port());
                 RawHttp idle = RawHttp.connect(h.port())) {
                assertThat(idle.write("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
                int before = h.backends[0].hits.get();
                fast.write("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
                // Chunked: the full path's.
                full.write("POST /slow HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
                // Both requests are in flight once the backend has them (it holds each for 500 ms).
                await().atMost(Duration.ofSeconds(10)).until(() -> h.backends[0].hits.get() >= before + 2);
                assertThat(h.backends[0].hits.get()).isEqualTo(before + 2);

                Future<Void> stopping = h.proxy.shutdown(Duration.ofSeconds(5));

                // The idle keep-alive connection goes at once; the busy ones after their answers.
                assertThat(idle.closedWithin(Duration.ofSeconds(2))).isTrue();
                RawHttp.Response f = fast.read();
                RawHttp.Response p = full.read();
                assertThat(f.status()).isEqualTo(200);
                assertThat(f.json().getString("uri")).isEqualTo("/slow");
                assertThat(p.status()).isEqualTo(200);
                assertThat(p.json().getInteger("bodyLength")).isEqualTo(2);
                assertThat(fast.closedWithin(Duration.ofSeconds(5))).isTrue();
                assertThat(full.closedWithin(Duration.ofSeconds(5))).isTrue();
                Await.result(stopping);
            }
        }
    }
}
