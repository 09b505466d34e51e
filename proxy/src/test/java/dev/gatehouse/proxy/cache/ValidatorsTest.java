package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 9110 §8.8.3 entity tags and their comparison; RFC 9111 §3.1 (stored fields), §3.2 (updating stored headers),
 * §4.3.1 (sending a validation request), §4.3.4 (freshening stored responses upon validation).
 */
class ValidatorsTest {

    /** RFC 9110 §8.8.3.2, the comparison table, and more. */
    @ParameterizedTest(name = "[{index}] {0} vs {1} → strong {2}, weak {3}")
    @CsvSource(delimiter = '|', value = {
            "W/\"1\"|W/\"1\"|false|true",          // the four rows of §8.8.3.2
            "W/\"1\"|W/\"2\"|false|false",
            "W/\"1\"|\"1\"|false|true",
            "\"1\"|\"1\"|true|true",
            "\"1\"|\"2\"|false|false",
            "\"abc\"|\"ABC\"|false|false",          // case-sensitive
            "\"\"|\"\"|true|true",                  // the empty tag is a tag
            "\"a b\"|\"a b\"|false|false",          // SP is no etagc: not a tag
            "w/\"1\"|W/\"1\"|false|false",          // the weak indicator is case-sensitive
            "\"1\"|1|false|false",                  // unquoted: not a tag
    })
    void comparison(String a, String b, boolean strong, boolean weak) {
        EntityTag x = EntityTag.parse(a);
        EntityTag y = EntityTag.parse(b);
        assertThat(x != null && x.strongMatch(y)).isEqualTo(strong);
        assertThat(x != null && x.weakMatch(y)).isEqualTo(weak);
        if (x != null && y != null) {
            assertThat(y.strongMatch(x)).isEqualTo(strong);   // symmetric
            assertThat(y.weakMatch(x)).isEqualTo(weak);
        }
    }

    @ParameterizedTest(name = "[{index}] valid: {0}")
    @ValueSource(strings = {"\"xyzzy\"", "W/\"xyzzy\"", "\"\"", "W/\"\"", "\"a,b\"", "\"!#$%&'()*+-./:;<=>?@[]^_`{|}~\"",
            " \"x\" "})
    void validTags(String tag) {
        assertThat(EntityTag.parse(tag)).isNotNull();
    }

    @ParameterizedTest(name = "[{index}] invalid: {0}")
    @ValueSource(strings = {"xyzzy", "\"xyzzy", "xyzzy\"", "W/xyzzy", "W/ \"x\"", "\"a\"b\"", "\"a b\"", "\"\t\"", "",
            "W/", "*"})
    void invalidTags(String tag) {
        assertThat(EntityTag.parse(tag)).isNull();
    }

    @Test
    void tagToString() {
        assertThat(EntityTag.parse("W/\"x\"")).hasToString("W/\"x\"");
        assertThat(EntityTag.parse(" \"x\"")).hasToString("\"x\"");
    }

    /** §4.3.1: entity tag → If-None-Match; Last-Modified → If-Modified-Since; nothing else. */
    @ParameterizedTest(name = "[{index}] stored {0} → If-None-Match {1}, If-Modified-Since {2}")
    @CsvSource(delimiter = '|', value = {
            "ETag: \"v1\"|\"v1\"|",
            "ETag: W/\"v1\"|W/\"v1\"|",
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT||Sun, 06 Nov 1994 08:49:37 GMT",
            "ETag: \"v1\" ^ Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT|\"v1\"|Sun, 06 Nov 1994 08:49:37 GMT",
            "Date: Sun, 06 Nov 1994 08:49:37 GMT||",          // never the Date
            "ETag: v1||",                                   // not an entity tag
            "||",
    })
    void revalidationHeaders(String stored, String inm, String ims) {
        MultiMap h = Validators.revalidationHeaders(H.parse(stored));
        assertThat(h.get("If-None-Match")).isEqualTo(inm);
        assertThat(h.get("If-Modified-Since")).isEqualTo(ims);
        assertThat(h.size()).isEqualTo((inm == null ? 0 : 1) + (ims == null ? 0 : 1));
        assertThat(Validators.hasValidator(H.parse(stored))).isEqualTo(inm != null || ims != null);
    }

    @Test
    void clientConditionalsAreStripped() {
        MultiMap r = H.parse("If-None-Match: \"a\" ^ If-Modified-Since: x ^ If-Match: * ^ If-Unmodified-Since: y ^ "
                + "If-Range: \"a\" ^ Range: bytes=0-1 ^ Accept: text/html");
        Validators.stripClientConditionals(r);
        assertThat(r.names()).containsExactly("Accept");
    }

    /** §3.1: connection-specific fields, fields Connection names, and proxy authentication fields are not stored. */
    @ParameterizedTest(name = "[{index}] {0} not stored")
    @ValueSource(strings = {"Connection: close", "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive", "TE: trailers",
            "Transfer-Encoding: chunked", "Upgrade: h2c", "Proxy-Authenticate: Basic", "Proxy-Authentication-Info: a=b",
            "Proxy-Authorization: Basic x", "Connection: x-hop ^ X-Hop: 1", "Connection: X-HOP, close ^ x-hop: 1"})
    void notStored(String fields) {
        MultiMap stored = Validators.storedHeaders(H.parse(fields + " ^ Content-Type: text/plain"), Set.of());
        assertThat(stored.names()).containsExactly("Content-Type");
    }

    @Test
    void storedHeadersKeepEverythingElseInOrder() {
        MultiMap in = H.parse("Content-Type: text/plain ^ Set-Cookie: a=1 ^ Set-Cookie: b=2 ^ ETag: \"x\" ^ "
                + "Cache-Control: max-age=5 ^ Content-Length: 3 ^ Content-Encoding: gzip ^ Age: 3");
        MultiMap out = Validators.storedHeaders(in, Set.of());
        assertThat(H.lines(out)).containsExactlyElementsOf(H.lines(in));
    }

    /** §4.3.4: which stored response a 304 selects. */
    @ParameterizedTest(name = "[{index}] stored {0}, 304 {1} → {2}")
    @CsvSource(delimiter = '|', value = {
            "ETag: \"a\"|ETag: \"a\"|true",
            "ETag: \"a\"|ETag: \"b\"|false",
            "ETag: W/\"a\"|ETag: \"a\"|false",                 // strong in the 304: strong comparison
            "|ETag: \"a\"|false",                              // no stored response with that strong validator
            "ETag: W/\"a\"|ETag: W/\"a\"|true",                // weak: weak comparison
            "ETag: \"a\"|ETag: W/\"a\"|true",
            "ETag: W/\"a\"|ETag: W/\"b\"|false",
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT|Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT|true",
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT|Last-Modified: Mon, 07 Nov 1994 08:49:37 GMT|false",
            "|Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT|false",
            "||true",                                          // neither has validators
            "ETag: \"a\"||false",                              // the stored one has a validator the 304 lacks
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT||false",
    })
    void selects(String stored, String notModified, boolean selects) {
        assertThat(Validators.selects(H.parse(stored), H.parse(notModified))).isEqualTo(selects);
    }

    /** §3.2: fields of the 304 replace all stored lines of their name; Content-Length and §3.1 fields excepted. */
    @ParameterizedTest(name = "[{index}] stored {0} + 304 {1} → {2}")
    @CsvSource(delimiter = '|', value = {
            "Cache-Control: max-age=5 ^ ETag: \"a\"|Cache-Control: max-age=60|ETag: \"a\" ^ Cache-Control: max-age=60",
            "Date: d1 ^ Content-Type: text/plain|Date: d2|Content-Type: text/plain ^ Date: d2",
            "Content-Length: 10|Content-Length: 0|Content-Length: 10",           // Content-Length kept
            "X-A: 1 ^ X-A: 2|X-A: 3|X-A: 3",                                    // all stored lines replaced
            "X-A: 1|X-A: 2 ^ X-A: 3|X-A: 2 ^ X-A: 3",
            "X-A: 1|x-a: 2|x-a: 2",                                             // names are case-insensitive
            "X-A: 1|Connection: close ^ Keep-Alive: timeout=5|X-A: 1",           // hop-by-hop not merged
            "X-A: 1|Connection: x-b ^ X-B: 2|X-A: 1",                            // nor fields Connection names
            "X-A: 1|Transfer-Encoding: chunked ^ Proxy-Authenticate: Basic|X-A: 1",
            "X-A: 1 ^ Expires: e1|Expires: e2 ^ ETag: \"b\"|X-A: 1 ^ Expires: e2 ^ ETag: \"b\"",
            "Set-Cookie: a ^ Set-Cookie: b|Set-Cookie: c|Set-Cookie: c",
            "X-A: 1||X-A: 1",
    })
    void merge(String stored, String update, String merged) {
        MultiMap m = Validators.merge(H.parse(stored), H.parse(update));
        assertThat(H.lines(m)).containsExactlyElementsOf(H.lines(H.parse(merged)));
    }

    @Test
    void mergeLeavesItsInputsAlone() {
        MultiMap stored = H.parse("X-A: 1");
        MultiMap update = H.parse("X-A: 2");
        Validators.merge(stored, update);
        assertThat(stored.get("X-A")).isEqualTo("1");
        assertThat(update.get("X-A")).isEqualTo("2");
    }
}
