package dev.gatehouse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.admin.VersionedConfig;
import dev.gatehouse.config.ConfigWriter;
import dev.gatehouse.config.SharedConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongFunction;

/**
 * The config file as a source of the shared config, beside the admin API: which of the two a node starts on, and
 * what it last applied from its file.
 *
 * <p>The rule (nginx's and HAProxy's, in a cluster): a file whose shared part changed since this node last applied
 * it is an intent and becomes a new version; a file unchanged since then leaves the stored state (admin API edits)
 * in force. What was last applied is a digest of the shared part, kept in {@code data-dir} ({@value #STATE_FILE}).
 * A node without that record (its first start, or a data-dir from before the record existed) seeds an empty
 * cluster from its file and otherwise adopts the cluster's state, taking its file as the baseline: a new node with
 * an old file must not roll the cluster back.
 */
final class FileSource {

    static final String STATE_FILE = "file-source.json";
    /** How far back the cluster's history is searched (it keeps more than this). */
    static final int HISTORY = SharedConfigStore.HISTORY;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FileSource() {
    }

    /**
     * What this node last applied from its file.
     *
     * @param digest  {@link #digest} of the file's shared part
     * @param version the config version that held it then (the file's new version, or the stored one it matched)
     */
    record Applied(String digest, long version) {

        String encode() {
            return JSON.createObjectNode().put("digest", digest).put("version", version).toString();
        }

        static Applied decode(String json) {
            try {
                JsonNode o = JSON.readTree(json);
                return new Applied(o.get("digest").asText(), o.get("version").asLong());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The SHA-256 (hex) of the shared part's canonical JSON: equal for equal content, whatever the YAML layout. */
    static String digest(SharedConfig shared) {
        try {
            byte[] canonical = ConfigWriter.toTree(shared).toString().getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static StateFile stateFile(Path dataDir, SharedValues values) {
        return new StateFile(dataDir.resolve(STATE_FILE), values.configured ? values.seal : null);
    }

    /** Blocking. The record, or {@code null} when there is none (or it does not verify: then treated as absent). */
    static Applied read(Path dataDir, SharedValues values) {
        return stateFile(dataDir, values).read(Applied::decode).value();
    }

    /** Blocking. */
    static void write(Path dataDir, SharedValues values, Applied applied) throws IOException {
        stateFile(dataDir, values).write(applied.encode());
    }

    /** Which source a node starts on, and why. */
    enum Outcome {
        /** Nothing stored anywhere: the file seeds the cluster as version 1. */
        SEED,
        /** {@code --seed-from-file}: the file's shared part becomes a new version, changed or not. */
        SEED_FROM_FILE,
        /** The file changed since this node last applied it: its shared part becomes the next version. */
        FILE_CHANGED_NEW_VERSION,
        /** The file changed, and the stored state already holds exactly its shared part (another node stored it). */
        FILE_CHANGED_ALREADY_STORED,
        /**
         * The file changed, but another node stored the same content as a version since this node last applied its
         * file, and a newer version followed it (an admin edit): that newer version stays.
         */
        FILE_CHANGED_SUPERSEDED,
        /** The file is unchanged since it was last applied, and the stored state equals it. */
        FILE_UNCHANGED,
        /** The file is unchanged since it was last applied; the stored state is a newer, different version. */
        FILE_UNCHANGED_OVERRIDDEN,
        /** No record of applying this file (a new node, or an older data-dir): the stored state wins. */
        NO_RECORD_ADOPT
    }

    /**
     * The decision, from what a node knows at start. Pure.
     *
     * @param fileDigest {@link #digest} of the file's shared part
     * @param applied    this node's record, or {@code null}
     * @param stored     the newest of the cluster's and this node's persisted version, or {@code null} for none
     * @param history    a stored version's shared-part digest by version number, {@code null} when not known
     */
    static Outcome decide(String fileDigest, Applied applied, VersionedConfig stored, boolean seedFromFile,
                          LongFunction<String> history) {
        if (seedFromFile) {
            return Outcome.SEED_FROM_FILE;
        }
        if (stored == null) {
            return Outcome.SEED;
        }
        boolean storedEqualsFile = fileDigest.equals(digest(stored.config()));
        if (applied == null) {
            return storedEqualsFile ? Outcome.FILE_UNCHANGED : Outcome.NO_RECORD_ADOPT;
        }
        if (applied.digest().equals(fileDigest)) {
            return storedEqualsFile ? Outcome.FILE_UNCHANGED : Outcome.FILE_UNCHANGED_OVERRIDDEN;
        }
        if (storedEqualsFile) {
            return Outcome.FILE_CHANGED_ALREADY_STORED;
        }
        // Rolling restarts with one new file: the first node stored it; an admin edit after that must survive the
        // restart of the others.
        for (long v = stored.version() - 1; v > Math.max(applied.version(), stored.version() - HISTORY); v--) {
            if (fileDigest.equals(history.apply(v))) {
                return Outcome.FILE_CHANGED_SUPERSEDED;
            }
        }
        return Outcome.FILE_CHANGED_NEW_VERSION;
    }

    /** Whether {@code outcome} makes the file's shared part a new version. */
    static boolean fileWins(Outcome outcome) {
        return outcome == Outcome.SEED || outcome == Outcome.SEED_FROM_FILE
                || outcome == Outcome.FILE_CHANGED_NEW_VERSION;
    }

    /** The author of versions made from {@code file}, as the history and audit show it. */
    static String author(Path file) {
        return file == null ? "config file" : "file:" + file.toAbsolutePath().normalize();
    }
}
