package dev.gatehouse.app;

import dev.gatehouse.config.AdminConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.loadtest.DemoBackends;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code gatehouse demo}: three demo backends on 9001-9003 and a node in front of them. The admin API takes no write
 * without a token, so each run makes a random write token, configures its SHA-256 and prints the token once.
 */
final class Demo {

    private Demo() {
    }

    static int run(Args args, PrintStream out, PrintStream err) {
        GatehouseConfig parsed = args.get("--config") != null
                ? ConfigParser.readFile(Path.of(args.get("--config")))
                : ConfigParser.parse(demoYaml());
        String token = newToken();
        GatehouseConfig config = withWriteToken(parsed, token);
        Vertx vertx = Node.newVertx();
        try {
            DemoBackends backends = DemoBackends.start(vertx, List.of(9001, 9002, 9003))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Node node = Node.start(vertx, config, false).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Runtime.getRuntime().addShutdownHook(new Thread(node::shutdown, "gatehouse-shutdown"));
            int port = node.proxy.port("public");
            out.printf("""

                    Gatehouse demo is running: backends %s, proxy http://127.0.0.1:%d

                    Try:
                      curl -i http://127.0.0.1:%d/                       # round-robin across the three backends
                      curl -s http://127.0.0.1:%d/headers                # what a backend receives (X-Forwarded-*, Via)
                      curl -s -H 'X-User: alice' http://127.0.0.1:%d/sticky/   # consistent hash: always the same backend
                      for i in $(seq 7); do curl -s http://127.0.0.1:%d/weighted/; echo; done   # weights 5:1:1
                      curl -s --compressed -i http://127.0.0.1:%d/headers   # gzip/brotli on the web route
                      curl -si 'http://127.0.0.1:%d/cached/bytes/1024?max-age=60' | grep -i cache-status   # twice: a hit
                      curl -s -o /dev/null -w '%%{http_code}\\n' http://127.0.0.1:%d/bytes/1048576
                      ./gatehouse loadtest --url http://127.0.0.1:%d/bytes/1024 --connections 32 --duration 5s

                    Ctrl-C stops everything.
                    """, backends.urls(), port, port, port, port, port, port, port, port, port);
            if (node.admin != null) {
                out.print(adminBanner(node.admin.actualPort(), token));
            }
            return -1;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            err.println("gatehouse demo: could not start: " + cause.getMessage()
                    + " (are ports 8080, 9001-9003 free?)");
            vertx.close();
            return 1;
        }
    }

    /** 32 random bytes, base64url: the demo run's admin write token. */
    static String newToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** {@code config} with a write-role admin token named {@code demo} whose SHA-256 is that of {@code token}. */
    static GatehouseConfig withWriteToken(GatehouseConfig config, String token) {
        AdminConfig admin = config.admin();
        if (admin == null) {
            return config;
        }
        List<AdminConfig.AdminToken> tokens = new ArrayList<>(admin.tokens());
        String name = tokens.stream().anyMatch(t -> "demo".equals(t.name())) ? "demo-run" : "demo";
        tokens.add(new AdminConfig.AdminToken(name, sha256Hex(token), AdminConfig.Role.WRITE));
        return new GatehouseConfig(config.dataDir(), config.cluster(), config.listeners(), config.pools(),
                config.routes(), config.cache(), admin.withTokens(tokens), config.accessLog(), config.metrics(),
                config.shutdown(), config.tlsEngine());
    }

    /** The admin lines of the banner: where it is, the token, and a read and a write to try. */
    static String adminBanner(int adminPort, String token) {
        String base = "http://127.0.0.1:" + adminPort;
        return String.format("""
                Admin API %s/api/v1 and status page %s/ (paste the token there). The admin token for this
                run, shown only here (no write without it):
                  TOKEN=%s
                  curl -s -H "Authorization: Bearer $TOKEN" %s/api/v1/health
                  curl -s -X POST -H "Authorization: Bearer $TOKEN" %s/api/v1/pools/web/backends/127.0.0.1:9003/drain
                  curl -s -X POST -H "Authorization: Bearer $TOKEN" %s/api/v1/pools/web/backends/127.0.0.1:9003/undrain

                """, base, base, token, base, base, base);
    }

    private static String sha256Hex(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** config/examples/demo.yaml from the working tree when present, else the copy inside the jar. */
    static String demoYaml() {
        Path local = Path.of("config/examples/demo.yaml");
        try {
            if (Files.isRegularFile(local)) {
                return Files.readString(local);
            }
            try (InputStream in = Demo.class.getResourceAsStream("/examples/demo.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("demo.yaml is missing from the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
