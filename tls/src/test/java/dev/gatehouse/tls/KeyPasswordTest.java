package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyPasswordTest {

    @TempDir
    Path dir;

    @Test
    void fileDropsTrailingLineBreaksOnly() throws Exception {
        Path file = dir.resolve("pass");
        Files.writeString(file, " s3cret \r\n");

        assertThat(KeyPassword.fromFile(file).resolve()).isEqualTo(" s3cret ".toCharArray());
    }

    @Test
    void emptyOrMissingSourcesAreErrors() throws Exception {
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n");
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> KeyPassword.fromFile(empty).resolve())
                .hasMessage(empty + ": key password file is empty");
        assertThatThrownBy(() -> KeyPassword.fromFile(missing).resolve()).hasMessage(missing + ": file not found");
        assertThatThrownBy(() -> KeyPassword.fromEnv("GH_PASS", Map.of("GH_PASS", "")::get).resolve())
                .hasMessage("key-password-env GH_PASS is not set");
        assertThat(KeyPassword.none().resolve()).isNull();
    }

    @Test
    void toStringNamesTheSourceNeverThePassword() {
        KeyPassword env = KeyPassword.fromEnv("GH_PASS", Map.of("GH_PASS", "hunter2")::get);

        assertThat(env.resolve()).isEqualTo("hunter2".toCharArray());
        assertThat(env).hasToString("key-password-env GH_PASS");
        assertThat(KeyPassword.fromFile(Path.of("secrets/site.pass")))
                .hasToString("key-password-file secrets/site.pass");
        assertThat(KeyPassword.of("hunter2".toCharArray()).toString()).doesNotContain("hunter2");
    }
}
