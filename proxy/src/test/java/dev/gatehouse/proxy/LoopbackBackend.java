package dev.gatehouse.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on 127.0.0.1 and an ephemeral port, plain HTTP or HTTPS (a certificate from a test CA), that counts the
 * TCP connections it has open (and the most at once) and answers by the last segment of the path:
 * {@code 503} a real 503 "busy" with {@code X-Real: yes}; {@code trailers} a chunked body with a trailer;
 * {@code hang} never; {@code delay} the echo after 10 ms; a HEAD gets {@code Content-Length: 1234} and no body;
 * anything else the echo: method, uri, the headers it received, the body's length and SHA-256, as JSON.
 */
final class LoopbackBackend {

    final String name;
    final boolean tls;
    final int port;
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger mostOpen = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    private final Vertx vertx;

    private LoopbackBackend(Vertx vertx, String name, TestCertificates.Written cert) {
        this.vertx = vertx;
        this.name = name;
        this.tls = cert != null;
        HttpServerOptions o = new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setHandle100ContinueAutomatically(true);
        if (cert != null) {
            o.setSsl(true).setKeyCertOptions(pem(cert));
        }
        HttpServer server = vertx.createHttpServer(o);
        server.connectionHandler(conn -> {
            accepted.incrementAndGet();
            mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            conn.closeHandler(v -> open.decrementAndGet());
        });
        server.requestHandler(this::handle);
        this.port = Await.result(server.listen()).actualPort();
    }

    /** An HTTP backend, or an HTTPS one when {@code cert} is not null. */
    static LoopbackBackend start(Vertx vertx, String name, TestCertificates.Written cert) {
        return new LoopbackBackend(vertx, name, cert);
    }

    /**
     * A raw TCP (or TLS) server that answers every read with {@code answer} and closes the connection: for responses no
     * HTTP server library would send. Returns its port.
     */
    static int raw(Vertx vertx, String answer, TestCertificates.Written cert) {
        NetServerOptions o = new NetServerOptions().setHost("127.0.0.1").setPort(0);
        if (cert != null) {
            o.setSsl(true).setKeyCertOptions(pem(cert));
        }
        NetServer server = vertx.createNetServer(o).connectHandler(socket -> socket.handler(buf ->
                socket.write(answer).onComplete(v -> socket.close())));
        return Await.result(server.listen()).actualPort();
    }

    private static PemKeyCertOptions pem(TestCertificates.Written cert) {
        return new PemKeyCertOptions().setCertPath(cert.cert().toString()).setKeyPath(cert.key().toString());
    }

    String url() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    private void handle(HttpServerRequest req) {
        requests.incrementAndGet();
        req.response().putHeader("X-Backend", name);
        String path = req.path();
        String last = path.substring(path.lastIndexOf('/') + 1);
        if (req.method().name().equals("HEAD")) {
            req.response().putHeader("Content-Length", "1234").putHeader("X-Head", "yes").end();
            return;
        }
        switch (last) {
            case "503" -> req.response().setStatusCode(503).putHeader("X-Real", "yes").end("busy");
            case "trailers" -> {
                req.response().setChunked(true).write("first ");
                req.response().trailers().add("X-Checksum", "abc");
                req.response().end("last");
            }
            case "hang" -> {
                // never answers: the route's timeout is what ends the request
            }
            case "delay" -> echo(req, 10);
            default -> echo(req, 0);
        }
    }

    /** The body is taken at once (a request not read now is read by Vert.x and lost); the answer after {@code delay} ms. */
    private void echo(HttpServerRequest req, long delay) {
        req.body().onSuccess(body -> {
            JsonObject headers = new JsonObject();
            req.headers().forEach(e -> {
                String k = e.getKey().toLowerCase();
                headers.put(k, headers.containsKey(k) ? headers.getString(k) + "|" + e.getValue() : e.getValue());
            });
            JsonObject out = new JsonObject()
                    .put("method", req.method().name())
                    .put("uri", req.uri())
                    .put("headers", headers)
                    .put("bodyLength", body.length())
                    .put("bodySha256", sha256(body.getBytes()));
            req.response().putHeader("Content-Type", "application/json");
            if (delay > 0) {
                vertx.setTimer(delay, t -> req.response().end(out.encode()));
            } else {
                req.response().end(out.encode());
            }
        });
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
