package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Range request answered from a stored full response (RFC 9110 §14): one satisfiable byte range gets 206 with
 * Content-Range; several ranges get the whole 200, which §14.2 allows (a server may ignore Range); a valid byte
 * range set with no satisfiable member gets 416 with {@code Content-Range: bytes *}{@code /length} (§15.5.17). Range
 * is ignored on methods other than GET, for other units, when invalid, and when If-Range does not hold (§13.1.5).
 */
public final class Ranges {

    /** What to send: {@code status} 200, 206 or 416; {@code first}..{@code last} inclusive for 206. */
    public record Answer(int status, long first, long last, long length) {

        static Answer full(long length) {
            return new Answer(200, 0, length - 1, length);
        }

        /** The Content-Range value for 206 and 416, null for 200. */
        public String contentRange() {
            return switch (status) {
                case 206 -> "bytes " + first + "-" + last + "/" + length;
                case 416 -> "bytes */" + length;
                default -> null;
            };
        }

        /** Bytes of content sent. */
        public long contentLength() {
            return status == 206 ? last - first + 1 : status == 416 ? 0 : length;
        }
    }

    private record Spec(long first, long last, boolean suffix) {
    }

    private Ranges() {
    }

    /**
     * @param stored the stored response's headers (for If-Range's validators)
     * @param length the stored representation's length in bytes
     */
    public static Answer answer(String method, MultiMap request, MultiMap stored, long length, Instant now) {
        List<String> lines = request.getAll("Range");
        if (!"GET".equals(method) || lines.size() != 1) {
            return Answer.full(length); // §14.2: only GET; a repeated Range is invalid
        }
        List<String> ifRange = request.getAll("If-Range");
        if (!ifRange.isEmpty() && !ifRangeHolds(ifRange, stored, now)) {
            return Answer.full(length);
        }
        List<Spec> specs = parse(lines.get(0));
        if (specs == null) {
            return Answer.full(length);
        }
        List<long[]> satisfiable = new ArrayList<>();
        for (Spec s : specs) {
            if (s.suffix()) {
                if (s.last() > 0 && length == 0) {
                    // §14.1.1: satisfiable, but there is no byte to send; the empty 200 is the whole answer.
                    return Answer.full(length);
                }
                if (s.last() > 0) {
                    satisfiable.add(new long[] {Math.max(0, length - s.last()), length - 1});
                }
            } else if (s.first() < length) {
                satisfiable.add(new long[] {s.first(), Math.min(s.last(), length - 1)});
            }
        }
        if (satisfiable.isEmpty()) {
            return new Answer(416, 0, -1, length);
        }
        if (specs.size() > 1) {
            return Answer.full(length); // several ranges: the whole representation (§14.2 allows ignoring Range)
        }
        long[] r = satisfiable.get(0);
        return new Answer(206, r[0], r[1], length);
    }

    /**
     * §13.1.5: an entity tag must match the stored one strongly; a date must equal the stored Last-Modified exactly
     * (and a weak validator never holds). Anything else, an invalid value included, does not hold.
     */
    static boolean ifRangeHolds(List<String> lines, MultiMap stored, Instant now) {
        if (lines.size() != 1) {
            return false;
        }
        String v = Fields.trimOws(lines.get(0));
        if (v.startsWith("\"") || v.startsWith("W/")) {
            EntityTag tag = EntityTag.parse(v);
            return tag != null && tag.strongMatch(EntityTag.parse(stored.get("ETag")));
        }
        Instant date = HttpDate.parse(v, now);
        Instant lastModified = HttpDate.parse(stored.get("Last-Modified"), now);
        if (date == null || !date.equals(lastModified)) {
            return false;
        }
        // §8.8.2.2: Last-Modified is strong only when at least a second older than the response's Date.
        Instant responseDate = HttpDate.parse(stored.get("Date"), now);
        return responseDate != null && !lastModified.plusSeconds(1).isAfter(responseDate);
    }

    /**
     * §14.1.1 ranges-specifier: {@code bytes=} then a list of {@code first-last}, {@code first-} or {@code -suffix};
     * null when the unit is not bytes or the set is invalid (first &gt; last, no digits, garbage).
     */
    static List<Spec> parse(String value) {
        String v = Fields.trimOws(value);
        int eq = v.indexOf('=');
        if (eq < 0 || !v.substring(0, eq).toLowerCase(Locale.ROOT).equals("bytes")) {
            return null;
        }
        List<Spec> specs = new ArrayList<>();
        for (String m : Fields.splitList(v.substring(eq + 1))) {
            int dash = m.indexOf('-');
            if (dash < 0) {
                return null;
            }
            String a = m.substring(0, dash);
            String b = m.substring(dash + 1);
            if (a.isEmpty()) {
                long suffix = digits(b);
                if (suffix < 0) {
                    return null;
                }
                specs.add(new Spec(0, suffix, true));
            } else {
                long first = digits(a);
                long last = b.isEmpty() ? Long.MAX_VALUE : digits(b);
                if (first < 0 || last < 0 || last < first) {
                    return null;
                }
                specs.add(new Spec(first, last, false));
            }
        }
        return specs.isEmpty() ? null : specs;
    }

    /** 1*DIGIT, saturating at Long.MAX_VALUE; -1 when not digits. */
    private static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : v * 10 + (c - '0');
        }
        return v;
    }
}
