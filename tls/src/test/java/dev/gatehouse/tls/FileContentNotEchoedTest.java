package dev.gatehouse.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A path to a file that is not what it should be (an admin write can name any file the node can read as a CA bundle
 * or a key) gives an error that names the file and what is wrong, never any of its text.
 */
class FileContentNotEchoedTest {

    private static final String CANARY = "root:x:0:0:CANARY-S3CRET";

    @TempDir
    Path dir;

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private static List<String> messages(Throwable t) {
        assertThat(t).isInstanceOf(TlsMaterialException.class);
        return List.of(String.valueOf(t.getMessage()), t.toString());
    }

    @Test
    void noFileTextInAnyLoadError() throws Exception {
        List<Path> files = List.of(
                file("passwd", CANARY + "\ndaemon:x:1:1\n"),
                file("unknown-label.pem", "-----BEGIN " + CANARY + "-----\nAAAA\n-----END " + CANARY + "-----\n"),
                file("odd-label.pem", "-----BEGIN CANARY SECRET-----\nAAAA\n-----END CANARY SECRET-----\n"),
                file("no-end.pem", "-----BEGIN " + CANARY + "-----\nAAAA\n"),
                file("bad-base64.pem", "-----BEGIN CERTIFICATE-----\n" + CANARY + "!!\n-----END CERTIFICATE-----\n"),
                file("bad-der.pem", "-----BEGIN CERTIFICATE-----\nQ0FOQVJZLVMzQ1JFVA==\n-----END CERTIFICATE-----\n"),
                file("bad-key.pem", "-----BEGIN PRIVATE KEY-----\nQ0FOQVJZLVMzQ1JFVA==\n-----END PRIVATE KEY-----\n"));
        for (Path f : files) {
            for (Throwable t : List.of(catchThrowable(() -> TrustBundles.load(f)),
                    catchThrowable(() -> CertificateFiles.of(f, f).load()),
                    catchThrowable(() -> Pem.privateKey(f, Files.readAllBytes(f), KeyPassword.none())))) {
                assertThat(messages(t)).as(f.getFileName().toString()).allSatisfy(m -> assertThat(m)
                        .contains(f.toString()).doesNotContain("CANARY").doesNotContain("root:x"));
            }
        }
        // Labels PEM defines are still named: they say what the file is, not what it holds.
        Path key = file("key-as-cert.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThat(catchThrowable(() -> TrustBundles.load(key))).hasMessageContaining("(found \"PRIVATE KEY\")");
        assertThat(catchThrowable(() -> TrustBundles.load(files.get(2))))
                .hasMessageContaining("(found a block with an unknown label)");
    }
}
