package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.cache.CacheStatus.Fwd;
import dev.gatehouse.proxy.cache.CacheStatus.Summary;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9211 (Cache-Status): §2 the list, §2.1 hit, §2.2 fwd, §2.3 fwd-status, §2.4 ttl, §2.5–§2.8. */
class CacheStatusTest {

    @Test
    void hitWithTtl() {
        assertThat(CacheStatus.hit().ttl(376).value()).isEqualTo("gatehouse; hit; ttl=376");
    }

    @Test
    void staleHitHasNegativeTtl() {
        assertThat(CacheStatus.hit().ttl(-12).value()).isEqualTo("gatehouse; hit; ttl=-12");
    }

    @Test
    void missStored() {
        assertThat(CacheStatus.forward(Fwd.URI_MISS).fwdStatus(200).stored(true).ttl(60).value())
                .isEqualTo("gatehouse; fwd=uri-miss; fwd-status=200; ttl=60; stored");
    }

    @Test
    void everyParameter() {
        assertThat(CacheStatus.forward(Fwd.VARY_MISS).fwdStatus(200).ttl(5).stored(true).collapsed(true)
                .key("GET https://example.com/").detail("private").value())
                .isEqualTo("gatehouse; fwd=vary-miss; fwd-status=200; ttl=5; stored; collapsed; "
                        + "key=\"GET https://example.com/\"; detail=private");
    }

    /** §2.2: the fwd tokens. */
    @ParameterizedTest
    @CsvSource({"BYPASS,bypass", "METHOD,method", "URI_MISS,uri-miss", "VARY_MISS,vary-miss", "MISS,miss",
            "REQUEST,request", "STALE,stale", "PARTIAL,partial"})
    void fwdTokens(Fwd fwd, String token) {
        assertThat(CacheStatus.forward(fwd).value()).isEqualTo("gatehouse; fwd=" + token);
    }

    /** §2.8: detail is a Token or a String (RFC 8941); a String escapes \ and ". */
    @ParameterizedTest(name = "[{index}] detail {0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "no-store|no-store",
            "NOT_EXPLICITLY_CACHEABLE|NOT_EXPLICITLY_CACHEABLE",
            "set-cookie|set-cookie",
            "too big|\"too big\"",
            "1abc|\"1abc\"",
            "a\"b|\"a\\\"b\"",
            "a\\b|\"a\\\\b\"",
            "é|\"?\"",
    })
    void detail(String detail, String encoded) {
        assertThat(CacheStatus.forward(Fwd.BYPASS).detail(detail).value())
                .isEqualTo("gatehouse; fwd=bypass; detail=" + encoded);
    }

    /** §2: a cache appends its member; the origin's and earlier caches' members stay first. */
    @Test
    void appendsToTheList() {
        MultiMap h = H.of("Cache-Status", "OriginCache; hit; ttl=1100|\"CDN Company Here\"; hit; ttl=545");
        CacheStatus.hit().ttl(5).appendTo(h);
        assertThat(h.getAll("Cache-Status")).containsExactly(
                "OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545, gatehouse; hit; ttl=5");
        MultiMap empty = MultiMap.caseInsensitiveMultiMap();
        CacheStatus.forward(Fwd.MISS).appendTo(empty);
        assertThat(empty.get("Cache-Status")).isEqualTo("gatehouse; fwd=miss");
    }

    /** The X-Cache style summary for the access log. */
    @Test
    void summaries() {
        Map<CacheStatus, Summary> table = new java.util.LinkedHashMap<>();
        table.put(CacheStatus.hit().ttl(10), Summary.HIT);
        table.put(CacheStatus.hit(), Summary.HIT);
        table.put(CacheStatus.hit().ttl(-3), Summary.STALE);                     // stale served (max-stale, error)
        table.put(CacheStatus.hit().ttl(-3).fwd(Fwd.STALE), Summary.UPDATING);   // stale-while-revalidate
        table.put(CacheStatus.forward(Fwd.URI_MISS).fwdStatus(200), Summary.MISS);
        table.put(CacheStatus.forward(Fwd.VARY_MISS).fwdStatus(200), Summary.MISS);
        table.put(CacheStatus.forward(Fwd.MISS), Summary.MISS);
        table.put(CacheStatus.forward(Fwd.PARTIAL), Summary.MISS);
        table.put(CacheStatus.forward(Fwd.BYPASS), Summary.BYPASS);
        table.put(CacheStatus.forward(Fwd.METHOD).fwdStatus(201), Summary.BYPASS);
        table.put(CacheStatus.forward(Fwd.STALE).fwdStatus(304), Summary.REVALIDATED);
        table.put(CacheStatus.forward(Fwd.STALE).fwdStatus(200), Summary.EXPIRED);
        table.put(CacheStatus.forward(Fwd.REQUEST).fwdStatus(304), Summary.REVALIDATED);
        table.put(CacheStatus.forward(Fwd.REQUEST).fwdStatus(200), Summary.BYPASS);
        for (Map.Entry<CacheStatus, Summary> e : table.entrySet()) {
            assertThat(e.getKey().summary()).as(e.getKey().value()).isEqualTo(e.getValue());
        }
        assertThat(List.of(Summary.values())).hasSize(7);
    }

    /** The member is a valid Structured Field List member: the targeted-field parser reads its parameters back. */
    @Test
    void valueIsAStructuredItemWithParameters() {
        String v = CacheStatus.forward(Fwd.URI_MISS).fwdStatus(200).ttl(-1).stored(true).detail("a \"b\"").value();
        // As a Dictionary member "gatehouse" with parameters, the same grammar a List member's parameters use.
        assertThat(StructuredDictionary.parse(List.of(v))).containsOnlyKeys("gatehouse");
    }
}
