package dev.gatehouse.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.DataSize;
import dev.gatehouse.proxy.cache.StoredResponse;
import dev.gatehouse.proxy.cache.StoredResponse.Header;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HazelcastResponseStoreTest {

    @Test
    void maxSizeIsSharedAmongThePlannedMembersWithRoomForBackups() {
        CacheConfig c = CacheConfig.DEFAULT; // 256MB
        assertThat(HazelcastResponseStore.perMemberMegabytes(c, 1)).isEqualTo(256); // no backups on a single member
        assertThat(HazelcastResponseStore.perMemberMegabytes(c, 0)).isEqualTo(256);
        assertThat(HazelcastResponseStore.perMemberMegabytes(c, 2)).isEqualTo(256); // own half + backup of the other
        assertThat(HazelcastResponseStore.perMemberMegabytes(c, 3)).isEqualTo(171); // ceil(512 / 3)
        assertThat(HazelcastResponseStore.perMemberMegabytes(new CacheConfig(DataSize.ofMegabytes(1), null), 5))
                .isEqualTo(1);
    }

    @Test
    void configureSetsBackupsNearCacheEvictionAndIndexes() {
        Config config = HazelcastResponseStore.configure(new Config(),
                new CacheConfig(DataSize.ofMegabytes(64), null, CacheConfig.Eviction.LFU, 500), 2);
        MapConfig map = config.getMapConfig(HazelcastResponseStore.MAP);
        assertThat(map.getBackupCount()).isEqualTo(1);
        assertThat(map.getAsyncBackupCount()).isZero();
        assertThat(map.getInMemoryFormat()).isEqualTo(InMemoryFormat.BINARY);
        assertThat(map.getEvictionConfig().getEvictionPolicy()).isEqualTo(EvictionPolicy.LFU);
        assertThat(map.getEvictionConfig().getMaxSizePolicy()).isEqualTo(MaxSizePolicy.USED_HEAP_SIZE);
        assertThat(map.getEvictionConfig().getSize()).isEqualTo(64);
        NearCacheConfig near = map.getNearCacheConfig();
        assertThat(near.getInMemoryFormat()).isEqualTo(InMemoryFormat.OBJECT); // same array until invalidated
        assertThat(config.getUserContext().get(HazelcastResponseStore.MEMO)).isInstanceOf(ReadMemo.class);
        assertThat(config.getMapConfig(HazelcastMissCollapsing.MAP).getBackupCount()).isEqualTo(1);
        assertThat(near.isInvalidateOnChange()).isTrue();
        assertThat(near.getEvictionConfig().getMaxSizePolicy()).isEqualTo(MaxSizePolicy.ENTRY_COUNT);
        assertThat(near.getEvictionConfig().getSize()).isEqualTo(500);
        assertThat(near.getEvictionConfig().getEvictionPolicy()).isEqualTo(EvictionPolicy.LFU);
        assertThat(map.getIndexConfigs()).extracting(i -> i.getAttributes().get(0)).containsExactly("tags", "__key");
        assertThat(config.getSerializationConfig().getDataSerializableFactories())
                .containsKey(CacheOperations.FACTORY_ID);
        assertThat(config.getUserContext().get(HazelcastResponseStore.COUNTERS))
                .isInstanceOf(HazelcastResponseStore.Counters.class);
        assertThat(HazelcastResponseStore.configure(new Config(), CacheConfig.DEFAULT, 1)
                .getMapConfig(HazelcastResponseStore.MAP).getEvictionConfig().getEvictionPolicy())
                .isEqualTo(EvictionPolicy.LRU);
    }

    @Test
    void anAbsoluteUrlIsKeyedAsTheEngineKeysAGetOfIt() {
        assertThat(HazelcastResponseStore.keyOf("https://Example.com:443/a/./b?q=1"))
                .isEqualTo("GET https://example.com/a/b?q=1");
        assertThat(HazelcastResponseStore.keyOf("http://h:8080")).isEqualTo("GET http://h:8080/");
        assertThat(HazelcastResponseStore.keyOf("http://h?x")).isEqualTo("GET http://h/?x");
        assertThat(HazelcastResponseStore.keyOf("HTTP://h/p#frag")).isEqualTo("GET http://h/p");
        for (String bad : List.of("/a/b", "h/a", "://h/a", "http:///a", "1http://h/")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> HazelcastResponseStore.keyOf(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aPathPrefixMatchesThatPathOnEveryHostAndNothingInAHostName() {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(HazelcastResponseStore.pathPrefixRegex("/api"));
        for (String k : List.of("GET https://a.example/api", "GET http://b:8080/api/v1?x=1", "GET https://c/apiary",
                "GET https://[::1]:8443/api/")) {
            assertThat(p.matcher(k).matches()).as(k).isTrue();
        }
        for (String k : List.of("GET https://api.example/other", "GET https://x/b/api", "GET https://x/?/api",
                "GET https://api/", "GET https://h/API", "GET https://h%2Fapi/x")) {
            assertThat(p.matcher(k).matches()).as(k).isFalse();
        }
        // Metacharacters are literal; the prefix is normalised as keys are.
        assertThat(java.util.regex.Pattern.matches(HazelcastResponseStore.pathPrefixRegex("/a.b(c)"),
                "GET http://h/a.b(c)/d")).isTrue();
        assertThat(java.util.regex.Pattern.matches(HazelcastResponseStore.pathPrefixRegex("/a.b"),
                "GET http://h/aXb")).isFalse();
        assertThat(java.util.regex.Pattern.matches(HazelcastResponseStore.pathPrefixRegex("/x/%7euser/./"),
                "GET http://h/x/~user/index.html")).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HazelcastResponseStore.pathPrefixRegex("api"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefixRangesEndAtTheSuccessor() {
        assertThat(HazelcastResponseStore.successor("GET http://a/x/")).isEqualTo("GET http://a/x0");
        assertThat(HazelcastResponseStore.successor("a\uffff")).isEqualTo("b");
        assertThat(HazelcastResponseStore.successor("\uffff\uffff")).isNull();
        assertThat(HazelcastResponseStore.successor("")).isNull();
        for (String s : List.of("/a/", "/a/b", "/a/\uffff", "/a/\uffff\uffffz")) {
            assertThat(s.compareTo("/a/") >= 0 && s.compareTo(HazelcastResponseStore.successor("/a/")) < 0).as(s)
                    .isTrue();
        }
        for (String s : List.of("/a", "/a0", "/b/", "/")) {
            assertThat(s.compareTo("/a/") >= 0 && s.compareTo(HazelcastResponseStore.successor("/a/")) < 0).as(s)
                    .isFalse();
        }
    }

    @Test
    void mergeKeepsOtherVariantsNewestFirstAndDropsTheOldestWhenTooBig() {
        Instant now = Instant.now();
        StoredResponse en = variant("en", now, 100);
        StoredResponse fr = variant("fr", now, 100);
        StoredResponse expired = new StoredResponse(200, List.of(), java.nio.ByteBuffer.wrap(new byte[1]), now, now,
                List.of(new Header("accept-language", "de")), List.of(), now, now.minusMillis(1));
        assertThat(HazelcastResponseStore.merge(List.of(fr, expired), en, now, 1 << 20)).containsExactly(en, fr);
        StoredResponse en2 = variant("en", now, 100);
        assertThat(HazelcastResponseStore.merge(List.of(en, fr), en2, now, 1 << 20)).containsExactly(en2, fr);
        long one = CacheEntryCodec.encodedSize(List.of(en2));
        assertThat(HazelcastResponseStore.merge(List.of(en, fr), variant("it", now, 100), now, one + 10))
                .hasSize(1);
        List<StoredResponse> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(variant("l" + i, now, 1));
        }
        assertThat(HazelcastResponseStore.merge(many, en, now, 1 << 20)).hasSize(HazelcastResponseStore.MAX_VARIANTS)
                .startsWith(en);
    }

    static StoredResponse variant(String lang, Instant now, int bodyBytes) {
        return new StoredResponse(200, List.of(new Header("Content-Language", lang)),
                java.nio.ByteBuffer.wrap(new byte[bodyBytes]), now, now, List.of(new Header("accept-language", lang)),
                List.of(), now, now.plus(Duration.ofMinutes(1)));
    }
}
