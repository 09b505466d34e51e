package dev.gatehouse.app;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.tls.SelfSignedCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Listeners changed by reloading the node's file, with real connections: one added, its port changed (a request in
 * flight on the old port finishes, then the old port refuses), TLS enabled on it, its certificate changed, a port
 * that cannot be bound (the listener keeps serving where it was, the reload reports it), then removed.
 */
class ListenerReloadIT {

    @TempDir
    Path dir;
    Vertx backends = Vertx.vertx();
    Vertx vertx;
    Node node;

    @AfterEach
    void stop() {
        if (node != null) {
            TestNodes.await(node.stop());
        }
        if (vertx != null) {
            TestNodes.await(vertx.close());
        }
        TestNodes.await(backends.close());
    }

    String yaml(int backend, String extraListener) {
        Path data = dir.resolve("data");
        int port = clusterPort;
        return "data-dir: " + data + "\n"
                + "cluster: { name: listeners-" + port + ", host: 127.0.0.1, port: " + port + ", members: [127.0.0.1:"
                + port + "], secret-file: \"" + TestNodes.secretFile(data, TestNodes.SECRET) + "\" }\n"
                + "shutdown: { readiness-delay: 0s, drain-timeout: 10s }\n"
                + "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + (extraListener == null ? "" : "  - " + extraListener + "\n")
                + TestNodes.ADMIN_YAML
                + "pools: [ { name: p, backends: [ { url: \"http://127.0.0.1:" + backend + "\" } ] } ]\n"
                + "routes: [ { name: all, pool: p, match: { path-prefix: / } } ]\n";
    }

    final int clusterPort = TestNodes.freePort();

    ConfigReloader.Result reload(ConfigReloader reloader, Path file, String content) throws IOException {
        Files.writeString(file, content);
        return TestNodes.await(reloader.reload());
    }

    static HttpResponse<String> get(int port, String path) {
        return TestNodes.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .version(java.net.http.HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(20)).build());
    }

    static boolean refuses(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One HTTPS GET over a fresh connection: the DNS names of the certificate presented, then the response. */
    static String[] https(int port, String path) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.startHandshake();
            X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return new String[] {String.valueOf(leaf.getSubjectAlternativeNames()), response};
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void listenersAreAddedMovedSecuredAndRemovedByAReload() throws Exception {
        java.util.concurrent.CountDownLatch slowArrived = new java.util.concurrent.CountDownLatch(1);
        HttpServer backend = TestNodes.await(backends.createHttpServer().requestHandler(req -> {
            if (req.path().startsWith("/slow/")) {
                slowArrived.countDown();
                backends.setTimer(2000, id -> req.response().end("slow done"));
                return;
            }
            req.response().end("one");
        }).listen(0, "127.0.0.1"));
        int b = backend.actualPort();
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, yaml(b, null));
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        node = TestNodes.await(Node.start(vertx, ConfigParser.readFile(file), false, file));
        ConfigReloader reloader = new ConfigReloader(node, file);
        int publicPort = node.proxy.port("public");

        // Added.
        int p1 = TestNodes.freePort();
        ConfigReloader.Result added = reload(reloader, file, yaml(b, "{ name: extra, host: 127.0.0.1, port: " + p1 + " }"));
        assertThat(added.ok()).as(added.lines().toString()).isTrue();
        assertThat(added.lines()).contains("config unchanged: version 1 already holds the file's pools/routes/cache",
                "listener extra: added");
        assertThat(get(p1, "/x").body()).isEqualTo("one");
        assertThat(node.proxy.port("public")).isEqualTo(publicPort);

        // A setting changed on the same port: the new listener shares the old one's socket.
        ConfigReloader.Result tuned = reload(reloader, file,
                yaml(b, "{ name: extra, host: 127.0.0.1, port: " + p1 + ", idle-timeout: 30s }"));
        assertThat(tuned.ok()).as(tuned.lines().toString()).isTrue();
        assertThat(tuned.lines()).contains("listener extra: settings changed");
        assertThat(get(p1, "/x").body()).isEqualTo("one");

        // Moved: a request in flight on the old port finishes; then the old port refuses.
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> get(p1, "/slow/x"));
        assertThat(slowArrived.await(20, TimeUnit.SECONDS)).isTrue();
        int p2 = TestNodes.freePort();
        ConfigReloader.Result moved = reload(reloader, file, yaml(b, "{ name: extra, host: 127.0.0.1, port: " + p2 + " }"));
        assertThat(moved.ok()).as(moved.lines().toString()).isTrue();
        assertThat(moved.lines()).contains("listener extra: address 127.0.0.1:" + p1 + " -> 127.0.0.1:" + p2);
        assertThat(get(p2, "/x").body()).isEqualTo("one");
        assertThat(node.proxy.port("extra")).isEqualTo(p2);
        HttpResponse<String> slow = inFlight.get(20, TimeUnit.SECONDS);
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(slow.body()).isEqualTo("slow done");
        await().atMost(Duration.ofSeconds(15)).until(() -> refuses(p1));

        // TLS enabled on the same port.
        SelfSignedCertificates.DevFiles first = SelfSignedCertificates.writeDevCaAndLeaf("localhost", dir.resolve("c1"));
        String tls1 = "tls: { certificates: [ { cert: \"" + first.cert() + "\", key: \"" + first.key() + "\" } ] }";
        ConfigReloader.Result secured = reload(reloader, file,
                yaml(b, "{ name: extra, host: 127.0.0.1, port: " + p2 + ", " + tls1 + " }"));
        assertThat(secured.ok()).as(secured.lines().toString()).isTrue();
        assertThat(secured.lines()).contains("listener extra: TLS enabled");
        String[] r1 = https(p2, "/x");
        assertThat(r1[0]).contains("localhost");
        assertThat(r1[1]).startsWith("HTTP/1.1 200").endsWith("one");

        // Its certificate changed (other files) on the same port: new handshakes present the new one.
        SelfSignedCertificates.DevFiles second = SelfSignedCertificates.writeDevCaAndLeaf("reloaded.test",
                dir.resolve("c2"));
        String tls2 = "tls: { certificates: [ { cert: \"" + second.cert() + "\", key: \"" + second.key() + "\" } ] }";
        ConfigReloader.Result rekeyed = reload(reloader, file,
                yaml(b, "{ name: extra, host: 127.0.0.1, port: " + p2 + ", " + tls2 + " }"));
        assertThat(rekeyed.ok()).as(rekeyed.lines().toString()).isTrue();
        assertThat(rekeyed.lines()).contains("listener extra: TLS changed");
        await().atMost(Duration.ofSeconds(10)).until(() -> https(p2, "/x")[0].contains("reloaded.test"));
        assertThat(https(p2, "/x")[1]).startsWith("HTTP/1.1 200").endsWith("one");

        // A port that cannot be bound: reported, and the listener keeps serving where it was.
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ConfigReloader.Result failed = reload(reloader, file,
                    yaml(b, "{ name: extra, host: 127.0.0.1, port: " + taken.getLocalPort() + ", " + tls2 + " }"));
            assertThat(failed.ok()).isFalse();
            assertThat(failed.lines()).anyMatch(l -> l.startsWith("ERROR listener extra: address 127.0.0.1:" + p2
                    + " -> 127.0.0.1:" + taken.getLocalPort() + " failed: "));
            assertThat(https(p2, "/x")[1]).startsWith("HTTP/1.1 200").endsWith("one");
            assertThat(node.proxy.port("extra")).isEqualTo(p2);
        }

        // Removed.
        ConfigReloader.Result removed = reload(reloader, file, yaml(b, null));
        assertThat(removed.ok()).as(removed.lines().toString()).isTrue();
        assertThat(removed.lines()).contains("listener extra: removed (requests in flight drain)");
        await().atMost(Duration.ofSeconds(15)).until(() -> refuses(p2));
        assertThat(node.proxy.ports()).containsOnlyKeys("public");
        assertThat(get(publicPort, "/x").body()).isEqualTo("one");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTlsFileThatDoesNotLoadRefusesTheWholeReload() throws Exception {
        HttpServer backend = TestNodes.backend(backends, "one");
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, yaml(backend.actualPort(), null));
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        node = TestNodes.await(Node.start(vertx, ConfigParser.readFile(file), false, file));
        ConfigReloader reloader = new ConfigReloader(node, file);
        int p1 = TestNodes.freePort();
        String missing = "tls: { certificates: [ { cert: \"" + dir.resolve("none.pem") + "\", key: \""
                + dir.resolve("none.key") + "\" } ] }";
        ConfigReloader.Result r = reload(reloader, file, yaml(backend.actualPort(),
                "{ name: extra, host: 127.0.0.1, port: " + p1 + ", " + missing + " }").replace("path-prefix: /",
                "path-prefix: /changed/"));
        assertThat(r.ok()).isFalse();
        assertThat(r.invalid()).isTrue();
        assertThat(r.lines().get(0)).contains("refused, nothing changed");
        assertThat(r.lines()).anyMatch(l -> l.contains("listeners[1].tls.certificates[0].cert"));
        assertThat(refuses(p1)).isTrue();
        assertThat(node.store.current().version()).isEqualTo(1);
        assertThat(node.proxy.ports()).containsOnlyKeys("public");
    }
}
