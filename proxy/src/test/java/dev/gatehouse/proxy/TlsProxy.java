package dev.gatehouse.proxy;

import dev.gatehouse.proxy.listener.ServerTls;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.TlsEngine;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The proxy with TLS listeners as a node runs it: {@link ServerTls} loads the config's certificates (and watches
 * them), then the listeners start on two event loops. {@code ${b0}}, {@code ${b1}}… in the YAML stand for the URLs of
 * plain test backends started first; listeners use ephemeral ports on 127.0.0.1.
 */
final class TlsProxy implements AutoCloseable {

    final Vertx vertx;
    final TestBackend[] backends;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ServerTls tls;
    final GatehouseProxy proxy;

    private TlsProxy(Vertx vertx, TestBackend[] backends, String yaml) {
        this.vertx = vertx;
        this.backends = backends;
        GatehouseConfig config = ConfigParser.parse(yaml);
        this.tls = ServerTls.load(config, registry);
        try {
            this.proxy = Await.result(GatehouseProxy.start(vertx, config, new ProxyRuntime(config.shared(), 1), tls));
        } catch (RuntimeException e) {
            tls.close();
            throw e;
        }
    }

    /**
     * As {@link #start(int, String)} with {@code tls-engine} set to {@code engine}; fails unless the listeners really
     * got that engine (no silent fallback to the JDK's).
     */
    static TlsProxy start(TlsEngine engine, int backendCount, String yaml) {
        TlsProxy p = start(backendCount, "tls-engine: " + engine.name().toLowerCase() + "\n" + yaml);
        if (p.tls.engine() != engine) {
            p.close();
            throw new AssertionError("asked for the " + engine + " TLS engine, the listeners got " + p.tls.engine());
        }
        return p;
    }

    static TlsProxy start(int backendCount, String yaml) {
        // The transport a node runs on: native where available, so each event loop accepts on its own socket.
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
        try {
            TestBackend[] backends = new TestBackend[backendCount];
            String text = yaml;
            for (int i = 0; i < backendCount; i++) {
                backends[i] = TestBackend.start(vertx, "b" + i);
                text = text.replace("${b" + i + "}", backends[i].url());
            }
            return new TlsProxy(vertx, backends, text);
        } catch (RuntimeException e) {
            Await.result(vertx.close());
            throw e;
        }
    }

    int port(String listener) {
        return proxy.port(listener);
    }

    @Override
    public void close() {
        tls.close();
        Await.result(vertx.close());
    }
}
