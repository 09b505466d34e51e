package dev.gatehouse.loadtest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Arrays;

/**
 * A benchmark anchor, not a proxy: the smallest Vert.x core forwarder (one client per event loop, epoll, 64 KiB
 * chunks, round-robin, no header hygiene, no metrics, no error handling worth the name). It measures the floor of
 * Vert.x's HTTP stack on this machine, so a Gatehouse figure can be read against what Vert.x itself allows.
 *
 * <p>{@code java -cp gatehouse.jar dev.gatehouse.loadtest.BareForwarderMain --port 18084 --backends 18101,18102}
 */
public final class BareForwarderMain {

    private BareForwarderMain() {
    }

    public static void main(String[] args) {
        int port = 18084;
        int[] backends = {18101, 18102, 18103};
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--backends" -> backends = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int loops = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
        int listen = port;
        int[] pool = backends;
        vertx.deployVerticle(() -> new Forwarder(listen, pool), new DeploymentOptions().setInstances(loops))
                .onSuccess(id -> System.out.println("bare forwarder on 127.0.0.1:" + listen))
                .onFailure(err -> {
                    System.err.println("bare forwarder: " + err.getMessage());
                    System.exit(1);
                });
    }

    private static final class Forwarder extends VerticleBase {
        private final int port;
        private final int[] backends;
        private int next;

        Forwarder(int port, int[] backends) {
            this.port = port;
            this.backends = backends;
        }

        @Override
        public Future<?> start() {
            HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setMaxChunkSize(64 * 1024).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(256));
            return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setMaxChunkSize(64 * 1024))
                    .requestHandler(req -> {
                        req.pause();
                        int backend = backends[next++ % backends.length];
                        client.request(new RequestOptions().setMethod(req.method()).setHost("127.0.0.1")
                                        .setPort(backend).setURI(req.uri()))
                                .compose(up -> {
                                    up.headers().setAll(req.headers());
                                    return up.send(req);
                                })
                                .onComplete(ar -> {
                                    if (ar.failed()) {
                                        if (!req.response().headWritten()) {
                                            req.response().setStatusCode(502).end();
                                        }
                                        return;
                                    }
                                    var res = ar.result();
                                    req.response().setStatusCode(res.statusCode());
                                    req.response().headers().setAll(res.headers());
                                    req.response().send(res);
                                });
                    })
                    .listen(port, "127.0.0.1");
        }
    }
}
