package dev.gatehouse.app;

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
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code gatehouse demo}: three demo backends on 9001-9003 and a node in front of them. */
final class Demo {

    private Demo() {
    }

    static int run(Args args, PrintStream out, PrintStream err) {
        GatehouseConfig config = args.get("--config") != null
                ? ConfigParser.readFile(Path.of(args.get("--config")))
                : ConfigParser.parse(demoYaml());
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
                      curl -s -o /dev/null -w '%%{http_code}\\n' http://127.0.0.1:%d/bytes/1048576
                      ./gatehouse loadtest --url http://127.0.0.1:%d/bytes/1024 --connections 32 --duration 5s

                    Ctrl-C stops everything.
                    """, backends.urls(), port, port, port, port, port, port, port, port);
            return -1;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            err.println("gatehouse demo: could not start: " + cause.getMessage()
                    + " (are ports 8080, 9001-9003 free?)");
            vertx.close();
            return 1;
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
