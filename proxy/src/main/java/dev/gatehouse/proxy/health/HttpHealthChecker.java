package dev.gatehouse.proxy.health;

import dev.gatehouse.proxy.upstream.UpstreamTls;

import dev.gatehouse.config.HealthCheckConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET path} on the backend; healthy when the status is in the expected ranges and, if configured, the body
 * contains the expected text. Uses its own small client so probes never queue behind traffic.
 */
final class HttpHealthChecker implements HealthChecker {

    private final HealthCheckConfig config;
    private final PoolConfig pool;
    private final HttpClientAgent client;
    private final int[][] ranges;

    HttpHealthChecker(Vertx vertx, HealthCheckConfig config, PoolConfig pool) {
        this.config = config;
        this.pool = pool;
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) config.timeout().toMillis())
                .setKeepAlive(true)
                .setKeepAliveTimeout((int) Math.max(1, config.interval().toSeconds() * 3))
                .setVerifyHost(true);
        // https:// backends are verified as requests verify them: the pool's CA, server-name, client certificate.
        UpstreamTls.configure(pool, options);
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(1));
        this.ranges = parseRanges(config.expectStatus());
    }

    static int[][] parseRanges(String spec) {
        List<int[]> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            int dash = p.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
            int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).trim());
            out.add(new int[] {lo, hi});
        }
        return out.toArray(int[][]::new);
    }

    boolean statusOk(int status) {
        for (int[] r : ranges) {
            if (status >= r[0] && status <= r[1]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Future<Void> check(Backend backend) {
        RequestOptions options = UpstreamTls.target(pool, backend, new RequestOptions())
                .setMethod(HttpMethod.GET)
                .setURI(config.path());
        return client.request(options)
                .compose(req -> {
                    if (config.host() != null) {
                        req.authority(HostAndPort.parseAuthority(config.host(), -1));
                    }
                    req.putHeader("User-Agent", "gatehouse-health-check");
                    return req.send();
                })
                .compose(this::verify)
                .timeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private Future<Void> verify(HttpClientResponse res) {
        if (!statusOk(res.statusCode())) {
            return res.end().transform(ar -> Future.failedFuture("status " + res.statusCode()));
        }
        if (config.expectBody() == null) {
            return res.end();
        }
        return res.body().compose(body -> body.toString().contains(config.expectBody())
                ? Future.succeededFuture()
                : Future.failedFuture("body does not contain \"" + config.expectBody() + "\""));
    }

    @Override
    public Future<Void> close() {
        return client.close();
    }
}
