package dev.gatehouse.proxy.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UncacheableKeysTest {

    @Test
    void aMarkLastsItsTimeAndEndsWhenCleared() {
        UncacheableKeys keys = new UncacheableKeys();
        assertThat(keys.marked("k", 1_000)).isFalse();
        keys.mark("k", 1_000);
        assertThat(keys.marked("k", 1_000 + UncacheableKeys.TTL_MS - 1)).isTrue();
        assertThat(keys.marked("other", 1_000)).isFalse();
        assertThat(keys.marked("k", 1_000 + UncacheableKeys.TTL_MS)).as("expired").isFalse();
        assertThat(keys.size()).as("an expired mark is dropped when looked at").isZero();
        keys.mark("k", 5_000);
        keys.clear("k");
        assertThat(keys.marked("k", 5_001)).as("a stored answer ends it").isFalse();
    }

    @Test
    void staysBounded() {
        UncacheableKeys keys = new UncacheableKeys();
        for (int i = 0; i < UncacheableKeys.MAX_KEYS * 3; i++) {
            keys.mark("k" + i, 0);
        }
        assertThat(keys.size()).isLessThanOrEqualTo(UncacheableKeys.MAX_KEYS);
    }

    @Test
    void acceptEncodingThatLetsTheCompressorEncode() {
        assertThat(Compressible.accepted("gzip, deflate, br")).isTrue();
        assertThat(Compressible.accepted("br;q=0.5")).isTrue();
        assertThat(Compressible.accepted("*")).isTrue();
        assertThat(Compressible.accepted("gzip;q=0, identity")).isFalse();
        assertThat(Compressible.accepted("GZIP; Q=0.000")).isFalse();
        assertThat(Compressible.accepted("identity")).isFalse();
        assertThat(Compressible.accepted("zstd")).isFalse();
        assertThat(Compressible.accepted(null)).isFalse();
    }
}
