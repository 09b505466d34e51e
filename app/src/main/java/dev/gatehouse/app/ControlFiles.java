package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code gatehouse reload} finds and talks to a running node, nginx-style, through its {@code data-dir}: the node
 * writes {@value #PID_FILE} (its pid and config file) once it serves and removes it when it exits;
 * {@code gatehouse reload} sends that pid SIGHUP and waits for {@value #STATUS_FILE}, the outcome of the reload, to
 * show a reload that started after the signal.
 */
final class ControlFiles {

    static final String PID_FILE = "gatehouse.pid";
    static final String STATUS_FILE = "reload-status.json";
    private static final Logger LOG = LoggerFactory.getLogger("gatehouse");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlFiles() {
    }

    /** The running node a pid file names. */
    record Running(long pid, Path config) {
    }

    /** A reload's outcome as the node wrote it; {@code startedAt} in epoch milliseconds. */
    record Status(long startedAt, boolean ok, boolean invalid, List<String> lines) {
    }

    /** Blocking. Writes the pid file; a node without it still runs (reload by signal only), so failures are logged. */
    static void writePid(Path dataDir, Path config) {
        ObjectNode o = JSON.createObjectNode().put("pid", ProcessHandle.current().pid())
                .put("config", config.toAbsolutePath().normalize().toString());
        try {
            replace(dataDir.resolve(PID_FILE), o.toString() + "\n");
        } catch (IOException e) {
            LOG.warn("could not write {}: `gatehouse reload` will not find this node ({})",
                    dataDir.resolve(PID_FILE), e.toString());
        }
    }

    /** Removes the pid file when it is this process's. */
    static void removePid(Path dataDir) {
        Running r = readPid(dataDir);
        if (r != null && r.pid() == ProcessHandle.current().pid()) {
            try {
                Files.deleteIfExists(dataDir.resolve(PID_FILE));
            } catch (IOException e) {
                LOG.debug("could not remove {}: {}", dataDir.resolve(PID_FILE), e.toString());
            }
        }
    }

    /** The pid file's content, or {@code null} when there is none or it is not one. */
    static Running readPid(Path dataDir) {
        try {
            JsonNode o = JSON.readTree(Files.readString(dataDir.resolve(PID_FILE), StandardCharsets.UTF_8));
            return new Running(o.get("pid").asLong(), Path.of(o.get("config").asText()));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static void writeStatus(Path dataDir, long startedAt, ConfigReloader.Result result) {
        if (result == null) {
            return;
        }
        ObjectNode o = JSON.createObjectNode().put("started-at", startedAt).put("ok", result.ok())
                .put("invalid", result.invalid());
        ArrayNode lines = o.putArray("lines");
        result.lines().forEach(lines::add);
        try {
            replace(dataDir.resolve(STATUS_FILE), o.toString() + "\n");
        } catch (IOException e) {
            LOG.warn("could not write {}: {}", dataDir.resolve(STATUS_FILE), e.toString());
        }
    }

    /** The last reload's outcome, or {@code null}. */
    static Status readStatus(Path dataDir) {
        try {
            JsonNode o = JSON.readTree(Files.readString(dataDir.resolve(STATUS_FILE), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            o.path("lines").forEach(l -> lines.add(l.asText()));
            return new Status(o.get("started-at").asLong(), o.get("ok").asBoolean(), o.path("invalid").asBoolean(),
                    lines);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void replace(Path file, String content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
