package dev.gatehouse.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/** Reading PEM files into JDK certificates and keys, with errors that name the file and the problem. */
final class Pem {

    static final String CERTIFICATE = "CERTIFICATE";
    static final String X509_CERTIFICATE = "X509 CERTIFICATE";
    static final String PRIVATE_KEY = "PRIVATE KEY";
    static final String ENCRYPTED_PRIVATE_KEY = "ENCRYPTED PRIVATE KEY";
    static final String RSA_PRIVATE_KEY = "RSA PRIVATE KEY";
    static final String EC_PRIVATE_KEY = "EC PRIVATE KEY";
    static final String EC_PARAMETERS = "EC PARAMETERS";

    private static final Set<String> KEY_TYPES =
            Set.of(PRIVATE_KEY, ENCRYPTED_PRIVATE_KEY, RSA_PRIVATE_KEY, EC_PRIVATE_KEY, "DSA PRIVATE KEY");

    /** RFC 7468 labels (and OpenSSL's legacy ones) that an error message may name. */
    private static final Set<String> KNOWN_LABELS = Set.of(CERTIFICATE, X509_CERTIFICATE, PRIVATE_KEY,
            ENCRYPTED_PRIVATE_KEY, RSA_PRIVATE_KEY, EC_PRIVATE_KEY, EC_PARAMETERS, "DSA PRIVATE KEY", "PUBLIC KEY",
            "RSA PUBLIC KEY", "X509 CRL", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "TRUSTED CERTIFICATE",
            "PKCS7", "CMS", "DH PARAMETERS", "ATTRIBUTE CERTIFICATE", "OPENSSH PRIVATE KEY");

    // Certificate and key files are a few KB; anything this large is the wrong file.
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private Pem() {
    }

    /** Reads a whole file, turning I/O failures into a message an operator understands. */
    static byte[] read(Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new TlsMaterialException(file, "is a directory, expected a PEM file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new TlsMaterialException(file, "file too large (" + size + " bytes) for a PEM file");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsMaterialException(file, "file not found");
        } catch (AccessDeniedException e) {
            throw new TlsMaterialException(file, "permission denied");
        } catch (IOException e) {
            throw new TlsMaterialException(file, "cannot read file (" + e + ")", e);
        }
    }

    /** All PEM blocks in order; fails when there is none or the armour is broken. */
    static List<PemObject> blocks(Path file, byte[] bytes) {
        List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(
                new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.US_ASCII))) {
            for (PemObject block = reader.readPemObject(); block != null; block = reader.readPemObject()) {
                blocks.add(block);
            }
        } catch (IOException | RuntimeException e) {
            // The parser's message can quote the file (a BEGIN label); a named file's content is never echoed.
            throw new TlsMaterialException(file, "malformed PEM (a BEGIN line without its END line, or invalid"
                    + " base64 inside a block)", e);
        }
        if (blocks.isEmpty()) {
            if (bytes.length == 0 || new String(bytes, StandardCharsets.US_ASCII).isBlank()) {
                throw new TlsMaterialException(file, "file is empty, expected PEM");
            }
            // 0x30 is an ASN.1 SEQUENCE: a DER file where PEM was expected.
            String hint = bytes[0] == 0x30 ? " (looks like binary DER; convert it to PEM)" : "";
            throw new TlsMaterialException(file, "not a PEM file (no -----BEGIN line found)" + hint);
        }
        return blocks;
    }

    /** The certificates in the file, in file order; other blocks (e.g. a key in a combined file) are ignored. */
    static List<X509Certificate> certificates(Path file, byte[] bytes) {
        List<PemObject> blocks = blocks(file, bytes);
        CertificateFactory factory = x509Factory();
        List<X509Certificate> certificates = new ArrayList<>();
        for (PemObject block : blocks) {
            if (!block.getType().equals(CERTIFICATE) && !block.getType().equals(X509_CERTIFICATE)) {
                continue;
            }
            try {
                certificates.add((X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(block.getContent())));
            } catch (CertificateException | RuntimeException e) {
                throw new TlsMaterialException(file, "certificate " + (certificates.size() + 1)
                        + " is not a valid X.509 certificate (" + e.getMessage() + ")", e);
            }
        }
        if (certificates.isEmpty()) {
            throw new TlsMaterialException(file, "not a PEM certificate (found " + types(blocks) + ")");
        }
        return certificates;
    }

    /**
     * The one private key in the file, as a JDK key. Accepts PKCS#8, encrypted PKCS#8, PKCS#1 RSA, SEC1 EC (with or
     * without an EC PARAMETERS block) and OpenSSL's legacy encrypted PEM; certificates and parameters are skipped.
     */
    static PrivateKey privateKey(Path file, byte[] bytes, KeyPassword password) {
        List<PemObject> blocks = blocks(file, bytes);
        List<PemObject> keys = blocks.stream()
                .filter(b -> KEY_TYPES.contains(b.getType()))
                .collect(Collectors.toList());
        if (keys.isEmpty()) {
            throw new TlsMaterialException(file, "not a PEM private key (found " + types(blocks) + ")");
        }
        if (keys.size() > 1) {
            throw new TlsMaterialException(file, "contains " + keys.size() + " private keys (expected: exactly one)");
        }
        Object parsed = parse(file, keys.get(0));
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter(); // JDK key factories: JSSE gets JDK key objects
        try {
            if (parsed instanceof PrivateKeyInfo) {
                return converter.getPrivateKey((PrivateKeyInfo) parsed);
            }
            if (parsed instanceof PEMKeyPair) {
                return converter.getPrivateKey(((PEMKeyPair) parsed).getPrivateKeyInfo());
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsMaterialException(file, "unsupported or corrupt private key (" + e.getMessage() + ")", e);
        }
        if (parsed instanceof PKCS8EncryptedPrivateKeyInfo || parsed instanceof PEMEncryptedKeyPair) {
            return decrypt(file, parsed, password, converter);
        }
        throw new TlsMaterialException(file, "unsupported private key (\"" + keys.get(0).getType() + "\")");
    }

    private static Object parse(Path file, PemObject block) {
        // Re-armour the single block (with its Proc-Type/DEK-Info headers) so PEMParser does the typing.
        StringWriter pem = new StringWriter();
        try (org.bouncycastle.util.io.pem.PemWriter writer = new org.bouncycastle.util.io.pem.PemWriter(pem)) {
            writer.writeObject(block);
        } catch (IOException e) {
            throw new AssertionError(e); // in-memory writer
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem.toString()))) {
            Object parsed = parser.readObject();
            if (parsed == null) {
                throw new TlsMaterialException(file, "unreadable private key");
            }
            return parsed;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TlsMaterialException) {
                throw (TlsMaterialException) e;
            }
            throw new TlsMaterialException(file, "corrupt private key (\"" + block.getType() + "\": "
                    + e.getMessage() + ")", e);
        }
    }

    private static PrivateKey decrypt(Path file, Object encrypted, KeyPassword password,
                                      JcaPEMKeyConverter converter) {
        if (password.isNone()) {
            throw new TlsMaterialException(file,
                    "encrypted key needs a password (key-password-file or key-password-env)");
        }
        char[] secret;
        try {
            secret = password.resolve();
        } catch (TlsMaterialException e) {
            if (e.file().isPresent()) {
                throw e; // already names the password file
            }
            throw new TlsMaterialException(file, e.getMessage(), e);
        }
        try {
            PrivateKeyInfo info;
            if (encrypted instanceof PKCS8EncryptedPrivateKeyInfo) {
                info = ((PKCS8EncryptedPrivateKeyInfo) encrypted).decryptPrivateKeyInfo(
                        new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(secret));
            } else {
                info = ((PEMEncryptedKeyPair) encrypted).decryptKeyPair(
                        new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(secret))
                        .getPrivateKeyInfo();
            }
            return converter.getPrivateKey(info);
        } catch (Exception e) {
            // A wrong password shows up as bad padding or, rarely, as garbage that fails to parse; same cause.
            throw new TlsMaterialException(file, "cannot decrypt private key: wrong password (" + password + ")", e);
        } finally {
            Arrays.fill(secret, '\0');
        }
    }

    /** The labels of {@code blocks}; labels PEM does not define are not quoted, since they are the file's text. */
    private static String types(List<PemObject> blocks) {
        Set<String> types = new LinkedHashSet<>();
        blocks.forEach(b -> types.add(KNOWN_LABELS.contains(b.getType()) ? '"' + b.getType() + '"'
                : "a block with an unknown label"));
        return String.join(", ", types);
    }

    static CertificateFactory x509Factory() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
    }
}
