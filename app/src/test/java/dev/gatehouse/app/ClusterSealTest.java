package dev.gatehouse.app;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSealTest {

    static final byte[] SECRET = "0123456789abcdef0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8);
    final ClusterSeal seal = new ClusterSeal(SECRET);
    final byte[] payload = "{\"version\":7,\"hash\":\"$2a$10$abc\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signedAndSealedValuesOpenUnderTheirMapAndKey() throws Exception {
        assertThat(seal.open("m", "k", seal.sign("m", "k", payload))).isEqualTo(payload);
        assertThat(seal.open("m", "k", seal.seal("m", "k", payload))).isEqualTo(payload);
        // Another instance from the same secret (another node) opens them too.
        assertThat(new ClusterSeal(SECRET.clone()).open("m", "k", seal.seal("m", "k", payload))).isEqualTo(payload);
        assertThat(seal.open("m", "k", seal.sign("m", "k", new byte[0]))).isEmpty();
    }

    @Test
    void aSealedValueDoesNotShowItsPlaintext() {
        byte[] sealed = seal.seal("m", "k", payload);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("version").doesNotContain("$2a$");
        // Random nonce: the same plaintext seals differently each time.
        assertThat(seal.seal("m", "k", payload)).isNotEqualTo(sealed);
    }

    @Test
    void everyAlteredByteIsRejected() {
        for (byte[] value : new byte[][] {seal.sign("m", "k", payload), seal.seal("m", "k", payload)}) {
            for (int i = 0; i < value.length; i++) {
                byte[] tampered = value.clone();
                tampered[i] ^= 0x01;
                assertThatThrownBy(() -> seal.open("m", "k", tampered)).as("byte %d", i)
                        .isInstanceOf(ClusterSeal.Rejected.class);
            }
        }
    }

    @Test
    void anotherSecretIsRejected() {
        ClusterSeal other = new ClusterSeal("another-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> seal.open("m", "k", other.sign("m", "k", payload)))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("authentication failed");
        assertThatThrownBy(() -> seal.open("m", "k", other.seal("m", "k", payload)))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("authentication failed");
        assertThatThrownBy(() -> seal.open("m", "k", ClusterSeal.ephemeral().seal("m", "k", payload)))
                .isInstanceOf(ClusterSeal.Rejected.class);
    }

    @Test
    void aValueCopiedUnderAnotherKeyOrMapIsRejected() {
        for (byte[] value : new byte[][] {seal.sign("pool/a", "k", payload), seal.seal("pool/a", "k", payload)}) {
            assertThatThrownBy(() -> seal.open("pool/a", "k2", value)).isInstanceOf(ClusterSeal.Rejected.class);
            assertThatThrownBy(() -> seal.open("pool/b", "k", value)).isInstanceOf(ClusterSeal.Rejected.class);
            // Length-prefixed binding: moving a character from the map name to the key is another place too.
            assertThatThrownBy(() -> seal.open("pool/", "ak", value)).isInstanceOf(ClusterSeal.Rejected.class);
        }
    }

    @Test
    void truncatedAndForeignValuesAreRejected() {
        for (byte[] value : new byte[][] {seal.sign("m", "k", payload), seal.seal("m", "k", payload)}) {
            for (int len = 0; len < value.length; len++) {
                byte[] cut = Arrays.copyOf(value, len);
                assertThatThrownBy(() -> seal.open("m", "k", cut)).as("length %d", len)
                        .isInstanceOf(ClusterSeal.Rejected.class);
            }
        }
        assertThatThrownBy(() -> seal.open("m", "k", payload)).isInstanceOf(ClusterSeal.Rejected.class)
                .hasMessage("not a Gatehouse shared value");
        assertThatThrownBy(() -> seal.open("m", "k", null)).isInstanceOf(ClusterSeal.Rejected.class);
        byte[] kind = seal.sign("m", "k", payload);
        kind[2] = 9;
        assertThatThrownBy(() -> seal.open("m", "k", kind)).isInstanceOf(ClusterSeal.Rejected.class)
                .hasMessageContaining("unknown value kind");
    }

    @Test
    void aSignedValueCannotBePassedOffAsSealedOrBack() {
        byte[] signed = seal.sign("m", "k", payload);
        signed[2] = 2;
        assertThatThrownBy(() -> seal.open("m", "k", signed)).isInstanceOf(ClusterSeal.Rejected.class);
        byte[] sealed = seal.seal("m", "k", payload);
        sealed[2] = 1;
        assertThatThrownBy(() -> seal.open("m", "k", sealed)).isInstanceOf(ClusterSeal.Rejected.class);
    }

    @Test
    void aShortSecretIsRefused() {
        assertThatThrownBy(() -> new ClusterSeal(new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileTagsDependOnNameBodyAndSecretAndAreNotValueTags() {
        byte[] tag = seal.fileTag("shared-config.json", payload);
        assertThat(seal.fileTag("shared-config.json", payload)).isEqualTo(tag);
        assertThat(seal.fileTag("other.json", payload)).isNotEqualTo(tag);
        assertThat(ClusterSeal.ephemeral().fileTag("shared-config.json", payload)).isNotEqualTo(tag);
        byte[] signed = seal.sign("shared-config.json", "", payload);
        assertThat(Arrays.copyOfRange(signed, signed.length - 32, signed.length)).isNotEqualTo(tag);
    }
}
