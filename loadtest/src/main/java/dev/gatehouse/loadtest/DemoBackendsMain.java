package dev.gatehouse.loadtest;

import io.vertx.core.Vertx;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs demo backends until the process is killed:
 * {@code java -cp gatehouse.jar dev.gatehouse.loadtest.DemoBackendsMain --ports 9101,9102,9103 [--host 127.0.0.1]}.
 * Prints one line per backend and then {@code ready}; exits 2 on bad arguments and 1 if a port cannot be bound.
 */
public final class DemoBackendsMain {

    static final String USAGE = "usage: DemoBackendsMain [--ports 9101,9102,9103] [--host 127.0.0.1]";

    private DemoBackendsMain() {
    }

    /** Starts the backends and blocks until the JVM is asked to exit (SIGTERM, Ctrl-C), then stops them. */
    public static void main(String[] args) throws InterruptedException {
        List<Integer> ports = new ArrayList<>(List.of(9101, 9102, 9103));
        String host = DemoBackends.DEFAULT_HOST;
        PrintStream out = System.out;
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--ports" -> ports = parsePorts(value(args, ++i, arg));
                    case "--host" -> host = value(args, ++i, arg);
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument \"" + arg + "\"");
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }

        Vertx vertx = Vertx.vertx(VertxDefaults.options());
        DemoBackends backends;
        try {
            backends = DemoBackends.start(vertx, host, ports).toCompletionStage().toCompletableFuture().get();
        } catch (java.util.concurrent.ExecutionException e) {
            System.err.println("error: " + e.getCause().getMessage());
            vertx.close();
            System.exit(1);
            return;
        }
        for (int i = 0; i < backends.size(); i++) {
            out.println(backends.name(i) + " " + backends.urls().get(i));
        }
        out.println("transport " + VertxDefaults.transport(vertx) + ", " + VertxDefaults.cores() + " event loops");
        out.println("ready");
        out.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // exiting anyway
            }
            stopped.countDown();
        }, "demo-backends-shutdown"));
        stopped.await();
    }

    static List<Integer> parsePorts(String text) {
        List<Integer> ports = new ArrayList<>();
        for (String part : text.split(",")) {
            try {
                int port = Integer.parseInt(part.trim());
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                ports.add(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--ports: \"" + part.trim() + "\" is not a port (expected: 0..65535)");
            }
        }
        return ports;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
