package dev.gatehouse.app;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Authenticates and seals the values nodes share through Hazelcast, with keys derived (HKDF-SHA256) from the cluster
 * secret. Hazelcast's open-source edition lets anything that reaches a member port join with the cluster name alone,
 * so the values themselves carry the proof: a <em>signed</em> value is its payload followed by an HMAC-SHA256, a
 * <em>sealed</em> value is AES-256-GCM ciphertext. Both are bound to the structure (map) name and the key they are
 * stored under, so a value copied under another key or into another map fails {@link #open}. Pure and thread-safe.
 *
 * <p>Format: {@code 'G' 0x01 kind} then, for {@code SIGNED}, payload ‖ 32-byte tag; for {@code SEALED}, 12-byte nonce
 * ‖ ciphertext ‖ 16-byte tag. The authenticated bytes are "gatehouse-shared/1" ‖ len ‖ structure ‖ len ‖ key ‖ header.
 */
final class ClusterSeal {

    /** A secret shorter than this is refused: it must resist offline guessing from one captured value. */
    static final int MIN_SECRET_BYTES = 32;
    private static final byte MAGIC = 'G';
    private static final byte FORMAT = 1;
    private static final byte SIGNED = 1;
    private static final byte SEALED = 2;
    private static final int HEADER = 3;
    private static final int MAC_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int GCM_TAG_BITS = 128;
    private static final byte[] CONTEXT = "gatehouse-shared/1".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec macKey;
    private final SecretKeySpec encKey;
    private final SecretKeySpec fileKey;
    private final SecureRandom random = new SecureRandom();

    ClusterSeal(byte[] secret) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("a cluster secret needs at least " + MIN_SECRET_BYTES + " bytes");
        }
        byte[] prk = hmac(new SecretKeySpec("gatehouse-cluster-secret".getBytes(StandardCharsets.US_ASCII),
                "HmacSHA256"), secret);
        SecretKeySpec extract = new SecretKeySpec(prk, "HmacSHA256");
        this.macKey = new SecretKeySpec(expand(extract, "value-mac"), "HmacSHA256");
        this.encKey = new SecretKeySpec(expand(extract, "value-aes-gcm"), "AES");
        this.fileKey = new SecretKeySpec(expand(extract, "state-file-mac"), "HmacSHA256");
        Arrays.fill(prk, (byte) 0);
    }

    /** A seal with a random secret known to this process only: a cluster of one trusts nothing from outside. */
    static ClusterSeal ephemeral() {
        byte[] secret = new byte[MIN_SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        return new ClusterSeal(secret);
    }

    /** Payload readable by anyone on the cluster, but only a holder of the secret can produce it. */
    byte[] sign(String structure, String key, byte[] payload) {
        byte[] out = new byte[HEADER + payload.length + MAC_BYTES];
        out[0] = MAGIC;
        out[1] = FORMAT;
        out[2] = SIGNED;
        System.arraycopy(payload, 0, out, HEADER, payload.length);
        byte[] tag = signedTag(structure, key, out, payload.length);
        System.arraycopy(tag, 0, out, HEADER + payload.length, MAC_BYTES);
        return out;
    }

    /** Bytes a signed value adds around its payload: the format header before, the tag after. */
    static final int SIGNED_OVERHEAD = HEADER + MAC_BYTES;
    /** Where the payload of a signed value starts. */
    static final int SIGNED_PAYLOAD_OFFSET = HEADER;

    /**
     * Signs in place a value laid out as {@link #SIGNED_PAYLOAD_OFFSET} free bytes, the payload, then 32 free bytes
     * for the tag: the same value {@link #sign} would make, without copying a large payload.
     */
    byte[] signInPlace(String structure, String key, byte[] frame) {
        int len = frame.length - SIGNED_OVERHEAD;
        if (len < 0) {
            throw new IllegalArgumentException("frame: " + frame.length + " bytes (expected: >= " + SIGNED_OVERHEAD + ")");
        }
        frame[0] = MAGIC;
        frame[1] = FORMAT;
        frame[2] = SIGNED;
        byte[] tag = signedTag(structure, key, frame, len);
        System.arraycopy(tag, 0, frame, HEADER + len, MAC_BYTES);
        return frame;
    }

    /**
     * The payload of a signed value, verified, as a view of {@code value} (no copy; not to be written to).
     *
     * @throws Rejected as {@link #open} does; a sealed value is rejected too
     */
    java.nio.ByteBuffer openSigned(String structure, String key, byte[] value) throws Rejected {
        if (value == null || value.length < HEADER || value[0] != MAGIC || value[1] != FORMAT) {
            throw new Rejected("not a Gatehouse shared value");
        }
        if (value[2] != SIGNED) {
            throw new Rejected("not a signed value (kind " + value[2] + ")");
        }
        int len = value.length - SIGNED_OVERHEAD;
        if (len < 0) {
            throw new Rejected("truncated");
        }
        byte[] expected = signedTag(structure, key, value, len);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(value, HEADER + len, value.length))) {
            throw new Rejected("authentication failed (another secret, another key, or altered)");
        }
        return java.nio.ByteBuffer.wrap(value, HEADER, len).slice();
    }

    /** Payload encrypted and authenticated: for values holding secrets (credential hashes). */
    byte[] seal(String structure, String key, byte[] plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, encKey, new GCMParameterSpec(GCM_TAG_BITS, nonce));
            c.updateAAD(aad(structure, key, new byte[] {MAGIC, FORMAT, SEALED}));
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[HEADER + NONCE_BYTES + ct.length];
            out[0] = MAGIC;
            out[1] = FORMAT;
            out[2] = SEALED;
            System.arraycopy(nonce, 0, out, HEADER, NONCE_BYTES);
            System.arraycopy(ct, 0, out, HEADER + NONCE_BYTES, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The payload of a value signed or sealed under this structure and key with this secret.
     *
     * @throws Rejected when the value is not one: wrong format, truncated, tampered, another key or another secret
     */
    byte[] open(String structure, String key, byte[] value) throws Rejected {
        if (value == null || value.length < HEADER || value[0] != MAGIC || value[1] != FORMAT) {
            throw new Rejected("not a Gatehouse shared value");
        }
        if (value[2] == SIGNED) {
            int len = value.length - HEADER - MAC_BYTES;
            if (len < 0) {
                throw new Rejected("truncated");
            }
            byte[] expected = signedTag(structure, key, value, len);
            if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(value, HEADER + len, value.length))) {
                throw new Rejected("authentication failed (another secret, another key, or altered)");
            }
            return Arrays.copyOfRange(value, HEADER, HEADER + len);
        }
        if (value[2] == SEALED) {
            if (value.length < HEADER + NONCE_BYTES + GCM_TAG_BITS / 8) {
                throw new Rejected("truncated");
            }
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, encKey, new GCMParameterSpec(GCM_TAG_BITS, value, HEADER, NONCE_BYTES));
                c.updateAAD(aad(structure, key, Arrays.copyOf(value, HEADER)));
                return c.doFinal(value, HEADER + NONCE_BYTES, value.length - HEADER - NONCE_BYTES);
            } catch (AEADBadTagException e) {
                throw new Rejected("authentication failed (another secret, another key, or altered)");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new Rejected("unknown value kind " + value[2]);
    }

    /** HMAC of a local state file's body under its name, with a key of its own (never valid as a shared value). */
    byte[] fileTag(String name, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(fileKey);
            mac.update(aad(name, "", new byte[0]));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] signedTag(String structure, String key, byte[] value, int payloadLength) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(macKey);
            mac.update(aad(structure, key, Arrays.copyOf(value, HEADER)));
            mac.update(value, HEADER, payloadLength);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Length-prefixed, so ("a/b", "c") and ("a", "b/c") differ. */
    private static byte[] aad(String structure, String key, byte[] header) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(CONTEXT);
        lengthPrefixed(out, structure.getBytes(StandardCharsets.UTF_8));
        lengthPrefixed(out, key.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(header);
        return out.toByteArray();
    }

    private static void lengthPrefixed(ByteArrayOutputStream out, byte[] b) {
        out.write(b.length >>> 24);
        out.write(b.length >>> 16);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    private static byte[] expand(SecretKeySpec prk, String info) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(prk);
            mac.update(info.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 1);
            return mac.doFinal(); // one HKDF block: 32 bytes, all each key needs
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(SecretKeySpec key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value that is not a valid Gatehouse value for its place. */
    static final class Rejected extends Exception {
        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }
}
