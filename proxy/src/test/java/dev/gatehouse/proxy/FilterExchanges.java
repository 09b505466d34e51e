package dev.gatehouse.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Real exchanges for filter unit tests: a loopback server hands each real request, wrapped in an {@link Exchange}
 * that is never started, to the check under test, on the request's own event loop.
 */
final class FilterExchanges implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final HttpClient client;
    private volatile Function<RequestView, Object> check;

    FilterExchanges() throws Exception {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(req -> {
                    Object result = check.apply(view(req));
                    pending.complete(result);
                    req.response().end();
                });
        server.listen().await(5, TimeUnit.SECONDS);
        client = vertx.createHttpClient();
    }

    private volatile CompletableFuture<Object> pending;

    private RequestView view(io.vertx.core.http.HttpServerRequest req) {
        return new RequestView() {
            io.vertx.core.json.JsonObject claims;

            public HttpMethod method() { return req.method(); }
            public String path() { return req.path(); }
            public String header(CharSequence name) { return req.headers().get(name); }
            public io.vertx.core.MultiMap headers() { return req.headers(); }
            public String clientAddress() { return req.remoteAddress().host(); }
            public String requestId() { return "test"; }
            public Vertx vertx() { return vertx; }
            public io.vertx.core.json.JsonObject claims() { return claims; }
            public void claims(io.vertx.core.json.JsonObject c) { claims = c; }
        };
    }

    /** What {@code check} returned for a GET carrying {@code headers}. */
    synchronized Object run(Map<String, String> headers, Function<RequestView, Object> check) throws Exception {
        this.check = check;
        pending = new CompletableFuture<>();
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(server.actualPort())
                .setMethod(HttpMethod.GET).setURI("/");
        headers.forEach(o::addHeader);
        client.request(o).compose(r -> r.send().compose(resp -> resp.body())).await(5, TimeUnit.SECONDS);
        return pending.get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(5, TimeUnit.SECONDS);
    }
}
