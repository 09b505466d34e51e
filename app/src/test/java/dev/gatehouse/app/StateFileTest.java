package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class StateFileTest {

    @TempDir
    Path dir;
    final ClusterSeal seal = new ClusterSeal(ClusterSealTest.SECRET);
    final Function<String, String> decode = body -> {
        if (!body.startsWith("{")) {
            throw new IllegalArgumentException("not JSON");
        }
        return body;
    };

    StateFile file(ClusterSeal s) {
        return new StateFile(dir.resolve("data").resolve("state.json"), s);
    }

    @Test
    void writesAndReadsBackWithModes0600And0700() throws Exception {
        StateFile f = file(seal);
        f.write("{\"v\":1}");
        assertThat(f.read(decode)).isEqualTo(new StateFile.Loaded<>("{\"v\":1}", null));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.file.getParent())))
                .isEqualTo("rwx------");
        assertThat(Files.exists(f.previous)).isFalse();
        assertThat(Files.readString(f.file)).startsWith("{\"format\":\"gatehouse-state/1\",\"auth\":\"hmac-sha256\"");
        try (var files = Files.list(f.file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("state.json");
        }
    }

    @Test
    void keepsThePreviousGeneration() throws Exception {
        StateFile f = file(seal);
        f.write("{\"v\":1}");
        f.write("{\"v\":2}");
        f.write("{\"v\":3}");
        assertThat(f.read(decode).value()).isEqualTo("{\"v\":3}");
        assertThat(Files.readString(f.previous)).endsWith("{\"v\":2}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.previous))).isEqualTo("rw-------");
    }

    @Test
    void aTornFileFallsBackToThePreviousGeneration() throws Exception {
        StateFile f = file(seal);
        f.write("{\"v\":1}");
        f.write("{\"v\":2,\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}");
        byte[] whole = Files.readAllBytes(f.file);
        Files.write(f.file, Arrays.copyOf(whole, whole.length - 10)); // a write cut short
        StateFile.Loaded<String> loaded = f.read(decode);
        assertThat(loaded.value()).isEqualTo("{\"v\":1}");
        assertThat(loaded.problem()).contains("is unreadable").contains("started from the previous generation");
    }

    @Test
    void aCorruptFileFallsBackAndIsNotKeptAsThePreviousGeneration() throws Exception {
        StateFile f = file(seal);
        f.write("{\"v\":1}");
        f.write("{\"v\":2}");
        String text = Files.readString(f.file);
        Files.writeString(f.file, text.replace("\"v\":2", "\"v\":9")); // same length, altered
        assertThat(f.read(decode).value()).isEqualTo("{\"v\":1}");
        // The next write replaces the corrupt file but keeps the good previous generation.
        f.write("{\"v\":3}");
        assertThat(Files.readString(f.previous)).endsWith("{\"v\":1}");
        assertThat(f.read(decode)).isEqualTo(new StateFile.Loaded<>("{\"v\":3}", null));
    }

    @Test
    void aFileWrittenWithAnotherSecretOrWithoutOneIsNotTrusted() throws Exception {
        file(seal).write("{\"v\":1}");
        StateFile.Loaded<String> other = file(ClusterSeal.ephemeral()).read(decode);
        assertThat(other.value()).isNull();
        assertThat(other.problem()).contains("another cluster secret");
        // A digest-only file is not accepted where a secret is configured (no downgrade), nor the reverse.
        file(null).write("{\"v\":2}");
        // (The HMAC'd file it replaced could not be verified without the secret, so it is not kept either.)
        assertThat(file(seal).read(decode).value()).isNull();
        assertThat(file(null).read(decode)).isEqualTo(new StateFile.Loaded<>("{\"v\":2}", null));
    }

    @Test
    void withoutASecretTheDigestStillCatchesCorruption() throws Exception {
        StateFile f = file(null);
        f.write("{\"v\":1}");
        Files.writeString(f.file, Files.readString(f.file).replace("\"v\":1", "\"v\":7"));
        StateFile.Loaded<String> loaded = f.read(decode);
        assertThat(loaded.value()).isNull();
        assertThat(loaded.problem()).contains("is unreadable").contains("no");
    }

    @Test
    void bothGenerationsUnreadableOrAMissingCurrentAreReported() throws Exception {
        StateFile f = file(seal);
        assertThat(f.read(decode)).isEqualTo(new StateFile.Loaded<>(null, null)); // nothing written yet: no problem
        f.write("{\"v\":1}");
        f.write("{\"v\":2}");
        Files.delete(f.file);
        assertThat(f.read(decode).value()).isEqualTo("{\"v\":1}");
        assertThat(f.read(decode).problem()).contains("is missing");
        Files.writeString(f.previous, "garbage", StandardCharsets.UTF_8);
        StateFile.Loaded<String> none = f.read(decode);
        assertThat(none.value()).isNull();
        assertThat(none.problem()).contains("the previous generation is unreadable too");
    }

    @Test
    void aBodyThatVerifiesButDoesNotDecodeFallsBack() throws Exception {
        StateFile f = file(seal);
        f.write("{\"v\":1}");
        f.write("not json");
        assertThat(f.read(decode).value()).isEqualTo("{\"v\":1}");
    }
}
