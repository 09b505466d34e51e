package dev.gatehouse.app;

import dev.gatehouse.proxy.cache.StoredResponse;
import dev.gatehouse.proxy.cache.StoredResponse.Header;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheEntryCodecTest {

    static final ClusterSeal SEAL = new ClusterSeal(ClusterSealTest.SECRET);
    static final String MAP = HazelcastResponseStore.MAP;
    static final AtomicInteger SEEDS = new AtomicInteger(20261207);

    /** Property: any variants (random fields, bodies, tags, times) come back equal, and the size is exact. */
    @RepeatedTest(200)
    void randomEntriesRoundTrip() throws Exception {
        long seed = SEEDS.getAndIncrement();
        Random r = new Random(seed);
        List<StoredResponse> variants = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            variants.add(randomResponse(r));
        }
        String key = randomString(r, 1 + r.nextInt(80));
        byte[] value = CacheEntryCodec.encode(SEAL, MAP, key, variants);

        assertThat(value.length).as("seed %d", seed).isEqualTo(CacheEntryCodec.encodedSize(variants));
        assertThat(CacheEntryCodec.decode(SEAL, MAP, key, value)).as("seed %d", seed).isEqualTo(variants);
        assertThat(CacheEntryCodec.tags(value)).as("seed %d", seed)
                .containsExactlyElementsOf(CacheEntryCodec.unionTags(variants));
        // Another node (same secret, another instance) reads it too.
        assertThat(CacheEntryCodec.decode(new ClusterSeal(ClusterSealTest.SECRET.clone()), MAP, key, value))
                .isEqualTo(variants);
    }

    @Test
    void headersKeepOrderDuplicatesCaseAndBytes() throws Exception {
        List<Header> headers = List.of(new Header("Set-Cookie", "a=1"), new Header("set-cookie", "b=2"),
                new Header("X-Latin", "caf\u00e9 \u00ff"), new Header("X-Empty", ""), new Header("ETag", "W/\"x\""));
        StoredResponse v = response(headers, "hello".getBytes(StandardCharsets.UTF_8), List.of("t1", "t2"));
        StoredResponse back = CacheEntryCodec.decode(SEAL, MAP, "k", CacheEntryCodec.encode(SEAL, MAP, "k",
                List.of(v))).get(0);
        assertThat(back.headers()).containsExactlyElementsOf(headers);
        assertThat(StandardCharsets.UTF_8.decode(back.body()).toString()).isEqualTo("hello");
        assertThat(back.body().isReadOnly()).isTrue();
    }

    @Test
    void everyAlteredByteIsRejected() {
        byte[] value = CacheEntryCodec.encode(SEAL, MAP, "k", List.of(response(List.of(new Header("A", "b")),
                new byte[] {1, 2, 3}, List.of("t"))));
        for (int i = 0; i < value.length; i++) {
            byte[] tampered = value.clone();
            tampered[i] ^= 0x40;
            assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", tampered)).as("byte %d", i)
                    .isInstanceOf(ClusterSeal.Rejected.class);
        }
        for (int len = 0; len < value.length; len++) {
            byte[] cut = Arrays.copyOf(value, len);
            assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", cut)).as("length %d", len)
                    .isInstanceOf(ClusterSeal.Rejected.class);
        }
    }

    @Test
    void anotherSecretAnotherKeyOrASealedValueIsRejected() {
        List<StoredResponse> v = List.of(response(List.of(), new byte[10], List.of()));
        ClusterSeal other = new ClusterSeal("another-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", CacheEntryCodec.encode(other, MAP, "k", v)))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("authentication failed");
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k2", CacheEntryCodec.encode(SEAL, MAP, "k", v)))
                .isInstanceOf(ClusterSeal.Rejected.class);
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, "other.map", "k", CacheEntryCodec.encode(SEAL, MAP,
                "k", v))).isInstanceOf(ClusterSeal.Rejected.class);
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", SEAL.seal(MAP, "k", new byte[40])))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("not a signed value");
        // Authentic but not an entry (another structure's payload signed under this map and key): not served.
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", SEAL.sign(MAP, "k", new byte[] {1, 0})))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> CacheEntryCodec.decode(SEAL, MAP, "k", SEAL.sign(MAP, "k", new byte[] {9})))
                .isInstanceOf(ClusterSeal.Rejected.class).hasMessageContaining("version");
    }

    @Test
    void tagsOfSomethingElseAreNone() {
        assertThat(CacheEntryCodec.tags(null)).isEmpty();
        assertThat(CacheEntryCodec.tags(new byte[3])).isEmpty();
        assertThat(CacheEntryCodec.tags("not a cache entry at all, just some text".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
        byte[] value = CacheEntryCodec.encode(SEAL, MAP, "k", List.of(response(List.of(), new byte[0],
                List.of("a", "b"))));
        value[ClusterSeal.SIGNED_PAYLOAD_OFFSET + 4] = 0x7f; // an absurd tag count
        assertThat(CacheEntryCodec.tags(value)).isEmpty();
    }

    @Test
    void signInPlaceIsSign() throws Exception {
        byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[payload.length + ClusterSeal.SIGNED_OVERHEAD];
        System.arraycopy(payload, 0, frame, ClusterSeal.SIGNED_PAYLOAD_OFFSET, payload.length);
        assertThat(SEAL.signInPlace("m", "k", frame)).isEqualTo(SEAL.sign("m", "k", payload));
        assertThat(SEAL.open("m", "k", frame)).isEqualTo(payload);
    }

    static StoredResponse response(List<Header> headers, byte[] body, List<String> tags) {
        Instant now = Instant.now();
        return new StoredResponse(200, headers, ByteBuffer.wrap(body), now.minusMillis(20), now.minusMillis(5),
                List.of(), tags, now, now.plusSeconds(60));
    }

    static StoredResponse randomResponse(Random r) {
        List<Header> headers = new ArrayList<>();
        for (int i = r.nextInt(20); i > 0; i--) {
            headers.add(new Header(randomString(r, 1 + r.nextInt(20)), randomString(r, r.nextInt(200))));
        }
        List<Header> vary = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            vary.add(new Header(randomString(r, 1 + r.nextInt(10)), randomString(r, r.nextInt(30))));
        }
        List<String> tags = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            tags.add(randomString(r, 1 + r.nextInt(15)));
        }
        byte[] body = new byte[r.nextInt(4) == 0 ? r.nextInt(70_000) : r.nextInt(300)];
        r.nextBytes(body);
        Instant t = Instant.ofEpochMilli(1_600_000_000_000L + (r.nextLong() & 0xFFFFFFFFFL));
        return new StoredResponse(100 + r.nextInt(900), headers, ByteBuffer.wrap(body), t, t.plusMillis(r.nextInt(5000)),
                vary, tags, t.plusMillis(6000), t.plusSeconds(r.nextInt(100_000)));
    }

    /** ASCII mostly, then Latin-1 (obs-text), then any BMP letter and a supplementary character. */
    static String randomString(Random r, int len) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                b.append((char) (0x20 + r.nextInt(0x5f)));
            } else if (kind < 8) {
                b.append((char) (0x80 + r.nextInt(0x80)));
            } else if (kind < 9) {
                b.append((char) (0x100 + r.nextInt(0xd000)));
            } else {
                b.appendCodePoint(0x1F600 + r.nextInt(50));
            }
        }
        return b.toString();
    }
}
