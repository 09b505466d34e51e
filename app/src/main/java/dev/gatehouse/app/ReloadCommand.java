package dev.gatehouse.app;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code gatehouse reload --config FILE}: validates FILE as {@code validate} does (problems: printed, exit 2, the node
 * is not signalled), finds the node running with it through {@code data-dir}'s pid file, sends it SIGHUP and prints
 * the outcome the node reports. Exit 0 when everything applied, 1 when something did not (a port that could not be
 * bound, no running node, no answer), 2 when the file is invalid (the node found it so too: nothing changed).
 */
final class ReloadCommand {

    private ReloadCommand() {
    }

    static int run(Args args, PrintStream out, PrintStream err) {
        Path file = Path.of(args.required("--config"));
        Duration timeout = args.get("--timeout") == null ? Duration.ofSeconds(60)
                : dev.gatehouse.config.Durations.parse(args.get("--timeout"));
        GatehouseConfig config = ConfigParser.readFile(file);
        Node.checkFiles(config); // a bad file is reported here, before the node is touched
        Path dataDir = Path.of(config.dataDir());
        ControlFiles.Running running = ControlFiles.readPid(dataDir);
        if (running == null) {
            err.println("gatehouse reload: no running node found: " + dataDir.resolve(ControlFiles.PID_FILE)
                    + " is missing (data-dir " + config.dataDir() + " is resolved from the current directory)");
            return 1;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(running.pid()).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            err.println("gatehouse reload: no running node found: " + dataDir.resolve(ControlFiles.PID_FILE)
                    + " names pid " + running.pid() + ", which is not running");
            return 1;
        }
        if (!sameFile(file, running.config())) {
            err.println("gatehouse reload: the node (pid " + running.pid() + ") runs with " + running.config()
                    + ", not " + file + ": it re-reads its own file");
            return 2;
        }
        long sent = System.currentTimeMillis();
        try {
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(running.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                err.println("gatehouse reload: could not signal pid " + running.pid());
                return 1;
            }
        } catch (IOException e) {
            err.println("gatehouse reload: could not signal pid " + running.pid() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            ControlFiles.Status status = ControlFiles.readStatus(dataDir);
            if (status != null && status.startedAt() >= sent) {
                PrintStream to = status.ok() ? out : err;
                to.println("gatehouse reload: node pid " + running.pid() + (status.ok() ? " reloaded " + file
                        : status.invalid() ? " refused " + file : " reloaded " + file + " with errors") + ":");
                status.lines().forEach(l -> to.println("  " + l));
                return status.ok() ? 0 : status.invalid() ? 2 : 1;
            }
            if (!process.get().isAlive()) {
                err.println("gatehouse reload: the node (pid " + running.pid() + ") exited");
                return 1;
            }
            try {
                Thread.sleep(100); // polling a file another process writes: there is no event to await
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        err.println("gatehouse reload: no answer from the node (pid " + running.pid() + ") within "
                + dev.gatehouse.config.Durations.format(timeout) + "; see its log");
        return 1;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    static final List<String> OPTIONS = List.of("--config", "--timeout");
}
