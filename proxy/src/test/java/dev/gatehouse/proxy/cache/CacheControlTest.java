package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.gatehouse.proxy.cache.CacheControl.ABSENT;
import static dev.gatehouse.proxy.cache.CacheControl.ANY;
import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111 §5.2 (and §1.2.2, §4.2.1, §5.4), RFC 9110 §5.6, RFC 5861, RFC 9213 §2. "|" separates field lines. */
class CacheControlTest {

    private static CacheControl response(String cc) {
        return CacheControl.response(H.of("Cache-Control", cc));
    }

    private static CacheControl request(String cc) {
        return CacheControl.request(H.of("Cache-Control", cc));
    }

    /** §5.2.2.1 max-age: delta-seconds; token or quoted-string argument (§5.2); invalid → stale (0). */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → max-age {1}")
    @CsvSource(delimiter = ';', value = {
            "max-age=60;60",
            "MAX-AGE=60;60",               // §5.2: directive names are case-insensitive
            "Max-Age=60;60",
            "max-age=\"60\";60",           // §5.2: quoted-string form accepted
            "max-age=0;0",
            "max-age=0060;60",
            "max-age=-1;0",                // not delta-seconds: invalid → stale (§5.2.2.1)
            "max-age=1.5;0",
            "max-age=+5;0",
            "max-age=abc;0",
            "max-age=;0",
            "max-age;0",                   // an argument is required
            "max-age=\"\";0",
            "max-age=\"6 0\";0",
            "max-age=\"60;0",              // unterminated quoted-string
            "max-age=60, max-age=60;60",   // a repeat with the same value is no conflict
            "max-age=60, max-age=30;0",    // §4.2.1: conflicting repeats → stale
            "max-age=60|max-age=30;0",     // across field lines too (RFC 9110 §5.3)
            "max-age=60, max-age=abc;0",
            "max-age=99999999999;2147483648", // §1.2.2: saturate at 2^31
            "max-age=2147483648;2147483648",
            "max-age=2147483647;2147483647",
            "no-cache;-1",
            "'';-1",
            "max-age=60,;60",              // RFC 9110 §5.6.1: empty list elements are tolerated
            ", , max-age=60;60",
            "public,max-age=60;60",
            "public ,\tmax-age=60 ;60",    // OWS around members
            "foo=\"max-age=5\", max-age=60;60", // a quoted comma or directive inside an extension's argument
            "foo=\"a,b\", max-age=7;7",
            "x-max-age=5;-1",              // §5.2.3: unknown directives are ignored
            "max-age=60|;60",
    })
    void responseMaxAge(String cc, long expected) {
        assertThat(response(cc).maxAge()).isEqualTo(expected);
    }

    /** §5.2.2.10 s-maxage: same grammar and invalid handling as max-age. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → s-maxage {1}")
    @CsvSource(delimiter = ';', value = {
            "s-maxage=60;60",
            "S-MAXAGE=60;60",
            "s-maxage=\"60\";60",
            "s-maxage=-1;0",
            "s-maxage=x;0",
            "s-maxage;0",
            "s-maxage=10, s-maxage=20;0",
            "s-maxage=10, s-maxage=10;10",
            "max-age=10;-1",
            "s-maxage=99999999999999999999;2147483648",
    })
    void responseSMaxAge(String cc, long expected) {
        assertThat(response(cc).sMaxAge()).isEqualTo(expected);
    }

    /** §5.2.2 boolean response directives, case-insensitive; §5.2.3 unknown ones ignored. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → {1}")
    @CsvSource(delimiter = ';', value = {
            "public;public",
            "PUBLIC;public",
            "private;private",
            "Private;private",
            "no-store;no-store",
            "NO-STORE;no-store",
            "no-cache;no-cache",
            "no-cache=\"set-cookie\";no-cache",  // §5.2.2.4 qualified form, honoured as unqualified
            "must-revalidate;must-revalidate",
            "proxy-revalidate;proxy-revalidate",
            "must-understand, no-store;must-understand no-store",
            "immutable;immutable",
            "no-transform;no-transform",
            "public, private;public private",
            "max-age=5, foo, bar=baz;''",
            "no-storex;''",
            "nostore;''",
            "\"no-store\";''",
            "only-if-cached;''",                 // a request directive: no meaning in a response
    })
    void responseFlags(String cc, String expected) {
        CacheControl c = response(cc);
        assertThat(flags(c)).isEqualTo(expected);
    }

    private static String flags(CacheControl c) {
        StringBuilder b = new StringBuilder();
        add(b, c.mustUnderstand(), "must-understand");
        add(b, c.isPublic(), "public");
        add(b, c.isPrivate(), "private");
        add(b, c.noStore(), "no-store");
        add(b, c.noCache(), "no-cache");
        add(b, c.mustRevalidate(), "must-revalidate");
        add(b, c.proxyRevalidate(), "proxy-revalidate");
        add(b, c.immutable(), "immutable");
        add(b, c.noTransform(), "no-transform");
        add(b, c.onlyIfCached(), "only-if-cached");
        return b.toString();
    }

    private static void add(StringBuilder b, boolean on, String name) {
        if (on) {
            b.append(b.length() == 0 ? "" : " ").append(name);
        }
    }

    /** §5.2.2.7 private: unqualified makes the response private; qualified lists fields a shared cache strips. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → private {1}, fields [{2}]")
    @CsvSource(delimiter = ';', value = {
            "private;true;''",
            "private=\"set-cookie\";false;set-cookie",
            "private=\"Set-Cookie, X-User\";false;set-cookie x-user",
            "private=\"a,b\", max-age=5;false;a b",
            "private=set-cookie;false;set-cookie",       // token form accepted (§5.2)
            "private=\"\";true;''",                       // no field named: the whole response
            "private, private=\"x\";true;''",             // the unqualified form is the more restrictive
            "private=\"x\", private;true;''",
            "private=\"x\"|private=\"y\";false;x y",
            "private=\"unterminated;true;''",
            "public;false;''",
    })
    void privateForms(String cc, boolean unqualified, String fields) {
        CacheControl c = response(cc);
        assertThat(c.isPrivate()).isEqualTo(unqualified);
        assertThat(String.join(" ", c.privateFields())).isEqualTo(fields);
    }

    /** §5.2.2.4 no-cache with field names. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → no-cache fields [{1}]")
    @CsvSource(delimiter = ';', value = {
            "no-cache;''",
            "no-cache=\"Set-Cookie\";set-cookie",
            "no-cache=\"a, B\";a b",
            "no-cache=x;x",
    })
    void noCacheFields(String cc, String fields) {
        CacheControl c = response(cc);
        assertThat(c.noCache()).isTrue();
        assertThat(String.join(" ", c.noCacheFields())).isEqualTo(fields);
    }

    /** RFC 5861 §3, §4: delta-seconds; invalid dropped (a permission is not widened by garbage); repeats: smaller. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0} → swr {1}, sie {2}")
    @CsvSource(delimiter = ';', value = {
            "stale-while-revalidate=30;30;-1",
            "stale-if-error=60;-1;60",
            "stale-while-revalidate=30, stale-if-error=600;30;600",
            "STALE-WHILE-REVALIDATE=\"30\";30;-1",
            "stale-while-revalidate=-5;-1;-1",
            "stale-while-revalidate;-1;-1",
            "stale-while-revalidate=x, stale-if-error=1.5;-1;-1",
            "stale-while-revalidate=30, stale-while-revalidate=10;10;-1",
            "stale-if-error=10, stale-if-error=60;-1;10",
            "stale-while-revalidate=0;0;-1",
    })
    void staleExtensions(String cc, long swr, long sie) {
        CacheControl c = response(cc);
        assertThat(c.staleWhileRevalidate()).isEqualTo(swr);
        assertThat(c.staleIfError()).isEqualTo(sie);
    }

    /** §5.2.1 request directives. */
    @ParameterizedTest(name = "[{index}] request Cache-Control: {0} → max-age {1}, max-stale {2}, min-fresh {3}")
    @CsvSource(delimiter = ';', value = {
            "max-age=0;0;-1;-1",
            "max-age=30;30;-1;-1",
            "max-age=abc;0;-1;-1",                 // invalid: the most restrictive reading
            "max-age=30, max-age=10;10;-1;-1",     // repeats: the most restrictive
            "max-stale;-1;" + ANY + ";-1",          // §5.2.1.2: any staleness
            "max-stale=10;-1;10;-1",
            "max-stale=\"10\";-1;10;-1",
            "max-stale=abc;-1;-1;-1",              // invalid: not widened
            "max-stale=10, max-stale=5;-1;5;-1",
            "max-stale, max-stale=5;-1;5;-1",
            "min-fresh=20;-1;-1;20",
            "min-fresh=20, min-fresh=40;-1;-1;40",
            "min-fresh=x;-1;-1;-1",
            "MAX-AGE=5, MAX-STALE=6, MIN-FRESH=7;5;6;7",
            "s-maxage=5;-1;-1;-1",
    })
    void requestDeltas(String cc, long maxAge, long maxStale, long minFresh) {
        CacheControl c = request(cc);
        assertThat(c.maxAge()).isEqualTo(maxAge);
        assertThat(c.maxStale()).isEqualTo(maxStale);
        assertThat(c.minFresh()).isEqualTo(minFresh);
        assertThat(c.sMaxAge()).isEqualTo(ABSENT);
    }

    /** §5.2.1.4–§5.2.1.7 request flags; response-only directives mean nothing in a request. */
    @ParameterizedTest(name = "[{index}] request Cache-Control: {0} → {1}")
    @CsvSource(delimiter = ';', value = {
            "no-cache;no-cache",
            "No-Cache;no-cache",
            "no-store;no-store",
            "no-transform;no-transform",
            "only-if-cached;only-if-cached",
            "ONLY-IF-CACHED;only-if-cached",
            "public, private, must-revalidate, proxy-revalidate, must-understand, immutable;''",
            "no-cache, no-store;no-store no-cache",
    })
    void requestFlags(String cc, String expected) {
        assertThat(flags(request(cc))).isEqualTo(expected);
    }

    /** RFC 5861 §4: stale-if-error is also a request directive. */
    @Test
    void staleIfErrorInRequest() {
        assertThat(request("stale-if-error=30").staleIfError()).isEqualTo(30);
        assertThat(request("stale-while-revalidate=30").staleWhileRevalidate()).isEqualTo(ABSENT);
    }

    /** §5.4: Pragma: no-cache counts only when the request has no Cache-Control. */
    @ParameterizedTest(name = "[{index}] Cache-Control: {0}, Pragma: {1} → no-cache {2}")
    @CsvSource(delimiter = ';', value = {
            ";no-cache;true",
            ";NO-CACHE;true",
            ";foo, no-cache;true",
            ";foo;false",
            "max-age=5;no-cache;false",
            "'';no-cache;false",
            ";;false",
    })
    void pragma(String cc, String pragma, boolean noCache) {
        MultiMap h = H.of("Cache-Control", cc, "Pragma", pragma);
        assertThat(CacheControl.request(h).noCache()).isEqualTo(noCache);
    }

    /** §5.4: Pragma has no meaning in a response. */
    @Test
    void pragmaIgnoredInResponse() {
        assertThat(CacheControl.response(H.of("Pragma", "no-cache")).noCache()).isFalse();
    }

    /**
     * RFC 9213 §2.2: the first targeted field (Gatehouse-Cache-Control, then CDN-Cache-Control) with a valid non-empty
     * value replaces Cache-Control; an invalid or empty one is skipped.
     */
    @ParameterizedTest(name = "[{index}] Gatehouse-CC: {0}, CDN-CC: {1}, CC: {2} → max-age {3} from {4}")
    @CsvSource(delimiter = ';', value = {
            "max-age=10;max-age=20;max-age=30;10;Gatehouse-Cache-Control",
            ";max-age=20;max-age=30;20;CDN-Cache-Control",
            ";;max-age=30;30;Cache-Control",
            "'';max-age=20;max-age=30;20;CDN-Cache-Control",                 // empty: skipped
            "max-age=10,;max-age=20;max-age=30;20;CDN-Cache-Control",         // trailing comma: invalid SF
            "Max-Age=10;max-age=20;max-age=30;20;CDN-Cache-Control",          // SF keys are lower-case
            "max-age=10 x;;max-age=30;30;Cache-Control",
            "max-age=\"10;;max-age=30;30;Cache-Control",
            ";max-age=(1 2;max-age=30;30;Cache-Control",
            "'max-age=10;foo=1';;max-age=30;10;Gatehouse-Cache-Control",
            ";no-store;max-age=30;-1;CDN-Cache-Control",                      // Cache-Control's max-age is not used
            ";max-age=20;;20;CDN-Cache-Control",
            ";max-age=20, max-age=25;max-age=30;25;CDN-Cache-Control",         // SF: a repeated key keeps the last
            ";max-age=20;max-age=20, max-age=30;20;CDN-Cache-Control",
            ";'max-age=20;param=1';max-age=30;20;CDN-Cache-Control",
            ";max-age=-5;max-age=30;0;CDN-Cache-Control",                     // valid SF, invalid value: stale
            ";max-age=1.5;max-age=30;0;CDN-Cache-Control",
            ";max-age=\"60\";max-age=30;0;CDN-Cache-Control",                 // a String is not an Integer
            ";max-age=abc;max-age=30;0;CDN-Cache-Control",
            ";max-age=?1;max-age=30;0;CDN-Cache-Control",
            "  max-age=10  ;;;10;Gatehouse-Cache-Control",                    // leading/trailing SP allowed
            ";max-age=1000000000000000;;-1;Cache-Control",                    // 16 digits: not an SF Integer
            ";max-age=999999999999999;;2147483648;CDN-Cache-Control",
    })
    void targetedPrecedence(String gatehouse, String cdn, String cc, long maxAge, String source) {
        MultiMap h = H.of("Gatehouse-Cache-Control", gatehouse, "CDN-Cache-Control", cdn, "Cache-Control", cc);
        CacheControl c = CacheControl.response(h);
        assertThat(c.source()).isEqualTo(source);
        assertThat(c.maxAge()).isEqualTo(maxAge);
        assertThat(c.targeted()).isEqualTo(!source.equals("Cache-Control"));
    }

    /** RFC 9213 §2.1: directives of a targeted field as Dictionary members. */
    @ParameterizedTest(name = "[{index}] CDN-Cache-Control: {0} → {1}")
    @CsvSource(delimiter = ';', value = {
            "no-store;no-store",
            "no-store=?1;no-store",
            "no-store=?0;''",                               // false: the directive is off
            "private;private",
            "public, max-age=60;public",
            "must-revalidate, proxy-revalidate;must-revalidate proxy-revalidate",
            "no-cache;no-cache",
            "no-cache=(\"set-cookie\");no-cache",
            "no-cache=\"set-cookie\";no-cache",
            "must-understand;must-understand",
            "immutable;immutable",
            "foo=bar, baz=:aGVsbG8=:, qux=1.5, no-store;no-store",
    })
    void targetedDirectives(String cdn, String expected) {
        assertThat(flags(CacheControl.response(H.of("CDN-Cache-Control", cdn)))).isEqualTo(expected);
    }

    @Test
    void targetedPrivateFieldList() {
        CacheControl c = CacheControl.response(H.of("CDN-Cache-Control", "private=(\"Set-Cookie\" x-user)"));
        assertThat(c.isPrivate()).isFalse();
        assertThat(c.privateFields()).containsExactly("set-cookie", "x-user");
        c = CacheControl.response(H.of("CDN-Cache-Control", "private=\"set-cookie, x-a\""));
        assertThat(c.privateFields()).containsExactly("set-cookie", "x-a");
    }

    @Test
    void targetedDeltaDirectives() {
        CacheControl c = CacheControl.response(H.of("Gatehouse-Cache-Control",
                "s-maxage=5, stale-while-revalidate=7, stale-if-error=9"));
        assertThat(c.sMaxAge()).isEqualTo(5);
        assertThat(c.staleWhileRevalidate()).isEqualTo(7);
        assertThat(c.staleIfError()).isEqualTo(9);
    }

    /** RFC 9213 §2.1: several field lines form one Dictionary. */
    @Test
    void targetedAcrossLines() {
        CacheControl c = CacheControl.response(H.of("CDN-Cache-Control", "max-age=5|no-store"));
        assertThat(c.maxAge()).isEqualTo(5);
        assertThat(c.noStore()).isTrue();
    }

    /** RFC 9213 §2.2: targeted fields concern this cache; the helper strips them from what goes downstream. */
    @Test
    void stripTargeted() {
        MultiMap h = H.of("Gatehouse-Cache-Control", "max-age=5", "CDN-Cache-Control", "max-age=6",
                "Cache-Control", "max-age=7");
        CacheControl.stripTargeted(h, false);
        assertThat(h.names()).containsExactlyInAnyOrder("CDN-Cache-Control", "Cache-Control");
        CacheControl.stripTargeted(h, true);
        assertThat(h.names()).containsExactly("Cache-Control");
        assertThat(h.get("Cache-Control")).isEqualTo("max-age=7");
    }

    @Test
    void absentFieldMeansNoDirectives() {
        CacheControl c = CacheControl.response(MultiMap.caseInsensitiveMultiMap());
        assertThat(c.maxAge()).isEqualTo(ABSENT);
        assertThat(flags(c)).isEmpty();
        assertThat(CacheControl.request(MultiMap.caseInsensitiveMultiMap()).noCache()).isFalse();
    }
}
