package dev.gatehouse.loadtest;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The endpoints of one demo backend. Runs on the event loop of the server that received the request; nothing
 * here blocks. Every response carries {@code X-Backend: <name>}.
 *
 * <pre>
 * GET  /health              200 "ok", or 503 "sick" after POST /admin/sick (POST /admin/well undoes it)
 * GET  /bytes/{n}           exactly n bytes, application/octet-stream; ?chunked=1 streams in 16 KiB chunks;
 *                           ?max-age=S makes it cacheable (Cache-Control: public, max-age=S) for cache benchmarks
 * POST /bytes/{n}           the same, once the request body (dropped) has been read: bench/run.sh's chunked upload
 * GET  /delay/{ms}          answers after ms milliseconds (at most 60 s)
 * GET  /status/{code}       answers with that status (200..599)
 * POST|PUT /echo            streams the request body back, with backpressure
 * GET  /headers             the request headers as a JSON object
 * GET  /ws                  WebSocket echo (text and binary)
 * any  other path           {"backend": name, "path": path}
 * </pre>
 */
final class DemoBackendHandler implements Handler<HttpServerRequest> {

    static final String BACKEND_HEADER = "X-Backend";
    static final long MAX_DELAY_MS = 60_000;

    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String OCTETS = "application/octet-stream";

    private final Vertx vertx;
    private final String name;
    private final AtomicBoolean healthy;
    private final Payloads payloads;

    DemoBackendHandler(Vertx vertx, String name, AtomicBoolean healthy, Payloads payloads) {
        this.vertx = vertx;
        this.name = name;
        this.healthy = healthy;
        this.payloads = payloads;
    }

    @Override
    public void handle(HttpServerRequest req) {
        HttpServerResponse resp = req.response();
        resp.putHeader(BACKEND_HEADER, name);
        String path = req.path();
        HttpMethod method = req.method();
        boolean get = method == HttpMethod.GET || method == HttpMethod.HEAD;
        if (path.equals("/health")) {
            requireMethod(req, get, "GET, HEAD", () -> health(resp));
        } else if (path.equals("/admin/sick") || path.equals("/admin/well")) {
            requireMethod(req, method == HttpMethod.POST, "POST", () -> {
                boolean well = path.endsWith("well");
                healthy.set(well);
                text(resp, 200, well ? "ok" : "sick");
            });
        } else if (path.startsWith("/bytes/")) {
            requireMethod(req, get || method == HttpMethod.POST, "GET, HEAD, POST",
                    () -> bytes(req, resp, path.substring("/bytes/".length())));
        } else if (path.startsWith("/delay/")) {
            delay(req, resp, path.substring("/delay/".length()));
        } else if (path.startsWith("/status/")) {
            status(resp, path.substring("/status/".length()));
        } else if (path.equals("/echo")) {
            requireMethod(req, method == HttpMethod.POST || method == HttpMethod.PUT, "POST, PUT",
                    () -> echo(req, resp));
        } else if (path.equals("/headers")) {
            requireMethod(req, get, "GET, HEAD", () -> json(resp, 200, headers(req)));
        } else if (path.equals("/ws")) {
            webSocket(req, resp);
        } else {
            json(resp, 200, new JsonObject().put("backend", name).put("path", path));
        }
    }

    private static void requireMethod(HttpServerRequest req, boolean ok, String allow, Runnable action) {
        if (ok) {
            action.run();
        } else {
            req.response().putHeader(HttpHeaders.ALLOW, allow);
            text(req.response(), 405, "method " + req.method() + " not allowed; use " + allow);
        }
    }

    private void health(HttpServerResponse resp) {
        if (healthy.get()) {
            text(resp, 200, "ok");
        } else {
            text(resp, 503, "sick");
        }
    }

    private void bytes(HttpServerRequest req, HttpServerResponse resp, String arg) {
        if (req.method() == HttpMethod.POST && !req.isEnded()) {
            // no data handler: Vert.x drops the body; answer once it is all read, as an upload handler would
            req.end().onSuccess(v -> bytes(req, resp, arg));
            return;
        }
        long n = parseLong(arg);
        if (n < 0) {
            text(resp, 400, "/bytes/{n}: \"" + arg + "\" is not a byte count (expected: a whole number >= 0)");
            return;
        }
        resp.putHeader(HttpHeaders.CONTENT_TYPE, OCTETS);
        String maxAge = req.getParam("max-age");
        if (maxAge != null) {
            long seconds = parseLong(maxAge);
            if (seconds < 0) {
                text(resp, 400, "/bytes/{n}?max-age=S: \"" + maxAge + "\" (expected: seconds, a whole number >= 0)");
                return;
            }
            resp.putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=" + seconds);
        }
        String chunked = req.getParam("chunked");
        boolean stream = "1".equals(chunked) || "true".equals(chunked);
        if (stream) {
            resp.setChunked(true);
        } else {
            resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(n));
        }
        if (req.method() == HttpMethod.HEAD) {
            resp.end();
        } else if (!stream && n <= Payloads.MAX_CACHED) {
            resp.end(payloads.of((int) n));
        } else {
            new BodyStreamer(resp, n).pump();
        }
    }

    /** Writes {@code remaining} bytes in {@link Payloads#CHUNK} slices, pausing while the write queue is full. */
    private final class BodyStreamer {
        private final HttpServerResponse resp;
        private long remaining;

        BodyStreamer(HttpServerResponse resp, long remaining) {
            this.resp = resp;
            this.remaining = remaining;
        }

        void pump() {
            while (!resp.closed()) {
                if (remaining <= Payloads.CHUNK) {
                    resp.end(payloads.of((int) remaining));
                    return;
                }
                remaining -= Payloads.CHUNK;
                resp.write(payloads.of(Payloads.CHUNK));
                if (resp.writeQueueFull()) {
                    resp.drainHandler(v -> pump());
                    return;
                }
            }
        }
    }

    private void delay(HttpServerRequest req, HttpServerResponse resp, String arg) {
        long ms = parseLong(arg);
        if (ms < 0 || ms > MAX_DELAY_MS) {
            text(resp, 400, "/delay/{ms}: \"" + arg + "\" (expected: 0.." + MAX_DELAY_MS + ")");
            return;
        }
        JsonObject body = new JsonObject().put("backend", name).put("path", req.path()).put("delay_ms", ms);
        if (ms == 0) {
            json(resp, 200, body);
            return;
        }
        vertx.timer(ms).onSuccess(v -> {
            if (!resp.closed()) {
                json(resp, 200, body);
            }
        });
    }

    private static void status(HttpServerResponse resp, String arg) {
        long code = parseLong(arg);
        if (code < 200 || code > 599) {
            text(resp, 400, "/status/{code}: \"" + arg + "\" (expected: 200..599)");
            return;
        }
        resp.setStatusCode((int) code);
        if (code == 204 || code == 304) {
            resp.end();
        } else {
            resp.putHeader(HttpHeaders.CONTENT_TYPE, TEXT).end("status " + code);
        }
    }

    private static void echo(HttpServerRequest req, HttpServerResponse resp) {
        String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
        resp.putHeader(HttpHeaders.CONTENT_TYPE, type == null ? OCTETS : type);
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            resp.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        } else {
            resp.setChunked(true);
        }
        // pipeTo pauses the request while the response's write queue is full and ends the response at the end.
        req.pipeTo(resp);
    }

    private static JsonObject headers(HttpServerRequest req) {
        JsonObject out = new JsonObject();
        for (String header : req.headers().names()) {
            List<String> values = req.headers().getAll(header);
            out.put(header, values.size() == 1 ? values.get(0) : new JsonArray(List.copyOf(values)));
        }
        return out;
    }

    private static void webSocket(HttpServerRequest req, HttpServerResponse resp) {
        if (!"websocket".equalsIgnoreCase(req.getHeader(HttpHeaders.UPGRADE))) {
            text(resp, 400, "/ws expects a WebSocket upgrade");
            return;
        }
        req.toWebSocket().onSuccess(DemoBackendHandler::echo);
    }

    private static void echo(ServerWebSocket ws) {
        ws.textMessageHandler(text -> {
            ws.writeTextMessage(text);
            throttle(ws);
        });
        ws.binaryMessageHandler(data -> {
            ws.writeBinaryMessage(data);
            throttle(ws);
        });
    }

    private static void throttle(ServerWebSocket ws) {
        if (ws.writeQueueFull()) {
            ws.pause();
            ws.drainHandler(v -> ws.resume());
        }
    }

    private static void json(HttpServerResponse resp, int status, JsonObject body) {
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body.encode());
    }

    private static void text(HttpServerResponse resp, int status, String body) {
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, TEXT).end(body);
    }

    /** The number, or -1 when {@code s} is not a whole number of at most 18 digits. */
    private static long parseLong(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }
}
