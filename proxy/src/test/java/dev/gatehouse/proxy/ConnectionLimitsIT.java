package dev.gatehouse.proxy;

import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Listener {@code max-connections}, {@code send-timeout} and {@code header-timeout} on every keep-alive request,
 * against a real backend over raw sockets, on both request paths (HTTP/1.1 GET: fast path; HTTP/1.0: Vert.x).
 */
class ConnectionLimitsIT {

    private static final int BIG = 32 * 1024 * 1024;
    private static final String GET = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";

    private Vertx vertx;
    private TestBackend backend;
    private GatehouseProxy proxy;
    private MeterRegistry registry;
    private final List<RawHttp> sockets = new ArrayList<>();

    @AfterEach
    void stop() {
        sockets.forEach(RawHttp::close);
        if (vertx != null) {
            Await.result(vertx.close());
        }
    }

    private void start(String listenerExtra) {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        backend = TestBackend.start(vertx, "b0");
        Buffer big = Buffer.buffer(new byte[BIG]);
        backend.handler = req -> {
            if (req.path().equals("/big")) {
                req.response().end(big);
            } else {
                TestBackend.echo(req);
            }
        };
        GatehouseConfig config = ConfigParser.parse("""
                listeners:
                  - { name: public, host: 127.0.0.1, port: 0, %s }
                pools:
                  - { name: p, max-connections: 1, backends: [ { url: "%s" } ] }
                routes:
                  - { name: r, pool: p, match: { path-prefix: / } }
                """.formatted(listenerExtra, backend.url()));
        ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
        registry = new SimpleMeterRegistry();
        ProxyMetrics metrics = new ProxyMetrics(registry, runtime, ProxyMetrics.Settings.DEFAULT);
        proxy = Await.result(GatehouseProxy.start(vertx, config, runtime, null, metrics, null));
    }

    private RawHttp connect() {
        return connect(-1);
    }

    private RawHttp connect(int receiveBuffer) {
        RawHttp c = RawHttp.connect(proxy.port("public"), receiveBuffer);
        sockets.add(c);
        return c;
    }

    private double counter(String name) {
        // Listener meters appear with the first count (or connection that Vert.x sees).
        io.micrometer.core.instrument.Counter c = registry.find(name).tag("listener", "public").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceWhileTheOthersWork() {
        start("max-connections: 2");
        RawHttp first = connect();
        RawHttp second = connect();
        // Spread over both event loops, and counted together.
        assertThat(first.write(GET).read().status()).isEqualTo(200);
        assertThat(second.write(GET).read().status()).isEqualTo(200);

        RawHttp third = connect();
        try {
            third.write(GET);
        } catch (UncheckedIOException e) {
            // Already closed: refused as well.
        }
        assertThat(third.closedWithin(Duration.ofSeconds(5))).isTrue();
        assertThat(counter("gatehouse.connections.refused")).isEqualTo(1.0);

        // The admitted ones were not disturbed.
        assertThat(first.write(GET).read().status()).isEqualTo(200);
        assertThat(second.write(GET).read().status()).isEqualTo(200);

        // A slot frees when one closes.
        first.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (RawHttp next = RawHttp.connect(proxy.port("public"))) {
                next.timeout(Duration.ofSeconds(2));
                assertThat(next.write(GET).read().status()).isEqualTo(200);
            }
        });
        assertThat(second.write(GET).read().status()).isEqualTo(200);
    }

    @Test
    void aClientThatStopsReadingIsCutOffAndItsUpstreamReleasedOnTheFastPath() {
        slowReaderIsCutOff("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    @Test
    void aClientThatStopsReadingIsCutOffAndItsUpstreamReleasedOnTheFullPath() {
        slowReaderIsCutOff("GET /big HTTP/1.0\r\nHost: x\r\n\r\n");
    }

    private void slowReaderIsCutOff(String request) {
        start("send-timeout: 300ms");
        // A small receive window; 32 MiB is far more than the kernel buffers on both sides hold.
        RawHttp slow = connect(4096);
        slow.write(request);
        // Reads nothing: the proxy's buffers fill up, the connection stays unwritable and is closed.
        await().atMost(Duration.ofSeconds(15)).until(() -> counter("gatehouse.connections.send.timeouts") == 1.0);
        assertThat(slow.closedWithin(Duration.ofSeconds(10))).isTrue();

        // The pool has one connection per backend: it was released, not left streaming into the dead client.
        RawHttp other = connect();
        RawHttp.Response r = other.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).hasSize(BIG);
        assertThat(other.write(GET).read().status()).isEqualTo(200);
    }

    @Test
    void aLaterHeadTrickledOnAKeepAliveConnectionIsCutOffAfterHeaderTimeout() {
        start("header-timeout: 300ms, idle-timeout: 5s");
        RawHttp c = connect();
        assertThat(c.write(GET).read().status()).isEqualTo(200);

        byte[] head = "GET /second HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        boolean closed = false;
        // One byte per 100 ms: each resets the idle timer, none completes the head.
        for (int i = 0; i < head.length && !closed; i++) {
            try {
                c.write(new byte[] {head[i]});
            } catch (UncheckedIOException e) {
                closed = true;
                break;
            }
            closed = c.closedWithin(Duration.ofMillis(100));
        }
        assertThat(closed).as("closed before the trickled head was complete").isTrue();
        // Trickling the whole head takes over 9 s; the bound is generous for a loaded machine yet still says the
        // 300 ms header timeout cut it off, not the end of the head.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void aLaterHeadSplitOverReadsWithinHeaderTimeoutIsServed() {
        start("header-timeout: 2s");
        RawHttp c = connect();
        assertThat(c.write(GET).read().status()).isEqualTo(200);
        c.write("GET /second HTTP/1.1\r\nHo");
        assertThat(c.closedWithin(Duration.ofMillis(200))).isFalse();
        assertThat(c.write("st: x\r\n\r\n").read().status()).isEqualTo(200);
        assertThat(c.write(GET).read().status()).isEqualTo(200);
    }

    @Test
    void anIdleKeepAliveConnectionIsLeftToIdleTimeout() {
        start("header-timeout: 300ms, idle-timeout: 4s");
        RawHttp c = connect();
        assertThat(c.write(GET).read().status()).isEqualTo(200);
        // Many header timeouts pass with nothing sent: still open, and still usable. A bounded observation window
        // (four header timeouts), well short of the idle timeout so a slow client thread cannot reach it.
        assertThat(c.closedWithin(Duration.ofMillis(1200))).isFalse();
        assertThat(c.write(GET).read().status()).isEqualTo(200);
        // Idle timeout closes it in the end.
        assertThat(c.closedWithin(Duration.ofSeconds(15))).isTrue();
    }

    @Test
    void anIdleHttp2ConnectionIsClosedByIdleTimeout() throws IOException {
        start("header-timeout: 300ms, idle-timeout: 1s");
        RawHttp c = connect();
        // The h2c preface and an empty SETTINGS frame: an HTTP/2 connection that then sends nothing.
        c.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        c.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
        long started = System.nanoTime();
        assertThat(c.closedWithin(Duration.ofSeconds(5))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(700));
    }
}
