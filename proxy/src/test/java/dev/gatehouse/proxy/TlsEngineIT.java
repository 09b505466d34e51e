package dev.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.TlsEngine;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.proxy.listener.ServerTls;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The engine {@code tls-engine} names is the one that really runs the handshakes: a Vert.x server with a TLS
 * listener's options (as {@link ServerTls} configures them) answers with the class of its side of the session.
 */
class TlsEngineIT {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = TlsEngine.class, names = {"JDK", "OPENSSL"})
    void theServerSideSessionIsTheConfiguredEngines(TlsEngine engine) throws Exception {
        TestCertificates pki = TestCertificates.in(Files.createDirectories(dir.resolve(engine.name())), "Engine CA");
        Written site = pki.leaf("site", "localhost");
        GatehouseConfig config = ConfigParser.parse("tls-engine: " + engine.name().toLowerCase() + "\n"
                + "listeners:\n  - name: tls\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + site.yaml() + " ] }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"http://127.0.0.1:1\" } ]\n"
                + "routes:\n  - { name: r, pool: p, match: { path-prefix: / } }\n");
        Vertx vertx = Vertx.vertx();
        try (ServerTls tls = ServerTls.load(config, null)) {
            HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
            tls.configure(config.listeners().get(0), options);
            HttpServer server = Await.result(vertx.createHttpServer(options)
                    .requestHandler(req -> req.response().end(req.connection().sslSession().getClass().getName()))
                    .listen());
            HttpClient http = TlsClients.http(TlsClients.context(pki.caFile, null), HttpClient.Version.HTTP_1_1);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("https://localhost:" + server.actualPort() + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(tls.engine()).isEqualTo(engine);
            if (engine == TlsEngine.OPENSSL) {
                assertThat(r.body()).contains("io.netty.handler.ssl.").containsIgnoringCase("OpenSsl");
            } else {
                assertThat(r.body()).startsWith("sun.security.ssl.");
            }
        } finally {
            Await.result(vertx.close());
        }
    }
}
