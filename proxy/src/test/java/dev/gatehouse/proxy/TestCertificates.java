package dev.gatehouse.proxy;

import dev.gatehouse.tls.KeyType;
import dev.gatehouse.tls.PemWriter;
import dev.gatehouse.tls.SelfSignedCertificates;
import dev.gatehouse.tls.TlsMaterial;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A test CA in a directory and leaves signed by it, written as PEM files in whichever key format a test needs.
 * Everything is generated at test time with the {@code tls} module.
 */
public final class TestCertificates {

    /** How a private key is written. */
    public enum KeyFormat { PKCS8, PKCS1_RSA, SEC1_EC, SEC1_EC_WITH_PARAMETERS, ENCRYPTED_PKCS8 }

    /** A written certificate: its files and the material (for comparing what is served). */
    public record Written(Path cert, Path key, Path passwordFile, TlsMaterial material) {
        /** The YAML flow mapping of a {@code certificates} entry for these files. */
        String yaml() {
            return "{ cert: \"" + cert + "\", key: \"" + key + "\""
                    + (passwordFile == null ? "" : ", key-password-file: \"" + passwordFile + "\"") + " }";
        }
    }

    final Path dir;
    final TlsMaterial ca;
    public final Path caFile;

    private TestCertificates(Path dir, String caName) {
        this.dir = dir;
        this.ca = SelfSignedCertificates.generateCa(caName);
        this.caFile = dir.resolve(fileName(caName) + ".pem");
        PemWriter.writeCertificates(caFile, ca.chain());
    }

    /** A new CA named {@code caName}, its certificate written to {@code dir}. */
    public static TestCertificates in(Path dir, String caName) {
        return new TestCertificates(dir, caName);
    }

    /** An EC P-256 leaf for {@code host} (SAN; localhost also gets 127.0.0.1), key as PKCS#8. */
    public Written leaf(String fileBase, String host) {
        return leaf(fileBase, host, KeyType.EC_P256, KeyFormat.PKCS8);
    }

    public Written leaf(String fileBase, String host, KeyType type, KeyFormat format) {
        TlsMaterial m = SelfSignedCertificates.generateLeaf(ca, host, Duration.ofDays(30), type);
        return write(fileBase, m, format);
    }

    /** An EC P-256 leaf for {@code host} valid for {@code validity}, key as PKCS#8. */
    public Written leaf(String fileBase, String host, Duration validity) {
        return write(fileBase, SelfSignedCertificates.generateLeaf(ca, host, validity, KeyType.EC_P256), KeyFormat.PKCS8);
    }

    /** Writes {@code m} as {@code <base>.pem} (chain) and {@code <base>.key} in {@code format}. */
    Written write(String fileBase, TlsMaterial m, KeyFormat format) {
        Path cert = dir.resolve(fileBase + ".pem");
        Path key = dir.resolve(fileBase + ".key");
        PemWriter.writeCertificates(cert, m.chain());
        Path password = null;
        switch (format) {
            case PKCS8 -> PemWriter.writePkcs8(key, m.key());
            case PKCS1_RSA -> PemWriter.writePkcs1Rsa(key, m.key());
            case SEC1_EC -> PemWriter.writeSec1Ec(key, m.key(), false);
            case SEC1_EC_WITH_PARAMETERS -> PemWriter.writeSec1Ec(key, m.key(), true);
            case ENCRYPTED_PKCS8 -> {
                char[] secret = ("pw-" + fileBase).toCharArray();
                PemWriter.writeEncryptedPkcs8(key, m.key(), secret);
                password = dir.resolve(fileBase + ".pass");
                writeString(password, new String(secret) + "\n");
            }
            default -> throw new AssertionError(format);
        }
        return new Written(cert, key, password, m);
    }

    static void writeString(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
