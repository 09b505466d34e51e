package dev.gatehouse.app;

import dev.gatehouse.admin.VersionedConfig;
import dev.gatehouse.app.FileSource.Applied;
import dev.gatehouse.app.FileSource.Outcome;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.SharedConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up decision between the config file and the stored state, and the file's record in data-dir. */
class FileSourceTest {

    static SharedConfig shared(int retries) {
        return ConfigParser.parseShared("""
                pools: [ { name: p, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes: [ { name: r, pool: p, match: { path-prefix: / }, retries: { attempts: %d } } ]
                """.formatted(retries));
    }

    static VersionedConfig version(long v, SharedConfig c, String author) {
        return new VersionedConfig(v, c, Instant.EPOCH, author);
    }

    static final LongFunction<String> NO_HISTORY = v -> null;

    final SharedConfig a = shared(1);
    final SharedConfig b = shared(2);
    final SharedConfig c = shared(3);
    final String da = FileSource.digest(a);
    final String db = FileSource.digest(b);

    @Test
    void theDigestIsOfTheContentNotOfTheYamlLayout() {
        SharedConfig sameInOtherWords = ConfigParser.parseShared("""
                routes:
                  - name: r
                    match: { path-prefix: / }
                    retries: { attempts: 1 }
                    pool: p
                pools:
                  - name: p
                    backends:
                      - url: "http://127.0.0.1:9001"
                """);
        assertThat(FileSource.digest(sameInOtherWords)).isEqualTo(da).hasSize(64);
        assertThat(db).isNotEqualTo(da);
    }

    @Test
    void nothingStoredAnywhereTheFileSeeds() {
        assertThat(FileSource.decide(da, null, null, false, NO_HISTORY)).isEqualTo(Outcome.SEED);
        assertThat(FileSource.fileWins(Outcome.SEED)).isTrue();
    }

    @Test
    void aFileChangedSinceItWasLastAppliedBecomesTheNewVersion() {
        Outcome o = FileSource.decide(db, new Applied(da, 3), version(5, c, "ops"), false, NO_HISTORY);
        assertThat(o).isEqualTo(Outcome.FILE_CHANGED_NEW_VERSION);
        assertThat(FileSource.fileWins(o)).isTrue();
    }

    @Test
    void aFileUnchangedSinceItWasLastAppliedLeavesTheAdminEditInForce() {
        Outcome o = FileSource.decide(da, new Applied(da, 3), version(5, c, "ops"), false, NO_HISTORY);
        assertThat(o).isEqualTo(Outcome.FILE_UNCHANGED_OVERRIDDEN);
        assertThat(FileSource.fileWins(o)).isFalse();
        assertThat(FileSource.decide(da, new Applied(da, 3), version(3, a, "file:/x"), false, NO_HISTORY))
                .isEqualTo(Outcome.FILE_UNCHANGED);
    }

    @Test
    void aChangedFileTheClusterAlreadyHoldsMakesNoSecondVersion() {
        // Several nodes started with the same new file: the first stored it, the others find it there.
        Outcome o = FileSource.decide(db, new Applied(da, 3), version(4, b, "file:/x"), false, NO_HISTORY);
        assertThat(o).isEqualTo(Outcome.FILE_CHANGED_ALREADY_STORED);
        assertThat(FileSource.fileWins(o)).isFalse();
    }

    @Test
    void aChangedFileAnotherNodeStoredBeforeAnAdminEditDoesNotUndoTheEdit() {
        Map<Long, String> history = new HashMap<>(Map.of(4L, db, 5L, FileSource.digest(c)));
        Outcome o = FileSource.decide(db, new Applied(da, 3), version(5, c, "ops"), false, history::get);
        assertThat(o).isEqualTo(Outcome.FILE_CHANGED_SUPERSEDED);
        assertThat(FileSource.fileWins(o)).isFalse();
        // The same content stored before this node last applied its file does not count: it is an intent again.
        assertThat(FileSource.decide(db, new Applied(da, 4), version(5, c, "ops"), false, history::get))
                .isEqualTo(Outcome.FILE_CHANGED_NEW_VERSION);
    }

    @Test
    void aNodeWithoutARecordAdoptsTheStoredStateSoANewNodeCannotRollTheClusterBack() {
        assertThat(FileSource.decide(da, null, version(7, b, "ops"), false, NO_HISTORY))
                .isEqualTo(Outcome.NO_RECORD_ADOPT);
        assertThat(FileSource.decide(db, null, version(7, b, "ops"), false, NO_HISTORY))
                .isEqualTo(Outcome.FILE_UNCHANGED);
    }

    @Test
    void seedFromFileAlwaysMakesTheFileTheNewVersion() {
        assertThat(FileSource.decide(da, new Applied(da, 3), version(5, c, "ops"), true, NO_HISTORY))
                .isEqualTo(Outcome.SEED_FROM_FILE);
        assertThat(FileSource.fileWins(Outcome.SEED_FROM_FILE)).isTrue();
    }

    @Test
    void theRecordRoundTripsThroughAnAuthenticatedStateFile(@TempDir Path dir) throws Exception {
        SharedValues values = SharedValues.load(null, Map.of(), new io.micrometer.core.instrument.simple
                .SimpleMeterRegistry());
        assertThat(FileSource.read(dir, values)).isNull();
        FileSource.write(dir, values, new Applied(da, 42));
        assertThat(FileSource.read(dir, values)).isEqualTo(new Applied(da, 42));
        assertThat(FileSource.author(Path.of("/etc/gatehouse/../gatehouse/node.yaml")))
                .isEqualTo("file:/etc/gatehouse/node.yaml");
    }
}
