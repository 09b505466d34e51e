package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Exchange;
import dev.gatehouse.proxy.engine.ProxyError;
import dev.gatehouse.proxy.engine.ProxyHandler;
import dev.gatehouse.proxy.engine.RoutedRequest;
import dev.gatehouse.proxy.route.CompiledRoute;
import dev.gatehouse.proxy.upstream.UpstreamTls;
import dev.gatehouse.proxy.vertx.VertxInternals;

import dev.gatehouse.proxy.balance.Backend;
import io.netty.buffer.Unpooled;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;

import java.util.Locale;

/**
 * A WebSocket tunnel, the engine's upstream phase for an upgrade request: the handshake is forwarded with the same
 * forwarding headers as any request, then bytes flow both ways until either side closes. A backend that refuses the
 * upgrade has its answer relayed. Upgrades arrive over {@link VertxDownstream} (the raw HTTP/1.1 transport hands
 * them to Vert.x) and use Vert.x's client, whose connections are not shared with anything else.
 */
final class Tunnel {

    private final Exchange exchange;
    private final ProxyHandler proxy;
    private final HttpServerRequest request;
    private final HttpServerResponse response;

    Tunnel(Exchange exchange, ProxyHandler proxy, HttpServerRequest request) {
        this.exchange = exchange;
        this.proxy = proxy;
        this.request = request;
        this.response = request.response();
    }

    void start() {
        CompiledRoute route = exchange.route;
        Backend b = route.pool.select(exchange);
        if (b == null) {
            exchange.fail(ProxyError.NO_HEALTHY_BACKEND, "no backend for upgrade");
            return;
        }
        RoutedRequest.Claim claim = exchange.tunnelTry(b);
        RequestOptions target = UpstreamTls.target(route.pool.config, b, new RequestOptions())
                .setMethod(HttpMethod.GET).setURI(exchange.upstreamUri());
        proxy.clients.client(route.pool).request(target)
                .compose(up -> {
                    // Failures arrive through connect() and then the two sockets' handlers.
                    up.exceptionHandler(err -> { });
                    exchange.tunnelHeaders(up.headers());
                    if (exchange.hostHeader() != null) {
                        up.headers().set(HttpHeaders.HOST, exchange.hostHeader());
                    }
                    up.headers().set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE);
                    up.headers().set(HttpHeaders.UPGRADE, request.getHeader(HttpHeaders.UPGRADE));
                    return up.connect();
                })
                .onComplete(ar -> {
                    if (ar.failed()) {
                        exchange.tunnelFailed(claim, ar.cause());
                        return;
                    }
                    HttpClientResponse res = ar.result();
                    if (res.statusCode() != 101) {
                        MultiMap headers = res.headers();
                        res.body().onComplete(body -> exchange.tunnelRefused(claim, res.statusCode(), headers,
                                body.succeeded() ? VertxInternals.byteBuf(body.result())
                                        : Unpooled.EMPTY_BUFFER));
                        return;
                    }
                    exchange.tunnelOpened(b);
                    response.setStatusCode(101);
                    MultiMap out = response.headers();
                    for (var e : res.headers()) {
                        String n = e.getKey().toLowerCase(Locale.ROOT);
                        if (!n.equals("content-length") && !n.equals("transfer-encoding")) {
                            out.add(e.getKey(), e.getValue());
                        }
                    }
                    NetSocket upstreamSocket = res.netSocket();
                    request.toNetSocket().onComplete(ds -> {
                        if (ds.failed()) {
                            upstreamSocket.close();
                            exchange.tunnelClosed(claim);
                            return;
                        }
                        splice(ds.result(), upstreamSocket, claim);
                    });
                });
    }

    private void splice(NetSocket downstream, NetSocket upstreamSocket, RoutedRequest.Claim claim) {
        pump(downstream, upstreamSocket);
        pump(upstreamSocket, downstream);
        downstream.closeHandler(v -> {
            upstreamSocket.close();
            exchange.tunnelClosed(claim);
        });
        upstreamSocket.closeHandler(v -> {
            downstream.close();
            exchange.tunnelClosed(claim);
        });
    }

    private static void pump(NetSocket from, NetSocket to) {
        from.handler(buf -> {
            to.write(buf);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
        from.exceptionHandler(err -> from.close());
    }
}
