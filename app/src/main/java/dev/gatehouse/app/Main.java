package dev.gatehouse.app;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.loadtest.LoadtestCommand;
import dev.gatehouse.tls.CertificateInspector;
import dev.gatehouse.tls.SelfSignedCertificates;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The command line: {@code run}, {@code reload}, {@code demo}, {@code validate}, {@code tls}, {@code loadtest}. Exit codes: 0 ok,
 * 1 runtime failure, 2 bad input (usage or configuration).
 */
public final class Main {

    static final String USAGE = """
            usage: gatehouse <command> [options]

              run --config FILE [--seed-from-file]   run a proxy node
              reload --config FILE [--timeout 60s]   re-read FILE in the node running with it (SIGHUP)
              demo                                   three demo backends + proxy :8080 + admin :9090
              validate --config FILE                 check a config file; every error with its path
              tls self-signed --host NAME --out DIR  a dev CA and a leaf certificate for NAME
              tls inspect FILE                       subject, SANs, validity and key of PEM certificates
              loadtest --url URL [--rate N/s | --connections N] --duration 10s [--keys N --zipf S]
            """;

    private Main() {
    }

    public static void main(String[] args) {
        // First of all: JSSE reads it once, at the JVM's first server handshake (TLS 1.2 renegotiation, a DoS vector).
        dev.gatehouse.tls.ClientRenegotiation.refuse();
        // With two cores or fewer the common fork-join pool has one thread, and CompletableFuture and Hazelcast then
        // run each asynchronous callback on a new thread instead. Two at least, before anything uses the pool.
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
        // Netty's pooled allocator with per-thread caches: every buffer of a proxied request is allocated and freed
        // on one event loop, which it serves with less work than the default adaptive one (measured: ~7% CPU per
        // request). Set before any Netty class reads it; -Dio.netty.allocator.type=... still wins.
        if (System.getProperty("io.netty.allocator.type") == null) {
            System.setProperty("io.netty.allocator.type", "pooled");
        }
        LogLevels.apply(System.getenv("GATEHOUSE_LOG_LEVELS"), System.err);
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs a command; a negative result means a server is running and the JVM must stay up. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "validate" -> validate(rest, out, err);
                case "run" -> Node.run(Args.parse(rest, List.of("--config"), List.of("--seed-from-file")), err);
                case "reload" -> ReloadCommand.run(Args.parse(rest, ReloadCommand.OPTIONS, List.of()), out, err);
                case "demo" -> Demo.run(Args.parse(rest, List.of("--config"), List.of()), out, err);
                case "tls" -> tls(rest, out, err);
                case "loadtest" -> LoadtestCommand.run(rest, out);
                default -> {
                    err.println("gatehouse: unknown command \"" + args[0] + "\"");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (Args.UsageException e) {
            err.println("gatehouse " + args[0] + ": " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (ConfigException e) {
            printProblems(e.problems(), err);
            return 2;
        }
    }

    static void printProblems(List<ConfigProblem> problems, PrintStream err) {
        err.println("configuration has " + problems.size() + (problems.size() == 1 ? " error:" : " errors:"));
        for (ConfigProblem p : problems) {
            err.println("  " + p);
        }
    }

    private static int validate(String[] rest, PrintStream out, PrintStream err) {
        Args a = Args.parse(rest, List.of("--config"), List.of());
        Path file = Path.of(a.required("--config"));
        GatehouseConfig c = ConfigParser.readFile(file);
        Node.checkFiles(c);
        out.println(file + ": OK (" + c.listeners().size() + " listeners, " + c.pools().size() + " pools, "
                + c.routes().size() + " routes)");
        return 0;
    }

    private static int tls(String[] rest, PrintStream out, PrintStream err) {
        if (rest.length == 0) {
            throw new Args.UsageException("tls needs a subcommand: self-signed or inspect");
        }
        switch (rest[0]) {
            case "self-signed" -> {
                Args a = Args.parse(Arrays.copyOfRange(rest, 1, rest.length), List.of("--host", "--out"), List.of());
                var files = SelfSignedCertificates.writeDevCaAndLeaf(a.required("--host"), Path.of(a.required("--out")));
                out.println("wrote " + files);
                return 0;
            }
            case "inspect" -> {
                if (rest.length != 2) {
                    throw new Args.UsageException("tls inspect FILE");
                }
                try {
                    out.print(CertificateInspector.describe(Path.of(rest[1])));
                    return 0;
                } catch (RuntimeException e) {
                    err.println(e.getMessage());
                    return 2;
                }
            }
            default -> throw new Args.UsageException("unknown tls subcommand \"" + rest[0] + "\"");
        }
    }
}
