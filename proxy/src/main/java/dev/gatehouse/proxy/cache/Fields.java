package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.util.ArrayList;
import java.util.List;

/** Field-value grammar shared by the cache classes: RFC 9110 §5.6 lists, tokens, quoted strings; RFC 9111 §1.2.2. */
final class Fields {

    /** RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31. */
    static final long DELTA_SECONDS_MAX = 2147483648L;

    static final long INVALID = -2;

    private Fields() {
    }

    /** RFC 9110 §5.6.2 tchar. */
    static boolean isTchar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTchar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** RFC 9110 §5.6.3 OWS: SP and HTAB. */
    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    static String trimOws(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isOws(s.charAt(b))) {
            b++;
        }
        while (e > b && isOws(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(b, e);
    }

    /**
     * The members of a list-based field (RFC 9110 §5.6.1) over all its field lines (§5.3: lines combine with a comma),
     * split on commas outside quoted strings, OWS trimmed, empty members dropped as recipients must tolerate them.
     */
    static List<String> listMembers(MultiMap headers, String name) {
        List<String> out = new ArrayList<>();
        for (String line : headers.getAll(name)) {
            splitList(line, out);
        }
        return out;
    }

    static List<String> splitList(String value) {
        List<String> out = new ArrayList<>();
        splitList(value, out);
        return out;
    }

    private static void splitList(String value, List<String> out) {
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                add(value.substring(start, i), out);
                start = i + 1;
            }
        }
        add(value.substring(start), out);
    }

    private static void add(String member, List<String> out) {
        String t = trimOws(member);
        if (!t.isEmpty()) {
            out.add(t);
        }
    }

    /** RFC 9110 §5.6.4: the content of a quoted-string, or null when {@code s} is not one. */
    static String unquote(String s) {
        if (s.length() < 2 || s.charAt(0) != '"' || s.charAt(s.length() - 1) != '"') {
            return null;
        }
        StringBuilder b = new StringBuilder(s.length() - 2);
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 >= s.length() - 1) {
                    return null;
                }
                c = s.charAt(++i);
            } else if (c == '"') {
                return null;
            }
            b.append(c);
        }
        return b.toString();
    }

    /**
     * RFC 9111 §1.2.2 delta-seconds ({@code 1*DIGIT}), saturated at 2^31; {@link #INVALID} for anything else (a sign,
     * a fraction, an empty value).
     */
    static long deltaSeconds(String s) {
        if (s == null || s.isEmpty()) {
            return INVALID;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            v = Math.min(DELTA_SECONDS_MAX, v * 10 + (c - '0'));
        }
        return v;
    }
}
