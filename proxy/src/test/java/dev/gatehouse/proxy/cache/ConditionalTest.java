package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.gatehouse.proxy.cache.H.T;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 9111 §4.3.2 (handling a received validation request), RFC 9110 §13.1.2 If-None-Match, §13.1.3
 * If-Modified-Since, §13.2.2 precedence, §15.4.5 (304 fields). {T+n}: the HTTP-date n seconds from T.
 */
class ConditionalTest {

    @ParameterizedTest(name = "[{index}] {0} [{1}] on stored [{2}] → 304 {3}")
    @CsvSource(delimiter = '|', value = {
            // If-None-Match: weak comparison (§13.1.2)
            "GET|If-None-Match: \"a\"|ETag: \"a\"|true",
            "HEAD|If-None-Match: \"a\"|ETag: \"a\"|true",
            "GET|If-None-Match: \"b\"|ETag: \"a\"|false",
            "GET|If-None-Match: W/\"a\"|ETag: \"a\"|true",
            "GET|If-None-Match: \"a\"|ETag: W/\"a\"|true",
            "GET|If-None-Match: W/\"a\"|ETag: W/\"a\"|true",
            "GET|If-None-Match: \"b\", \"a\"|ETag: \"a\"|true",            // a list
            "GET|If-None-Match: \"b\",\"c\"|ETag: \"a\"|false",
            "GET|If-None-Match: \"b\" ^ If-None-Match: \"a\"|ETag: \"a\"|true", // across lines
            "GET|If-None-Match: \"a,b\"|ETag: \"a,b\"|true",               // a comma inside a tag
            "GET|If-None-Match: \"a\"|ETag: \"A\"|false",
            "GET|If-None-Match: *|ETag: \"a\"|true",                       // * : any current representation
            "GET|If-None-Match: *||true",
            "GET|If-None-Match: \"a\"||false",                             // no stored tag to match
            "GET|If-None-Match: a|ETag: \"a\"|false",                      // invalid: no match
            "GET|If-None-Match: \"a\", garbage|ETag: \"a\"|false",
            "POST|If-None-Match: \"a\"|ETag: \"a\"|false",                 // only GET and HEAD get 304
            "PUT|If-None-Match: *|ETag: \"a\"|false",
            // If-None-Match takes precedence: If-Modified-Since is then not evaluated (§13.2.2)
            "GET|If-None-Match: \"b\" ^ If-Modified-Since: {T+100}|ETag: \"a\" ^ Last-Modified: {T+0}|false",
            "GET|If-None-Match: \"a\" ^ If-Modified-Since: {T-100}|ETag: \"a\" ^ Last-Modified: {T+0}|true",
            // If-Modified-Since (§13.1.3): not modified when Last-Modified <= the date
            "GET|If-Modified-Since: {T+0}|Last-Modified: {T+0}|true",
            "GET|If-Modified-Since: {T+10}|Last-Modified: {T+0}|true",
            "GET|If-Modified-Since: {T-1}|Last-Modified: {T+0}|false",
            "HEAD|If-Modified-Since: {T+0}|Last-Modified: {T+0}|true",
            "POST|If-Modified-Since: {T+0}|Last-Modified: {T+0}|false",     // ignored on other methods
            "GET|If-Modified-Since: yesterday|Last-Modified: {T+0}|false",   // invalid date: ignored
            "GET|If-Modified-Since: {T+0} ^ If-Modified-Since: {T+0}|Last-Modified: {T+0}|false", // more than one
            "GET|If-Modified-Since: Thursday, 01-Jan-26 00:00:00 GMT|Last-Modified: {T+0}|true",  // RFC 850
            "GET|If-Modified-Since: Thu Jan  1 00:00:00 2026|Last-Modified: {T+0}|true",          // asctime
            "GET|If-Modified-Since: {T+0}|ETag: \"a\"|true",        // §4.3.2: no Last-Modified: the time received
            "GET|If-Modified-Since: {T-1}|ETag: \"a\"|false",
            "GET|If-Modified-Since: {T+0}|Date: {T-50}|true",       // §4.3.2: else Date
            "GET|If-Modified-Since: {T-60}|Date: {T-50}|false",
            "GET|If-Modified-Since: {T-60}|Last-Modified: {T-100} ^ Date: {T-50}|true",
            "GET||ETag: \"a\" ^ Last-Modified: {T+0}|false",         // unconditional
    })
    void notModified(String method, String request, String stored, boolean expected) {
        assertThat(Conditional.notModified(method, H.dated(request), H.dated(stored), T)).isEqualTo(expected);
    }

    /** RFC 9110 §15.4.5: the fields a 200 would carry among these; Last-Modified only without ETag. */
    @Test
    void notModifiedHeaders() {
        MultiMap stored = H.parse("Cache-Control: max-age=60 ^ Content-Location: /a.en ^ Date: d ^ ETag: \"a\" ^ "
                + "Expires: e ^ Vary: Accept ^ Last-Modified: lm ^ Content-Type: text/html ^ Content-Length: 5 ^ "
                + "Set-Cookie: x ^ Content-Encoding: gzip");
        MultiMap h = Conditional.notModifiedHeaders(stored);
        assertThat(h.names()).containsExactlyInAnyOrder("Cache-Control", "Content-Location", "Date", "ETag", "Expires",
                "Vary");
        assertThat(h.get("ETag")).isEqualTo("\"a\"");

        MultiMap noTag = Conditional.notModifiedHeaders(H.parse("Date: d ^ Last-Modified: lm ^ Content-Type: x"));
        assertThat(noTag.names()).containsExactlyInAnyOrder("Date", "Last-Modified");
    }

    @Test
    void notModifiedHeadersKeepEveryLine() {
        MultiMap h = Conditional.notModifiedHeaders(H.parse("Vary: Accept ^ Vary: Accept-Encoding"));
        assertThat(h.getAll("Vary")).containsExactly("Accept", "Accept-Encoding");
    }
}
