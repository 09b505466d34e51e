package dev.gatehouse.proxy.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9110 §5.6.7 HTTP-date: the three forms, case-sensitivity, RFC 850 two-digit years. */
class HttpDateTest {

    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    @ParameterizedTest(name = "[{index}] {0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "Sun, 06 Nov 1994 08:49:37 GMT|1994-11-06T08:49:37Z",     // IMF-fixdate
            "Sunday, 06-Nov-94 08:49:37 GMT|1994-11-06T08:49:37Z",    // obsolete RFC 850
            "Sun Nov  6 08:49:37 1994|1994-11-06T08:49:37Z",          // asctime
            "Sun Nov 16 08:49:37 1994|1994-11-16T08:49:37Z",
            "Thu, 01 Jan 1970 00:00:00 GMT|1970-01-01T00:00:00Z",
            "Fri, 31 Dec 9999 23:59:59 GMT|9999-12-31T23:59:59Z",
            "Mon, 06 Nov 1994 08:49:37 GMT|1994-11-06T08:49:37Z",     // a wrong day name is tolerated
            "Sat, 31 Dec 2016 23:59:60 GMT|2016-12-31T23:59:59Z",     // leap second
            "  Sun, 06 Nov 1994 08:49:37 GMT  |1994-11-06T08:49:37Z",  // OWS around a field value
            "Tuesday, 01-Jun-76 00:00:00 GMT|2076-06-01T00:00:00Z",   // 50 years ahead: this century
            "Wednesday, 02-Jun-76 00:00:00 GMT|1976-06-02T00:00:00Z", // more than 50 ahead: the last century
            "Thursday, 01-Jan-26 00:00:00 GMT|2026-01-01T00:00:00Z",
            "Friday, 31-Dec-99 23:59:59 GMT|1999-12-31T23:59:59Z",
    })
    void parses(String value, String instant) {
        assertThat(HttpDate.parse(value, NOW)).isEqualTo(Instant.parse(instant));
    }

    @ParameterizedTest(name = "[{index}] invalid: {0}")
    @ValueSource(strings = {
            "", "0", "-1", "tomorrow", "1994-11-06T08:49:37Z",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 6 Nov 1994 08:49:37 GMT",       // 2DIGIT day
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",      // no such day
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Sun,06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, 06-Nov-94 08:49:37 GMT",       // RFC 850 needs the long day name
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",            // asctime pads the day with a space
            "Sun Nov  6 08:49:37 94",
            "Sunday Nov  6 08:49:37 1994",
    })
    void rejects(String value) {
        assertThat(HttpDate.parse(value, NOW)).isNull();
    }

    /** RFC 9111 §4.2: a cache matches day, month and zone names case-insensitively (RFC 9110 alone would not). */
    @ParameterizedTest
    @ValueSource(strings = {"sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 gmt", "SUN, 06 NOV 1994 08:49:37 GMT", "SUNDAY, 06-NOV-94 08:49:37 GMT",
            "sun nov  6 08:49:37 1994"})
    void namesAreMatchedWhateverTheirCase(String value) {
        assertThat(HttpDate.parse(value, NOW)).isEqualTo(Instant.parse("1994-11-06T08:49:37Z"));
    }

    @Test
    void nullIsNoDate() {
        assertThat(HttpDate.parse(null, NOW)).isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "1994-11-06T08:49:37Z|Sun, 06 Nov 1994 08:49:37 GMT",
            "2026-01-01T00:00:00.999Z|Thu, 01 Jan 2026 00:00:00 GMT",
            "1970-01-01T00:00:00Z|Thu, 01 Jan 1970 00:00:00 GMT",
    })
    void formatsImfFixdate(String instant, String value) {
        assertThat(HttpDate.format(Instant.parse(instant))).isEqualTo(value);
        assertThat(HttpDate.parse(value, NOW)).isEqualTo(Instant.parse(instant).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }
}
