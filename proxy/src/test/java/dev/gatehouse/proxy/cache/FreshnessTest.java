package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.cache.Freshness.Heuristic;
import dev.gatehouse.proxy.cache.Freshness.Reuse;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;

import static dev.gatehouse.proxy.cache.H.T;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 9111 §4.2 freshness: lifetime (§4.2.1), heuristics (§4.2.2), age (§4.2.3), reuse (§4.2.4, §5.2.1, §5.2.2),
 * RFC 5861. Response headers "Name: value ^ Name: value"; {T+n} is the HTTP-date n seconds after T. The cache sends
 * at T and receives at T unless a row says otherwise.
 */
class FreshnessTest {

    private static Freshness of(int status, String response, Heuristic h) {
        MultiMap headers = H.dated(response);
        return Freshness.of(status, headers, CacheControl.response(headers), T, T, h);
    }

    /** §4.2.1: s-maxage, then max-age, then Expires − Date; §5.3: invalid Expires is in the past. */
    @ParameterizedTest(name = "[{index}] {0} {1} → lifetime {2}")
    @CsvSource(delimiter = '|', value = {
            "200|Cache-Control: s-maxage=10, max-age=20|10",
            "200|Cache-Control: max-age=20, s-maxage=10|10",
            "200|Cache-Control: max-age=20 ^ Expires: {T+100} ^ Date: {T+0}|20",
            "200|Cache-Control: s-maxage=5 ^ Expires: {T+100} ^ Date: {T+0}|5",
            "200|Expires: {T+100} ^ Date: {T+0}|100",
            "200|Expires: {T+100} ^ Date: {T+50}|50",
            "200|Expires: {T+100}|100",                               // no Date: the time received
            "200|Expires: {T+100} ^ Date: yesterday|100",             // invalid Date: the time received
            "200|Expires: {T-100} ^ Date: {T+0}|0",
            "200|Expires: {T+0} ^ Date: {T+0}|0",
            "200|Expires: 0 ^ Date: {T+0}|0",                         // §5.3 "0": already expired
            "200|Expires: -1|0",
            "200|Expires: tomorrow ^ Last-Modified: {T-100000}|0",     // explicit (if invalid): no heuristic
            "200|Expires: {T+100} ^ Expires: {T+200}|0",              // §4.2.1 differing repeats: stale
            "200|Expires: {T+100} ^ Expires: {T+100}|100",
            "200|Expires: Thursday, 01-Jan-26 00:01:40 GMT|100",       // RFC 850 form (§5.6.7)
            "200|Expires: Thu Jan  1 00:01:40 2026|100",               // asctime form
            "200|Expires: Thu, 01 Jan 2026 00:01:40 UTC|0",            // not GMT: invalid
            "200|Expires: thu, 01 jan 2026 00:01:40 GMT|100",          // names in any case (RFC 9111 §4.2)
            "200|Cache-Control: max-age=abc ^ Expires: {T+100}|0",     // invalid max-age: stale, not Expires
            "200|Cache-Control: max-age=0 ^ Last-Modified: {T-100000}|0",
            "200|Cache-Control: no-cache ^ Expires: {T+100}|100",
            "302|Cache-Control: max-age=60|60",
            "500|Expires: {T+30}|30",
            "200|Cache-Control: max-age=99999999999|2147483648",
            // RFC 9213: a targeted field overrides Cache-Control and Expires
            "200|CDN-Cache-Control: max-age=30 ^ Cache-Control: max-age=10|30",
            "200|Gatehouse-Cache-Control: max-age=5 ^ CDN-Cache-Control: max-age=30|5",
            "200|CDN-Cache-Control: no-store ^ Expires: {T+100}|0",
            "200|CDN-Cache-Control: s-maxage=7, max-age=9|7",
            "200|CDN-Cache-Control: max-age=30,, ^ Cache-Control: max-age=10|10",
    })
    void explicitLifetime(int status, String response, long lifetime) {
        Freshness f = of(status, response, Heuristic.DEFAULT);
        assertThat(f.lifetime()).isEqualTo(lifetime);
        assertThat(f.heuristic()).isFalse();
    }

    /**
     * §4.2.2: only without explicit freshness, for heuristically cacheable statuses or public responses: 10% of
     * Date − Last-Modified, capped (default one day); a route default-ttl replaces the estimate when configured.
     */
    @ParameterizedTest(name = "[{index}] {0} {1} cap={2} default-ttl={3} → {4}")
    @CsvSource(delimiter = '|', value = {
            "200|Last-Modified: {T-1000} ^ Date: {T+0}|86400||100",
            "200|Last-Modified: {T-1000}|86400||100",                  // Date absent: the time received
            "200|Last-Modified: {T-1009} ^ Date: {T+0}|86400||100",     // whole seconds, rounded down
            "200|Last-Modified: {T-17280000} ^ Date: {T+0}|86400||86400", // 200 days: capped at one day
            "200|Last-Modified: {T-17280000}|60||60",
            "200|Last-Modified: {T-1000} ^ Date: {T-500}|86400||50",
            "200|Last-Modified: {T+10} ^ Date: {T+0}|86400||0",          // modified after Date: no estimate
            "200|Last-Modified: {T+0} ^ Date: {T+0}|86400||0",
            "200|Last-Modified: garbage|86400||0",
            "200||86400||0",                                            // nothing to estimate from
            "203|Last-Modified: {T-1000}|86400||100",
            "204|Last-Modified: {T-1000}|86400||100",
            "300|Last-Modified: {T-1000}|86400||100",
            "301|Last-Modified: {T-1000}|86400||100",
            "308|Last-Modified: {T-1000}|86400||100",
            "404|Last-Modified: {T-1000}|86400||100",
            "405|Last-Modified: {T-1000}|86400||100",
            "410|Last-Modified: {T-1000}|86400||100",
            "414|Last-Modified: {T-1000}|86400||100",
            "501|Last-Modified: {T-1000}|86400||100",
            "302|Last-Modified: {T-1000}|86400||0",                     // not heuristically cacheable
            "307|Last-Modified: {T-1000}|86400||0",
            "500|Last-Modified: {T-1000}|86400||0",
            "503|Last-Modified: {T-1000}|86400||0",
            "302|Cache-Control: public ^ Last-Modified: {T-1000}|86400||100", // public allows heuristics
            "200||86400|300|300",                                       // default-ttl
            "200|Last-Modified: {T-1000}|86400|300|300",                 // replaces the estimate
            "404||86400|300|300",
            "302||86400|300|0",                                         // only where §4.2.2 allows
            "500||86400|300|0",
            "302|Cache-Control: public|86400|300|300",
            "200|CDN-Cache-Control: public ^ Expires: {T+5} ^ Last-Modified: {T-1000}|86400||100",
    })
    void heuristicLifetime(int status, String response, long cap, Long defaultTtl, long lifetime) {
        Heuristic h = new Heuristic(Duration.ofSeconds(cap), defaultTtl == null ? null : Duration.ofSeconds(defaultTtl));
        Freshness f = of(status, response, h);
        assertThat(f.lifetime()).isEqualTo(lifetime);
        assertThat(f.heuristic()).isEqualTo(lifetime > 0);
    }

    /**
     * §4.2.3: apparent_age = max(0, response_time − date_value); corrected_age_value = age_value + response_delay;
     * corrected_initial_age = max(both); current_age = that + resident_time. Offsets in seconds from T.
     */
    @ParameterizedTest(name = "[{index}] {0}, sent T{1}, received T{2}, now T{3} → age {4}")
    @CsvSource(delimiter = '|', value = {
            "Date: {T+0}|+0|+0|+0|0",
            "Date: {T+0}|+0|+0|+100|100",                  // resident time
            "Date: {T-10}|+0|+0|+0|10",                    // apparent age
            "Date: {T+10}|+0|+0|+0|0",                     // a Date in the future: apparent age 0
            "Date: {T+0}|-5|+0|+0|5",                      // response delay
            "Date: {T-3}|-5|+0|+0|5",
            "Date: {T-8}|-5|+0|+0|8",
            "Date: {T+0} ^ Age: 30|+0|+0|+0|30",
            "Date: {T-50} ^ Age: 30|+0|+0|+0|50",          // max(apparent, corrected)
            "Date: {T-20} ^ Age: 30|+0|+0|+0|30",
            "Date: {T+0} ^ Age: 30|-5|+0|+0|35",           // corrected_age_value adds the delay
            "Date: {T+0} ^ Age: 30|-5|+0|+10|45",
            "Date: {T+0} ^ Age: 30, 40|+0|+0|+0|30",       // §5.1: the first member of a list
            "Date: {T+0} ^ Age: 30 ^ Age: 40|+0|+0|+0|30",
            "Date: {T+0} ^ Age: abc|+0|+0|+0|0",           // §5.1: an invalid Age is ignored
            "Date: {T+0} ^ Age: -5|+0|+0|+0|0",
            "Date: {T+0} ^ Age: 1.5|+0|+0|+0|0",
            "Date: {T+0} ^ Age: ''|+0|+0|+0|0",
            "Date: {T+0} ^ Age: 99999999999|+0|+0|+0|2147483648", // §1.2.2 saturation
            "Age: 7|+0|+0|+0|7",                            // no Date
            "|+0|+0|+3|3",
            "Date: nonsense|+0|+0|+3|3",
            "Date: {T-10}|+0|+0|-100|10",                   // a clock going back adds no negative residence
    })
    void age(String response, long sent, long received, long now, long age) {
        MultiMap headers = H.dated(response);
        Freshness f = Freshness.of(200, headers, CacheControl.response(headers), T.plusSeconds(sent),
                T.plusSeconds(received), Heuristic.DEFAULT);
        assertThat(f.age(T.plusSeconds(now))).isEqualTo(age);
    }

    @Test
    void ageCountsMilliseconds() {
        MultiMap headers = H.parse("Cache-Control: max-age=60");
        Freshness f = Freshness.of(200, headers, CacheControl.response(headers), T.minusMillis(600), T.plusMillis(0),
                Heuristic.DEFAULT);
        assertThat(f.age(T.plusMillis(399))).isZero();
        assertThat(f.age(T.plusMillis(400))).isEqualTo(1);
    }

    /** RFC 9211 §2.4 ttl: remaining freshness, negative once stale. */
    @ParameterizedTest(name = "[{index}] max-age=60 at T+{0} → ttl {1}, fresh {2}")
    @CsvSource({"0,60,true", "10,50,true", "59,1,true", "60,0,false", "70,-10,false"})
    void ttl(long now, long ttl, boolean fresh) {
        Freshness f = of(200, "Cache-Control: max-age=60 ^ Date: {T+0}", Heuristic.DEFAULT);
        assertThat(f.ttl(T.plusSeconds(now))).isEqualTo(ttl);
        assertThat(f.fresh(T.plusSeconds(now))).isEqualTo(fresh);
    }

    /**
     * §4.2 fresh iff lifetime &gt; age; §4.2.4 and §5.2 on serving stale; §5.2.1 request constraints; RFC 5861 §3.
     */
    @ParameterizedTest(name = "[{index}] {0} / request {1} at T+{2} → {3}")
    @CsvSource(delimiter = '|', value = {
            "Cache-Control: max-age=60||0|FRESH",
            "Cache-Control: max-age=60||59|FRESH",
            "Cache-Control: max-age=60||60|REVALIDATE",         // lifetime > age, strictly
            "Cache-Control: max-age=60||61|REVALIDATE",
            "Cache-Control: max-age=0||0|REVALIDATE",
            "Cache-Control: max-age=abc||0|REVALIDATE",
            "Expires: 0||0|REVALIDATE",
            // §5.2.1.1 request max-age
            "Cache-Control: max-age=60|max-age=30|20|FRESH",
            "Cache-Control: max-age=60|max-age=30|30|FRESH",
            "Cache-Control: max-age=60|max-age=30|31|REVALIDATE",
            "Cache-Control: max-age=60|max-age=0|0|FRESH",
            "Cache-Control: max-age=60|max-age=0|1|REVALIDATE",
            "Cache-Control: max-age=60|max-age=30, max-stale|31|REVALIDATE",
            // §5.2.1.3 min-fresh
            "Cache-Control: max-age=60|min-fresh=10|49|FRESH",
            "Cache-Control: max-age=60|min-fresh=10|50|FRESH",
            "Cache-Control: max-age=60|min-fresh=10|51|REVALIDATE",
            "Cache-Control: max-age=60|min-fresh=10, max-stale|70|REVALIDATE",
            // §5.2.1.4, §5.2.2.4 no-cache
            "Cache-Control: max-age=60|no-cache|0|REVALIDATE",
            "Cache-Control: max-age=60|NO-CACHE|0|REVALIDATE",
            "Cache-Control: no-cache, max-age=60||0|REVALIDATE",
            "Cache-Control: no-cache=\"set-cookie\", max-age=60||0|REVALIDATE",
            "Cache-Control: max-age=60 ^ Cache-Control: no-cache||0|REVALIDATE",
            // §5.2.1.2 max-stale
            "Cache-Control: max-age=60|max-stale|1000|STALE",
            "Cache-Control: max-age=60|max-stale=10|60|STALE",
            "Cache-Control: max-age=60|max-stale=10|70|STALE",
            "Cache-Control: max-age=60|max-stale=10|71|REVALIDATE",
            "Cache-Control: max-age=60|max-stale=10|10|FRESH",
            "Cache-Control: max-age=60|max-stale=abc|61|REVALIDATE",
            // §5.2.2.2, §5.2.2.8, §5.2.2.10 forbid serving stale
            "Cache-Control: max-age=60, must-revalidate|max-stale|61|REVALIDATE",
            "Cache-Control: max-age=60, must-revalidate|max-stale|30|FRESH",
            "Cache-Control: max-age=60, proxy-revalidate|max-stale|61|REVALIDATE",
            "Cache-Control: s-maxage=60|max-stale|61|REVALIDATE",
            "Cache-Control: s-maxage=60|max-stale|30|FRESH",
            "Cache-Control: max-age=60, s-maxage=120|max-stale|121|REVALIDATE",
            // RFC 5861 §3 stale-while-revalidate
            "Cache-Control: max-age=60, stale-while-revalidate=30||30|FRESH",
            "Cache-Control: max-age=60, stale-while-revalidate=30||60|STALE_WHILE_REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30||90|STALE_WHILE_REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30||91|REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30, must-revalidate||61|REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30, proxy-revalidate||61|REVALIDATE",
            "Cache-Control: s-maxage=60, stale-while-revalidate=30||61|STALE_WHILE_REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|no-cache|61|REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|max-age=10|61|REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|min-fresh=1|61|REVALIDATE",
            "Cache-Control: no-cache, stale-while-revalidate=30||0|REVALIDATE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|max-stale=5|62|STALE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|max-stale=5|70|STALE_WHILE_REVALIDATE",
            "Cache-Control: max-age=60, stale-if-error=300||61|REVALIDATE", // only on errors
            // §5.2.1.7 only-if-cached
            "Cache-Control: max-age=60|only-if-cached|10|FRESH",
            "Cache-Control: max-age=60|only-if-cached|61|GATEWAY_TIMEOUT",
            "Cache-Control: max-age=60|only-if-cached, no-cache|0|GATEWAY_TIMEOUT",
            "Cache-Control: max-age=60|only-if-cached, max-stale|100|STALE",
            "Cache-Control: max-age=60, stale-while-revalidate=30|only-if-cached|70|STALE_WHILE_REVALIDATE",
            "Cache-Control: no-cache|only-if-cached|0|GATEWAY_TIMEOUT",
            // RFC 9213 targeted fields decide for this cache
            "CDN-Cache-Control: max-age=60 ^ Cache-Control: no-cache||10|FRESH",
            "CDN-Cache-Control: max-age=60, must-revalidate ^ Cache-Control: max-age=600|max-stale|61|REVALIDATE",
            "Gatehouse-Cache-Control: no-cache ^ CDN-Cache-Control: max-age=60||10|REVALIDATE",
            // heuristic freshness is freshness
            "Last-Modified: {T-1000}||99|FRESH",
            "Last-Modified: {T-1000}||100|REVALIDATE",
    })
    void reuse(String response, String request, long now, Reuse expected) {
        Freshness f = of(200, response, Heuristic.DEFAULT);
        CacheControl req = CacheControl.request(H.of("Cache-Control", request));
        assertThat(f.reuse(req, T.plusSeconds(now))).isEqualTo(expected);
    }

    /** §5.4: Pragma: no-cache without Cache-Control forces validation. */
    @Test
    void pragmaNoCacheRevalidates() {
        Freshness f = of(200, "Cache-Control: max-age=60", Heuristic.DEFAULT);
        assertThat(f.reuse(CacheControl.request(H.of("Pragma", "no-cache")), T)).isEqualTo(Reuse.REVALIDATE);
        assertThat(f.reuse(CacheControl.request(H.of("Pragma", "no-cache", "Cache-Control", "max-stale")), T))
                .isEqualTo(Reuse.FRESH);
    }

    /** RFC 5861 §4 stale-if-error (response and request), §5.2.1.2 max-stale, §4.2.4 prohibitions. */
    @ParameterizedTest(name = "[{index}] {0} / request {1} at T+{2} → usable on error {3}")
    @CsvSource(delimiter = '|', value = {
            "Cache-Control: max-age=60, stale-if-error=100||61|true",
            "Cache-Control: max-age=60, stale-if-error=100||160|true",
            "Cache-Control: max-age=60, stale-if-error=100||161|false",
            "Cache-Control: max-age=60||61|false",
            "Cache-Control: max-age=60||30|true",                      // still fresh
            "Cache-Control: max-age=60|stale-if-error=50|100|true",
            "Cache-Control: max-age=60|stale-if-error=50|111|false",
            "Cache-Control: max-age=60, stale-if-error=10|stale-if-error=50|100|true",
            "Cache-Control: max-age=60|max-stale=20|80|true",
            "Cache-Control: max-age=60|max-stale=20|81|false",
            "Cache-Control: max-age=60, stale-if-error=100, must-revalidate||61|false",
            "Cache-Control: max-age=60, stale-if-error=100, proxy-revalidate||61|false",
            "Cache-Control: no-cache, stale-if-error=100||0|false",
            "Cache-Control: max-age=60, stale-if-error=100|no-cache|61|false",
            "Cache-Control: s-maxage=60, stale-if-error=100||70|true",
            "Cache-Control: s-maxage=60|max-stale=20|70|false",
            "CDN-Cache-Control: max-age=60, stale-if-error=100 ^ Cache-Control: must-revalidate||70|true",
    })
    void usableOnError(String response, String request, long now, boolean usable) {
        Freshness f = of(200, response, Heuristic.DEFAULT);
        CacheControl req = CacheControl.request(H.of("Cache-Control", request));
        assertThat(f.usableOnError(req, T.plusSeconds(now))).isEqualTo(usable);
    }

    @Test
    void receivedLaterThanNowIsNotNegative() {
        Freshness f = of(200, "Cache-Control: max-age=60", Heuristic.DEFAULT);
        assertThat(f.age(Instant.EPOCH)).isZero();
    }
}
