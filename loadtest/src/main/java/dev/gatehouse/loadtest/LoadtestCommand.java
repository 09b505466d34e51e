package dev.gatehouse.loadtest;

import io.vertx.core.Vertx;

import java.io.PrintStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code gatehouse loadtest}: drives an HTTP server at a constant rate (open loop) or with N busy connections
 * (closed loop) and prints a latency and error report. See {@link LoadOptions#USAGE} for the flags.
 */
public final class LoadtestCommand {

    /** The run completed and at least one request succeeded. */
    public static final int EXIT_OK = 0;
    /** The run completed but no request succeeded (target down, every response an error), or it failed. */
    public static final int EXIT_FAILED = 1;
    /** Bad arguments; nothing was sent. */
    public static final int EXIT_USAGE = 2;

    private LoadtestCommand() {
    }

    /** Standalone entry without the app: {@code java -cp ... dev.gatehouse.loadtest.LoadtestCommand --url ...}. */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs a load test with its own {@link Vertx} (one event loop per core) and prints the report to {@code out}:
     * a text summary, or JSON with {@code --json}. Blocks the calling thread for the duration of the test: do not
     * call it on an event loop.
     *
     * @param args the arguments after {@code loadtest}, e.g. {@code --url http://127.0.0.1:8080/ --rate 500/s}
     * @return {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out) {
        for (String arg : args) {
            if (arg.equals("-h") || arg.equals("--help")) {
                out.println(LoadOptions.USAGE);
                return EXIT_OK;
            }
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            out.println("loadtest: " + e.getMessage());
            out.println(LoadOptions.USAGE);
            return EXIT_USAGE;
        }
        Vertx vertx = Vertx.vertx(VertxDefaults.options());
        try {
            // live lines only where a person watches (System.console(): stdin and stdout are a terminal)
            PrintStream progress = options.showProgress(System.console() != null) ? out : null;
            LoadReport report = LoadGenerator.run(vertx, options, progress)
                    .toCompletionStage().toCompletableFuture().get();
            out.print(options.json() ? report.toJson().encodePrettily() + System.lineSeparator() : report.toText());
            out.flush();
            return report.successes() > 0 ? EXIT_OK : EXIT_FAILED;
        } catch (ExecutionException e) {
            out.println("loadtest: failed: " + e.getCause());
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("loadtest: interrupted");
            return EXIT_FAILED;
        } finally {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // best effort: the process is about to report and exit
            }
        }
    }
}
