package dev.gatehouse.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.tls.KeyType;
import dev.gatehouse.tls.PemWriter;
import dev.gatehouse.tls.SelfSignedCertificates;
import dev.gatehouse.tls.TlsMaterial;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code gatehouse validate} and {@code gatehouse run} load the TLS files the config names before anything starts:
 * a missing, unreadable or mismatched file is reported with its config path and the file, exit 2, nothing started.
 */
class TlsCommandsTest {

    @TempDir
    Path dir;
    Path cert;
    Path key;
    Path otherKey;
    Path ca;

    @BeforeEach
    void certificates() {
        TlsMaterial authority = SelfSignedCertificates.generateCa("Commands Test CA");
        TlsMaterial leaf = SelfSignedCertificates.generateLeaf(authority, "localhost", Duration.ofDays(30),
                KeyType.EC_P256);
        TlsMaterial other = SelfSignedCertificates.generateLeaf(authority, "localhost", Duration.ofDays(30),
                KeyType.EC_P256);
        ca = dir.resolve("ca.pem");
        cert = dir.resolve("site.pem");
        key = dir.resolve("site.key");
        otherKey = dir.resolve("other.key");
        PemWriter.writeCertificates(ca, authority.chain());
        PemWriter.writeCertificates(cert, leaf.chain());
        PemWriter.writePkcs8(key, leaf.key());
        PemWriter.writePkcs8(otherKey, other.key());
    }

    private record Result(int code, String out, String err) {
    }

    private Result gatehouse(String yaml, String command) throws IOException {
        Path file = dir.resolve("gatehouse.yaml");
        Files.writeString(file, yaml);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {command, "--config", file.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String config(String certificate, String listenerExtra, String poolExtra, String adminExtra) {
        return "data-dir: data\n"
                + "listeners:\n  - name: public\n    host: 127.0.0.1\n    port: 0\n"
                + "    tls: { certificates: [ " + certificate + " ]" + listenerExtra + " }\n"
                + "pools:\n  - name: p\n    backends: [ { url: \"https://127.0.0.1:9\" } ]\n" + poolExtra
                + "routes:\n  - { name: r, pool: p }\n"
                + "admin: { host: 127.0.0.1, port: 0" + adminExtra + " }\n";
    }

    private String entry(Path c, Path k) {
        return "{ cert: \"" + c + "\", key: \"" + k + "\" }";
    }

    @Test
    void validateAcceptsTlsFilesThatLoad() throws IOException {
        Result r = gatehouse(config(entry(cert, key), ", client-auth: require, trust: \"" + ca + "\"",
                "    tls: { ca: \"" + ca + "\" }\n", ", tls: { certificates: [ " + entry(cert, key) + " ] }"), "validate");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("OK");
    }

    @Test
    void validateReportsAMissingKeyFileWithItsPath() throws IOException {
        Path missing = dir.resolve("missing.key");

        Result r = gatehouse(config(entry(cert, missing), "", "", ""), "validate");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("configuration has 1 error:")
                .contains("listeners[0].tls.certificates[0].key: " + missing);
    }

    @Test
    void validateReportsAKeyThatDoesNotBelongToTheCertificate() throws IOException {
        Result r = gatehouse(config(entry(cert, otherKey), "", "", ""), "validate");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("listeners[0].tls.certificates[0].key: " + otherKey
                + ": private key does not match the certificate in " + cert);
    }

    @Test
    void validateReportsACertificateFileThatIsNotACertificate() throws IOException {
        Result r = gatehouse(config(entry(key, key), "", "", ""), "validate");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("listeners[0].tls.certificates[0].cert: " + key);
    }

    @Test
    void validateReportsEveryTlsFileProblemAtOnce() throws IOException {
        Path nothing = dir.resolve("nothing.pem");

        Result r = gatehouse(config(entry(cert, key), ", client-auth: require, trust: \"" + nothing + "\"",
                "    tls: { ca: \"" + nothing + "\" }\n",
                ", tls: { certificates: [ " + entry(nothing, key) + " ] }"), "validate");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("configuration has 3 errors:")
                .contains("listeners[0].tls.trust: " + nothing)
                .contains("admin.tls.certificates[0].cert: " + nothing)
                .contains("pools[0].tls.ca: " + nothing);
    }

    @Test
    void runRefusesToStartWithABrokenKey() throws IOException {
        Result r = gatehouse(config(entry(cert, otherKey), "", "", ""), "run");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("listeners[0].tls.certificates[0].key: " + otherKey);
        assertThat(dir.resolve("data")).doesNotExist();
    }
}
