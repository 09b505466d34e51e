package dev.gatehouse.proxy.cache;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * HTTP-date (RFC 9110 §5.6.7): IMF-fixdate is generated; IMF-fixdate, the obsolete RFC 850 form and asctime are
 * parsed. The format is case-sensitive (§5.6.7), so {@code sun, 06 nov 1994 …} is no date. Day names are checked
 * for spelling, not agreement with the date: recipients ought to be tolerant there.
 */
public final class HttpDate {

    private static final List<String> DAYS = List.of("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun");
    private static final List<String> LONG_DAYS =
            List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
    private static final List<String> MONTHS =
            List.of("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec");
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private HttpDate() {
    }

    /** IMF-fixdate, the only form a sender may generate (RFC 9110 §5.6.7). */
    public static String format(Instant instant) {
        return IMF_FIXDATE.format(instant);
    }

    /**
     * The instant of an HTTP-date, or null when {@code value} is none of the three forms. {@code reference} resolves
     * the two-digit year of the RFC 850 form: a date more than 50 years in its future is moved a century back
     * (§5.6.7).
     */
    public static Instant parse(String value, Instant reference) {
        if (value == null) {
            return null;
        }
        // RFC 9111 §4.2: caches match day, month and zone names case-insensitively.
        String v = canonicalCase(Fields.trimOws(value));
        try {
            Instant i = imfFixdate(v);
            if (i == null) {
                i = rfc850(v, reference);
            }
            if (i == null) {
                i = asctime(v);
            }
            return i;
        } catch (DateTimeException | NumberFormatException e) {
            return null;
        }
    }

    /** Each run of letters as "Xxx" ("GMT" upper-case), the case the date grammar spells its names in. */
    static String canonicalCase(String v) {
        StringBuilder b = null;
        int i = 0;
        while (i < v.length()) {
            char c = v.charAt(i);
            if (!Character.isLetter(c)) {
                i++;
                continue;
            }
            int end = i;
            while (end < v.length() && Character.isLetter(v.charAt(end))) {
                end++;
            }
            String word = v.substring(i, end);
            String canon = word.equalsIgnoreCase("GMT") ? "GMT"
                    : Character.toUpperCase(word.charAt(0)) + word.substring(1).toLowerCase(Locale.ROOT);
            if (!canon.equals(word)) {
                if (b == null) {
                    b = new StringBuilder(v);
                }
                b.replace(i, end, canon);
            }
            i = end;
        }
        return b == null ? v : b.toString();
    }

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    private static Instant imfFixdate(String v) {
        if (v.length() != 29 || v.charAt(3) != ',' || v.charAt(4) != ' ' || v.charAt(7) != ' ' || v.charAt(11) != ' '
                || v.charAt(16) != ' ' || v.charAt(25) != ' ' || !v.endsWith("GMT") || !DAYS.contains(v.substring(0, 3))) {
            return null;
        }
        return of(digits(v, 12, 4), month(v.substring(8, 11)), digits(v, 5, 2), time(v, 17));
    }

    // "Sunday, 06-Nov-94 08:49:37 GMT"
    private static Instant rfc850(String v, Instant reference) {
        int comma = v.indexOf(',');
        if (comma < 0 || !LONG_DAYS.contains(v.substring(0, comma))) {
            return null;
        }
        String r = v.substring(comma + 1);
        if (r.length() != 23 || r.charAt(0) != ' ' || r.charAt(3) != '-' || r.charAt(7) != '-' || r.charAt(10) != ' '
                || r.charAt(19) != ' ' || !r.endsWith("GMT")) {
            return null;
        }
        int yy = digits(r, 8, 2);
        int refYear = reference.atZone(ZoneOffset.UTC).getYear();
        int year = refYear - Math.floorMod(refYear, 100) + yy;
        int[] hms = time(r, 11);
        int month = month(r.substring(4, 7));
        int day = digits(r, 1, 2);
        Instant i = of(year, month, day, hms);
        if (i.isAfter(reference.atZone(ZoneOffset.UTC).plusYears(50).toInstant())) {
            i = of(year - 100, month, day, hms); // more than 50 years ahead: the last century (§5.6.7)
        }
        return i;
    }

    // "Sun Nov  6 08:49:37 1994"
    private static Instant asctime(String v) {
        if (v.length() != 24 || v.charAt(3) != ' ' || v.charAt(7) != ' ' || v.charAt(10) != ' ' || v.charAt(19) != ' '
                || !DAYS.contains(v.substring(0, 3))) {
            return null;
        }
        int day = v.charAt(8) == ' ' ? digits(v, 9, 1) : digits(v, 8, 2);
        return of(digits(v, 20, 4), month(v.substring(4, 7)), day, time(v, 11));
    }

    private static int[] time(String v, int at) {
        if (v.charAt(at + 2) != ':' || v.charAt(at + 5) != ':') {
            throw new NumberFormatException();
        }
        return new int[] {digits(v, at, 2), digits(v, at + 3, 2), digits(v, at + 6, 2)};
    }

    private static Instant of(int year, int month, int day, int[] hms) {
        // A leap second (60) is allowed by the grammar; java.time has none, so it is the last second of the minute.
        int second = hms[2] == 60 ? 59 : hms[2];
        return LocalDateTime.of(year, month, day, hms[0], hms[1], second).atZone(ZoneOffset.UTC).toInstant();
    }

    private static int month(String m) {
        int i = MONTHS.indexOf(m);
        if (i < 0) {
            throw new NumberFormatException();
        }
        return i + 1;
    }

    private static int digits(String v, int at, int n) {
        int r = 0;
        for (int i = at; i < at + n; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw new NumberFormatException();
            }
            r = r * 10 + (c - '0');
        }
        return r;
    }
}
