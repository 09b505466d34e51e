package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * Writes certificates and private keys as PEM files in the formats {@link PemTlsMaterialLoader} reads: for the CLI
 * ({@code tls self-signed}) and for tests that need every key format. Files are replaced atomically where the file
 * system allows (a watcher never sees half a file) and key files get mode 600 on POSIX systems. Blocking file I/O.
 * Failures are {@link TlsMaterialException}s naming the file.
 */
public final class PemWriter {

    private PemWriter() {
    }

    /** {@code BEGIN CERTIFICATE} blocks, in list order (leaf first for a chain). */
    public static void writeCertificates(Path file, List<X509Certificate> certificates) {
        requireNonNull(certificates, "certificates");
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                pem.append(armour(new PemObject(Pem.CERTIFICATE, certificate.getEncoded())));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException(
                        "certificates: cannot encode " + certificate.getSubjectX500Principal(), e);
            }
        }
        write(file, pem.toString(), false);
    }

    /** Unencrypted PKCS#8: {@code BEGIN PRIVATE KEY}. */
    public static void writePkcs8(Path file, PrivateKey key) {
        requireNonNull(key, "key");
        pkcs8(key); // validates that the key is exportable
        write(file, armour(new PemObject(Pem.PRIVATE_KEY, key.getEncoded())), true);
    }

    /**
     * Encrypted PKCS#8 ({@code BEGIN ENCRYPTED PRIVATE KEY}), PBES2 with AES-256-CBC and HMAC-SHA256, as
     * {@code openssl pkcs8 -topk8 -v2 aes-256-cbc} writes it.
     */
    public static void writeEncryptedPkcs8(Path file, PrivateKey key, char[] password) {
        requireNonNull(key, "key");
        requireNonNull(password, "password");
        try {
            var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setPRF(PKCS8Generator.PRF_HMACSHA256)
                    .setProvider(Bc.PROVIDER)
                    .setRandom(Bc.RANDOM)
                    .setPassword(password)
                    .build();
            write(file, armour(new JcaPKCS8Generator(key, encryptor)), true);
        } catch (OperatorCreationException | IOException e) {
            throw new TlsMaterialException(file, "cannot encrypt private key (" + e.getMessage() + ")", e);
        }
    }

    /** PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}), the traditional OpenSSL format. */
    public static void writePkcs1Rsa(Path file, PrivateKey rsaKey) {
        PrivateKeyInfo info = pkcs8(requireNonNull(rsaKey, "rsaKey"));
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
            throw new IllegalArgumentException("rsaKey: " + rsaKey.getAlgorithm() + " (expected: RSA)");
        }
        try {
            write(file, armour(new PemObject(Pem.RSA_PRIVATE_KEY, info.parsePrivateKey().toASN1Primitive()
                    .getEncoded())), true);
        } catch (IOException e) {
            throw new IllegalArgumentException("rsaKey: cannot encode", e);
        }
    }

    /**
     * SEC1 EC ({@code BEGIN EC PRIVATE KEY}) with the curve and public key inside, as {@code openssl ecparam -genkey}
     * writes it; with {@code withParametersBlock} an {@code EC PARAMETERS} block comes first, as that command does
     * without {@code -noout}.
     */
    public static void writeSec1Ec(Path file, PrivateKey ecKey, boolean withParametersBlock) {
        PrivateKeyInfo info = pkcs8(requireNonNull(ecKey, "ecKey"));
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(info.getPrivateKeyAlgorithm().getAlgorithm())
                || !(info.getPrivateKeyAlgorithm().getParameters() instanceof ASN1ObjectIdentifier)) {
            throw new IllegalArgumentException("ecKey: " + ecKey.getAlgorithm() + " (expected: EC on a named curve)");
        }
        ASN1ObjectIdentifier curve = (ASN1ObjectIdentifier) info.getPrivateKeyAlgorithm().getParameters();
        X9ECParameters parameters = ECNamedCurveTable.getByOID(curve);
        if (parameters == null) {
            throw new IllegalArgumentException("ecKey: unknown curve " + curve.getId());
        }
        try {
            // The JDK's PKCS#8 form omits the public point; OpenSSL tools expect it, so derive it from d.
            BigInteger d = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
            ECPoint q = parameters.getG().multiply(d).normalize();
            var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(parameters.getN().bitLength(), d,
                    new DERBitString(q.getEncoded(false)), curve);
            String pem = (withParametersBlock ? armour(new PemObject(Pem.EC_PARAMETERS, curve.getEncoded())) : "")
                    + armour(new PemObject(Pem.EC_PRIVATE_KEY, sec1.getEncoded()));
            write(file, pem, true);
        } catch (IOException e) {
            throw new IllegalArgumentException("ecKey: cannot encode", e);
        }
    }

    /** OpenSSL's legacy encrypted PEM ({@code Proc-Type: 4,ENCRYPTED}, AES-256-CBC), still found on old servers. */
    static void writeLegacyEncrypted(Path file, PrivateKey key, char[] password) {
        try {
            var encryptor = new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(Bc.PROVIDER)
                    .setSecureRandom(Bc.RANDOM).build(password);
            write(file, armour(new JcaMiscPEMGenerator(key, encryptor)), true);
        } catch (IOException e) {
            throw new TlsMaterialException(file, "cannot encrypt private key (" + e.getMessage() + ")", e);
        }
    }

    /** Any text, written the same safe way (tests use it for broken files). */
    static void writeString(Path file, String content) {
        write(file, content, false);
    }

    private static PrivateKeyInfo pkcs8(PrivateKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            throw new IllegalArgumentException("key: not exportable (" + key.getAlgorithm() + ")");
        }
        return PrivateKeyInfo.getInstance(encoded);
    }

    private static String armour(PemObjectGenerator object) {
        StringWriter text = new StringWriter();
        try (var writer = new org.bouncycastle.util.io.pem.PemWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new IllegalStateException("cannot armour PEM", e);
        }
        return text.toString();
    }

    private static void write(Path file, String content, boolean secret) {
        requireNonNull(file, "file");
        Path absolute = file.toAbsolutePath();
        Path temp = null;
        try {
            Path dir = absolute.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            temp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
            if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            }
            Files.writeString(temp, content, StandardCharsets.US_ASCII);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            throw new TlsMaterialException(file, "cannot write file (" + e + ")", e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the temp file is hidden and harmless
                }
            }
        }
    }
}
