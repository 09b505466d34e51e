package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111 §4.1 (calculating the secondary key with Vary), RFC 9110 §12.5.5 (Vary), §5.3 (combining lines). */
class VaryTest {

    @ParameterizedTest(name = "[{index}] Vary: {0} → [{1}], star {2}")
    @CsvSource(delimiter = '|', value = {
            "accept-encoding|accept-encoding|false",
            "Accept-Encoding|accept-encoding|false",               // field names are case-insensitive
            "Accept-Encoding, Accept-Language|accept-encoding accept-language|false",
            "accept-language,accept-encoding|accept-encoding accept-language|false",
            "Accept, accept|accept|false",                          // duplicates collapse
            "Accept^Cookie|accept cookie|false",                     // several lines
            "Accept,, ,Cookie|accept cookie|false",                  // empty members tolerated
            "*|''|true",
            "accept, *|''|true",
            "Accept^*|''|true",
            "''|''|false",
            "bad name, accept|accept|false",                         // not a token: not a field name
    })
    void names(String vary, String names, boolean star) {
        Vary v = Vary.of(H.of("Vary", vary.replace('^', '|')));
        assertThat(String.join(" ", v.names())).isEqualTo(names);
        assertThat(v.star()).isEqualTo(star);
    }

    @Test
    void noVaryMeansEmptySecondaryKey() {
        Vary v = Vary.of(MultiMap.caseInsensitiveMultiMap());
        assertThat(v.secondaryKey(H.parse("Accept: text/html"))).isEmpty();
        assertThat(v.matches(H.parse("Accept: a"), H.parse("Accept: b"))).isTrue();
    }

    /**
     * §4.1: the nominated fields of the stored request and the new one match after normalisation. Requests:
     * "Name: value ^ Name: value" (two lines of a name are two field lines).
     */
    @ParameterizedTest(name = "[{index}] Vary: {0}; stored [{1}] vs new [{2}] → {3}")
    @CsvSource(delimiter = '|', value = {
            "Accept-Encoding|Accept-Encoding: gzip|Accept-Encoding: gzip|true",
            "Accept-Encoding|Accept-Encoding: gzip|Accept-Encoding: br|false",
            "Accept-Encoding|Accept-Encoding: gzip, br|Accept-Encoding: br, gzip|true",    // codings sorted
            "Accept-Encoding|Accept-Encoding: GZIP|Accept-Encoding: gzip|true",            // and lower-cased
            "Accept-Encoding|Accept-Encoding: gzip,br|Accept-Encoding: gzip ,  br|true",   // OWS
            "Accept-Encoding|Accept-Encoding: gzip ^ Accept-Encoding: br|Accept-Encoding: br, gzip|true", // lines
            "Accept-Encoding|Accept-Encoding: gzip;q=1.0, br|Accept-Encoding: br, gzip ; q=1.0|true",
            "Accept-Encoding|Accept-Encoding: gzip|Accept-Encoding: gzip, br|false",
            "Accept-Encoding|Accept-Encoding: gzip|Accept-Encoding: gzip, gzip|true",
            "Accept-Encoding|Accept-Encoding: gzip||false",                                 // absent in one
            "Accept-Encoding|||true",                                                       // absent in both
            "Accept-Encoding||Accept-Encoding: ''|false",                                   // empty is present
            "Accept-Encoding|X-Other: 1|X-Other: 2|true",                                   // not nominated
            "accept-language|Accept-Language: en|ACCEPT-LANGUAGE: en|true",
            "Accept-Language|Accept-Language: en-US, fr|Accept-Language: en-US,fr|true",
            "Accept-Language|Accept-Language: en-US,   fr|Accept-Language: en-US, fr|true",
            "Accept-Language|Accept-Language: en-US, fr|Accept-Language: fr, en-US|false",  // order matters here
            "Accept-Language|Accept-Language: EN|Accept-Language: en|false",                // values as sent
            "Accept-Language|Accept-Language: en ^ Accept-Language: fr|Accept-Language: en, fr|true", // §5.3
            "Accept|Accept: text/html|Accept: text/html  |true",                             // trailing OWS
            "Accept|Accept: text/html;  q=1|Accept: text/html; q=1|true",                    // collapsed
            "Accept|Accept: text/html|Accept: text/plain|false",
            "X-Custom|X-Custom: a\tb|X-Custom: a b|true",
            "Accept, Accept-Encoding|Accept: a ^ Accept-Encoding: gzip|Accept: a ^ Accept-Encoding: gzip|true",
            "Accept, Accept-Encoding|Accept: a ^ Accept-Encoding: gzip|Accept: a ^ Accept-Encoding: br|false",
            "Accept, Accept-Encoding|Accept: a ^ Accept-Encoding: gzip|Accept: b ^ Accept-Encoding: gzip|false",
            "Cookie|Cookie: a=1; b=2|Cookie: a=1; b=2|true",
            "Cookie|Cookie: a=1; b=2|Cookie: a=1; b=3|false",
            "*|Accept: a|Accept: a|false",                                                   // * never matches
            "*|||false",
            "Accept, *|Accept: a|Accept: a|false",
    })
    void matches(String vary, String stored, String request, boolean match) {
        Vary v = Vary.of(H.of("Vary", vary));
        MultiMap s = H.parse(stored);
        MultiMap r = H.parse(request);
        assertThat(v.matches(s, r)).isEqualTo(match);
        // The stored secondary key leads to the same answer.
        MultiMap response = H.of("Vary", vary);
        String key = v.secondaryKey(s);
        assertThat(Vary.matches(response, key, r)).isEqualTo(match);
        if (match) {
            assertThat(v.secondaryKey(r)).isEqualTo(key);
        }
    }

    @Test
    void secondaryKeyShape() {
        Vary v = Vary.of(H.of("Vary", "Accept-Encoding, Accept"));
        assertThat(v.secondaryKey(H.parse("Accept-Encoding: BR, gzip"))).isEqualTo("accept!\naccept-encoding:br, gzip\n");
        assertThat(Vary.of(H.of("Vary", "*")).secondaryKey(H.parse("Accept: a"))).isNull();
    }

    /** An absent field and a field with a value that looks like the absent marker do not collide. */
    @Test
    void absentDiffersFromAnyValue() {
        Vary v = Vary.of(H.of("Vary", "X-A"));
        assertThat(v.secondaryKey(H.parse(""))).isNotEqualTo(v.secondaryKey(H.parse("X-A: !")));
        assertThat(v.secondaryKey(H.parse(""))).isNotEqualTo(v.secondaryKey(H.of("X-A", "")));
    }
}
