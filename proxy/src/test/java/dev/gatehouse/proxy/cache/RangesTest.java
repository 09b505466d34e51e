package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.cache.Ranges.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.gatehouse.proxy.cache.H.T;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 9110 §14.1 (byte ranges, satisfiability), §14.2 (Range), §14.4 (Content-Range), §15.3.7 (206), §15.5.17
 * (416), §13.1.5 (If-Range). A 10 000-byte stored representation unless a row says otherwise.
 */
class RangesTest {

    private static final String STORED = "ETag: \"v1\" ^ Last-Modified: {T-3600} ^ Date: {T+0}";

    @ParameterizedTest(name = "[{index}] {0} Range: {1} (length {2}) → {3} {4}")
    @CsvSource(delimiter = '|', value = {
            // §14.1.2 examples
            "GET|bytes=0-499|10000|206|bytes 0-499/10000",
            "GET|bytes=500-999|10000|206|bytes 500-999/10000",
            "GET|bytes=-500|10000|206|bytes 9500-9999/10000",
            "GET|bytes=9500-|10000|206|bytes 9500-9999/10000",
            "GET|bytes=0-0|10000|206|bytes 0-0/10000",
            "GET|bytes=-1|10000|206|bytes 9999-9999/10000",
            "GET|bytes=0-|10000|206|bytes 0-9999/10000",
            "GET|bytes=9999-|10000|206|bytes 9999-9999/10000",
            "GET|bytes=0-99999|10000|206|bytes 0-9999/10000",             // last-pos past the end: clamped
            "GET|bytes=-99999|10000|206|bytes 0-9999/10000",              // suffix longer than the whole
            "GET|bytes=0-99999999999999999999999|10000|206|bytes 0-9999/10000",
            "GET|BYTES=0-9|10000|206|bytes 0-9/10000",                    // range unit is case-insensitive
            "GET|bytes= 0-9|10000|206|bytes 0-9/10000",
            "GET|bytes=0-9 ,|10000|206|bytes 0-9/10000",                  // empty list members tolerated
            // §14.2: several ranges may be answered with the whole representation
            "GET|bytes=0-0,-1|10000|200|",
            "GET|bytes=0-499, 500-999|10000|200|",
            "GET|bytes=500-600,601-999|10000|200|",
            "GET|bytes=0-1, 20000-|10000|200|",                           // one satisfiable: not 416
            // unsatisfiable (§14.1.1): 416 with bytes */length
            "GET|bytes=10000-|10000|416|bytes */10000",
            "GET|bytes=10000-10001|10000|416|bytes */10000",
            "GET|bytes=20000-30000|10000|416|bytes */10000",
            "GET|bytes=-0|10000|416|bytes */10000",                       // a zero suffix-length
            "GET|bytes=10000-, 20000-|10000|416|bytes */10000",
            "GET|bytes=99999999999999999999999-|10000|416|bytes */10000",
            "GET|bytes=0-9|0|416|bytes */0",                              // nothing to select in an empty one
            "GET|bytes=-5|0|200|",                                        // satisfiable, nothing to send
            // invalid or other units: Range ignored → 200 (§14.2)
            "GET|bytes=500-100|10000|200|",                               // last < first: invalid
            "GET|bytes=a-b|10000|200|",
            "GET|bytes=-|10000|200|",
            "GET|bytes=|10000|200|",
            "GET|bytes=0-9, a|10000|200|",
            "GET|bytes=1-2-3|10000|200|",
            "GET|bytes=+1-2|10000|200|",
            "GET|bytes 0-9|10000|200|",
            "GET|items=0-9|10000|200|",
            "GET|0-9|10000|200|",
            "GET|bytes=0x10-20|10000|200|",
            // only GET (§14.2)
            "HEAD|bytes=0-9|10000|200|",
            "POST|bytes=0-9|10000|200|",
            "GET||10000|200|",
    })
    void range(String method, String range, long length, int status, String contentRange) {
        Answer a = Ranges.answer(method, H.parse(range == null ? "" : "Range: " + range), H.dated(STORED), length, T);
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.contentRange()).isEqualTo(contentRange);
        if (status == 206) {
            assertThat(a.contentLength()).isEqualTo(a.last() - a.first() + 1).isPositive();
        } else {
            assertThat(a.contentLength()).isEqualTo(status == 200 ? length : 0);
        }
    }

    @Test
    void repeatedRangeFieldIsIgnored() {
        Answer a = Ranges.answer("GET", H.parse("Range: bytes=0-1 ^ Range: bytes=2-3"), H.dated(STORED), 10, T);
        assertThat(a.status()).isEqualTo(200);
    }

    /** §13.1.5: If-Range holds on a strong entity tag match, or a date equal to a strong Last-Modified. */
    @ParameterizedTest(name = "[{index}] If-Range: {0} on stored [{1}] → {2}")
    @CsvSource(delimiter = '|', value = {
            "\"v1\"|" + STORED + "|206",
            "\"v2\"|" + STORED + "|200",
            "W/\"v1\"|" + STORED + "|200",                                  // weak tags never match
            "\"v1\"|ETag: W/\"v1\"|200",
            "\"v1\"||200",
            "{T-3600}|" + STORED + "|206",
            "{T-3599}|" + STORED + "|200",                                  // must equal exactly
            "{T-3601}|" + STORED + "|200",
            "{T-3600}|Last-Modified: {T-3600}|200",                          // no Date: not known to be strong
            "{T+0}|Last-Modified: {T+0} ^ Date: {T+0}|200",                  // less than a second: weak
            "{T-1}|Last-Modified: {T-1} ^ Date: {T+0}|206",
            "Thursday, 31-Dec-25 23:00:00 GMT|" + STORED + "|206",            // RFC 850 form of T-3600
            "yesterday|" + STORED + "|200",                                  // invalid: the condition is false
            "\"v1\" ^ If-Range: \"v1\"|" + STORED + "|200",
    })
    void ifRange(String ifRange, String stored, int status) {
        Answer a = Ranges.answer("GET", H.dated("Range: bytes=0-9 ^ If-Range: " + ifRange), H.dated(stored), 100, T);
        assertThat(a.status()).isEqualTo(status);
    }

    @Test
    void ifRangeWithoutRangeChangesNothing() {
        Answer a = Ranges.answer("GET", H.parse("If-Range: \"v2\""), H.dated(STORED), 100, T);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.contentLength()).isEqualTo(100);
    }
}
