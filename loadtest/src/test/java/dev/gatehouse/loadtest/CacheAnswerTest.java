package dev.gatehouse.loadtest;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheAnswerTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "gatehouse; hit                                   | true",
            "gatehouse; hit; ttl=3599                         | true",
            "Gatehouse;HIT                                    | true",
            "gatehouse; hit=?1                                | true",
            "gatehouse; hit=?0                                | false",
            "gatehouse; fwd=miss; stored                      | false",
            "gatehouse; fwd=uri-miss; fwd-status=200          | false",
            "origin-cache; hit, gatehouse; fwd=miss           | false",
            "origin-cache; fwd=miss, gatehouse; hit           | true",
            "gatehouse; detail=\"hit, not really\"; fwd=miss   | false",
            "gatehouse; fwd=stale; hit; detail=\"a;b\"         | true",
            "hit                                              | false",
    })
    void readsTheLastMemberOfCacheStatus(String field, boolean hit) {
        assertThat(CacheAnswer.cacheStatusHit(field.trim())).isEqualTo(hit);
    }

    @Test
    void fallsBackToXCacheHeadersAndSaysNothingWithoutThem() {
        assertThat(CacheAnswer.of(headers("Cache-Status", "gatehouse; hit"))).isEqualTo(CacheAnswer.HIT);
        assertThat(CacheAnswer.of(headers("Cache-Status", "gatehouse; fwd=miss"))).isEqualTo(CacheAnswer.MISS);
        assertThat(CacheAnswer.of(headers("X-Cache-Status", "HIT"))).isEqualTo(CacheAnswer.HIT);
        assertThat(CacheAnswer.of(headers("X-Cache-Status", "EXPIRED"))).isEqualTo(CacheAnswer.MISS);
        assertThat(CacheAnswer.of(headers("X-Cache", "hit from varnish"))).isEqualTo(CacheAnswer.HIT);
        assertThat(CacheAnswer.of(headers("X-Cache", "MISS"))).isEqualTo(CacheAnswer.MISS);
        assertThat(CacheAnswer.of(headers("X-Backend", "b1"))).isEqualTo(CacheAnswer.NONE);
        // Cache-Status wins over the legacy fields; of several field lines the last one counts
        assertThat(CacheAnswer.of(headers("Cache-Status", "gatehouse; fwd=miss").add("X-Cache", "HIT")))
                .isEqualTo(CacheAnswer.MISS);
        assertThat(CacheAnswer.of(headers("Cache-Status", "a; fwd=miss").add("Cache-Status", "gatehouse; hit")))
                .isEqualTo(CacheAnswer.HIT);
    }

    @Test
    void originCounterReadsNumbersJsonAndNginxStubStatus() {
        assertThat(OriginCounter.parse("42\n")).isEqualTo(new OriginCounter.Count(42, 0));
        assertThat(OriginCounter.parse("{\"backend\":\"b\",\"requests\":7}")).isEqualTo(new OriginCounter.Count(7, 0));
        String stub = """
                Active connections: 3
                server accepts handled requests
                 12 12 345
                Reading: 0 Writing: 1 Waiting: 2
                """;
        assertThat(OriginCounter.parse(stub)).isEqualTo(new OriginCounter.Count(345, 1));
        assertThat(new OriginCounter.Count(400, 1).since(new OriginCounter.Count(345, 1)))
                .as("the later read counted itself").isEqualTo(54);
        assertThatThrownBy(() -> OriginCounter.parse("{\"requests\":\"many\"}")).hasMessageContaining("requests");
        assertThatThrownBy(() -> OriginCounter.parse("<html>")).hasMessageContaining("not a count");
    }

    private static MultiMap headers(String name, String value) {
        return MultiMap.caseInsensitiveMultiMap().add(name, value);
    }
}
