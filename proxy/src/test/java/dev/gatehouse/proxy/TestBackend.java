package dev.gatehouse.proxy;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on 127.0.0.1 and an ephemeral port. By default it answers every request with its name and
 * what it received (method, uri, headers) as JSON, and echoes WebSocket messages; tests swap the handlers to make
 * it slow, sick or odd.
 */
final class TestBackend {

    final String name;
    final Vertx vertx;
    final AtomicInteger hits = new AtomicInteger();
    final CopyOnWriteArrayList<HttpServerRequest> seen = new CopyOnWriteArrayList<>();
    volatile Handler<HttpServerRequest> handler = TestBackend::echo;
    volatile Handler<ServerWebSocket> webSocketHandler = TestBackend::echo;
    final AtomicInteger webSocketsClosed = new AtomicInteger();
    private HttpServer server;
    private int port;

    private TestBackend(Vertx vertx, String name) {
        this.vertx = vertx;
        this.name = name;
    }

    static TestBackend start(Vertx vertx, String name) {
        TestBackend b = new TestBackend(vertx, name);
        b.listen(0);
        return b;
    }

    private void listen(int p) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(p)
                .setMaxChunkSize(64 * 1024));
        server.requestHandler(req -> {
            hits.incrementAndGet();
            req.response().putHeader("X-Backend", name);
            handler.handle(req);
        });
        server.webSocketHandler(ws -> {
            hits.incrementAndGet();
            ws.closeHandler(v -> webSocketsClosed.incrementAndGet());
            webSocketHandler.handle(ws);
        });
        server = Await.result(server.listen());
        port = server.actualPort();
    }

    int port() {
        return port;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Closes the listening socket and all connections, as a crashed process would. */
    void kill() {
        Await.result(server.close());
    }

    /** Listens again on the same port after {@link #kill()}. */
    void restart() {
        listen(port);
    }

    static void echo(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            JsonObject headers = new JsonObject();
            req.headers().forEach(e -> {
                String k = e.getKey().toLowerCase();
                headers.put(k, headers.containsKey(k) ? headers.getString(k) + "|" + e.getValue() : e.getValue());
            });
            JsonObject out = new JsonObject()
                    .put("backend", req.response().headers().get("X-Backend"))
                    .put("method", req.method().name())
                    .put("uri", req.uri())
                    .put("version", req.version().name())
                    .put("headers", headers)
                    .put("bodyLength", body.length());
            req.response().putHeader("Content-Type", "application/json").end(out.encode());
        });
    }

    /** Echoes text and binary messages; the text message "close" makes the backend close the WebSocket. */
    static void echo(ServerWebSocket ws) {
        ws.textMessageHandler(text -> {
            if (text.equals("close")) {
                ws.close((short) 1000, "backend closes");
            } else {
                ws.writeTextMessage(text);
            }
        });
        ws.binaryMessageHandler(ws::writeBinaryMessage);
    }

    Future<Void> close() {
        return server.close();
    }
}
