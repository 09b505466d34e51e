package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;
import java.util.function.Function;

/**
 * A node's durable copy of one piece of state in {@code data-dir}, written so that a crash or power loss leaves
 * either the old or the new file, never a mix: write a temporary file (mode 0600), fsync it, keep the current good
 * file as {@code NAME.prev}, rename over, fsync the directory. The first line is a header with the body's
 * HMAC-SHA256 (key derived from the cluster secret) or, without a configured secret, its SHA-256, so a torn or
 * altered file is recognised; reading then falls back to the previous generation, with an ERROR.
 */
final class StateFile {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.config");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORMAT = "gatehouse-state/1";
    private static final FileAttribute<?> FILE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> DIR_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    final Path file;
    final Path previous;
    private final Path tmp;
    /** Authenticates the file when the node has a configured secret; {@code null}: a plain digest. */
    private final ClusterSeal seal;

    StateFile(Path file, ClusterSeal seal) {
        this.file = file;
        this.previous = file.resolveSibling(file.getFileName() + ".prev");
        this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
        this.seal = seal;
    }

    /**
     * What reading found.
     *
     * @param value   the newest readable generation, or {@code null} when there is none
     * @param problem why the current file was not used (so {@code value} is older than what was written last, or
     *                missing), {@code null} when all is well
     */
    record Loaded<T>(T value, String problem) {
    }

    /** Blocking. Replaces the file with {@code body} durably; keeps the file it replaces when that one was good. */
    synchronized void write(String body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            createDirectories(dir);
        }
        byte[] bytes = (header(body.getBytes(StandardCharsets.UTF_8)) + "\n" + body).getBytes(StandardCharsets.UTF_8);
        Files.deleteIfExists(tmp);
        try (FileChannel ch = open(tmp)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        if (Files.isRegularFile(file) && verify(Files.readAllBytes(file)) != null) {
            // A hard link keeps the current file in place until the rename below replaces it.
            Path prevTmp = previous.resolveSibling(previous.getFileName() + ".tmp");
            Files.deleteIfExists(prevTmp);
            try {
                Files.createLink(prevTmp, file);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(file, prevTmp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(prevTmp, previous);
        }
        move(tmp, file);
        fsync(dir);
    }

    /** Blocking. The current generation, else the previous one (logged at ERROR), else nothing. */
    <T> Loaded<T> read(Function<String, T> decode) {
        String problem = null;
        if (Files.exists(file)) {
            try {
                return new Loaded<>(decode.apply(readVerified(file)), null);
            } catch (IOException | RuntimeException e) {
                problem = file + " is unreadable (" + e.getMessage() + ")";
            }
        } else if (Files.exists(previous)) {
            problem = file + " is missing";
        }
        if (problem == null) {
            return new Loaded<>(null, null);
        }
        if (Files.exists(previous)) {
            try {
                T value = decode.apply(readVerified(previous));
                LOG.error("{}: using the previous generation {} instead; changes written after it may be lost",
                        problem, previous);
                return new Loaded<>(value, problem + "; started from the previous generation");
            } catch (IOException | RuntimeException e) {
                problem += "; the previous generation is unreadable too (" + e.getMessage() + ")";
            }
        }
        LOG.error("{}: no persisted state is usable", problem);
        return new Loaded<>(null, problem);
    }

    private String readVerified(Path p) throws IOException {
        String body = verify(Files.readAllBytes(p));
        if (body == null) {
            throw new IOException("torn, altered, or written with another cluster secret");
        }
        return body;
    }

    /** The body when the header's tag matches it, else {@code null}. */
    private String verify(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        if (nl < 0) {
            return null;
        }
        try {
            JsonNode h = JSON.readTree(text.substring(0, nl));
            String body = text.substring(nl + 1);
            byte[] tag = Base64.getDecoder().decode(h.path("tag").asText(""));
            String expectedAuth = seal == null ? "sha256" : "hmac-sha256";
            if (!FORMAT.equals(h.path("format").asText()) || !expectedAuth.equals(h.path("auth").asText())) {
                return null;
            }
            return MessageDigest.isEqual(tag, tag(body.getBytes(StandardCharsets.UTF_8))) ? body : null;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private String header(byte[] body) {
        return JSON.createObjectNode()
                .put("format", FORMAT)
                .put("auth", seal == null ? "sha256" : "hmac-sha256")
                .put("tag", Base64.getEncoder().encodeToString(tag(body)))
                .toString();
    }

    private byte[] tag(byte[] body) {
        if (seal != null) {
            return seal.fileTag(file.getFileName().toString(), body);
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FileChannel open(Path p) throws IOException {
        Set<StandardOpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            return FileChannel.open(p, opts, FILE_0600);
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(p, opts); // not POSIX: the platform's defaults
        }
    }

    private static void createDirectories(Path dir) throws IOException {
        try {
            Files.createDirectories(dir, DIR_0700);
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the renames durable; directories cannot be opened on every platform, so best effort there. */
    private static void fsync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString());
        }
    }
}
