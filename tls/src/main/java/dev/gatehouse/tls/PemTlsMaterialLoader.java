package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Loads a certificate chain and its private key from PEM files and checks that they can be served.
 *
 * <p>Keys: PKCS#8 ({@code BEGIN PRIVATE KEY}), encrypted PKCS#8 ({@code BEGIN ENCRYPTED PRIVATE KEY}), PKCS#1 RSA
 * ({@code BEGIN RSA PRIVATE KEY}, also OpenSSL's legacy encrypted form) and SEC1 EC ({@code BEGIN EC PRIVATE KEY},
 * with or without a leading {@code EC PARAMETERS} block); RSA and ECDSA. Certificates: one or more
 * {@code BEGIN CERTIFICATE} blocks, leaf first; other blocks in the certificate file are ignored, so a combined
 * "cert + key" file works for both paths.
 *
 * <p>Checks, in order: the chain is ordered (each certificate's issuer is the next one's subject and its signature
 * verifies with the next one's key), the leaf is currently valid, and the key matches the leaf. Blocking file I/O:
 * call it before deployment or from a worker thread.
 */
public final class PemTlsMaterialLoader {

    private PemTlsMaterialLoader() {
    }

    /**
     * Reads and checks the files.
     *
     * @param certChainPem the certificate chain, leaf first
     * @param keyPem       the leaf's private key
     * @param password     where the key password comes from; {@link KeyPassword#none()} for a plain key
     * @return the checked material
     * @throws TlsMaterialException naming the file and the problem, e.g.
     *                              {@code certs/site.key: private key does not match the certificate in certs/site.pem}
     */
    public static TlsMaterial load(Path certChainPem, Path keyPem, KeyPassword password) {
        return load(certChainPem, keyPem, password, Clock.systemUTC());
    }

    static TlsMaterial load(Path certChainPem, Path keyPem, KeyPassword password, Clock clock) {
        requireNonNull(certChainPem, "certChainPem");
        requireNonNull(keyPem, "keyPem");
        requireNonNull(password, "password");
        return load(certChainPem, Pem.read(certChainPem), keyPem, Pem.read(keyPem), password, clock);
    }

    /** From bytes already read, so a watcher checks exactly the bytes it hashed. */
    static TlsMaterial load(Path certFile, byte[] certBytes, Path keyFile, byte[] keyBytes, KeyPassword password,
                            Clock clock) {
        List<X509Certificate> chain = Pem.certificates(certFile, certBytes);
        PrivateKey key = Pem.privateKey(keyFile, keyBytes, password);
        checkChainOrder(certFile, chain);
        checkValidity(certFile, chain.get(0), clock.instant());
        if (!keyMatches(key, chain.get(0).getPublicKey())) {
            throw new TlsMaterialException(keyFile, "private key does not match the certificate in " + certFile);
        }
        return new TlsMaterial(key, chain);
    }

    static void checkChainOrder(Path file, List<X509Certificate> chain) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate child = chain.get(i);
            X509Certificate parent = chain.get(i + 1);
            if (!issuedBy(child, parent)) {
                List<X509Certificate> reversed = new ArrayList<>(chain);
                Collections.reverse(reversed);
                String hint = isOrdered(reversed) ? "; the certificates are in reverse order, the leaf must come first"
                        : "; expected the leaf first, then each issuer";
                throw new TlsMaterialException(file, "certificate chain out of order: certificate " + (i + 1) + " ("
                        + X509.name(child.getSubjectX500Principal()) + ") is not issued by certificate " + (i + 2)
                        + " (" + X509.name(parent.getSubjectX500Principal()) + ")" + hint);
            }
        }
    }

    private static boolean isOrdered(List<X509Certificate> chain) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            if (!issuedBy(chain.get(i), chain.get(i + 1))) {
                return false;
            }
        }
        return true;
    }

    static boolean issuedBy(X509Certificate child, X509Certificate issuer) {
        if (!child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            child.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    static void checkValidity(Path file, X509Certificate leaf, Instant now) {
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        if (now.isAfter(notAfter)) {
            throw new TlsMaterialException(file, "certificate expired on " + notAfter);
        }
        if (now.isBefore(notBefore)) {
            throw new TlsMaterialException(file, "certificate is not yet valid (valid from " + notBefore + ")");
        }
    }

    /**
     * RSA keys are compared by modulus (and exponent); other keys sign a random nonce that the certificate's public
     * key must verify, which also catches an EC key on another curve.
     */
    static boolean keyMatches(PrivateKey key, PublicKey certificateKey) {
        if (!key.getAlgorithm().equals(certificateKey.getAlgorithm())) {
            return false;
        }
        if (key instanceof RSAPrivateKey && certificateKey instanceof RSAPublicKey) {
            RSAPublicKey rsa = (RSAPublicKey) certificateKey;
            boolean sameModulus = ((RSAPrivateKey) key).getModulus().equals(rsa.getModulus());
            if (key instanceof RSAPrivateCrtKey) {
                return sameModulus && ((RSAPrivateCrtKey) key).getPublicExponent().equals(rsa.getPublicExponent());
            }
            return sameModulus;
        }
        String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : key.getAlgorithm();
        try {
            byte[] nonce = new byte[32];
            Bc.RANDOM.nextBytes(nonce);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificateKey);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
