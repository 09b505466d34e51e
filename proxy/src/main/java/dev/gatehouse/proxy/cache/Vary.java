package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The secondary cache key (RFC 9111 §4.1): the request fields a response's Vary nominates, compared after
 * normalisation: field names case-insensitive; values of several lines combined with ", " (RFC 9110 §5.3), OWS
 * around commas and at the ends trimmed, runs of whitespace collapsed; Accept-Encoding members (case-insensitive
 * codings, RFC 9110 §8.4.1) lower-cased and sorted. A field absent from one request matches only its absence from the
 * other. {@code Vary: *} never matches (§4.1).
 */
public final class Vary {

    private static final Vary NONE = new Vary(List.of(), false);

    private final List<String> names;
    private final boolean star;

    private Vary(List<String> names, boolean star) {
        this.names = names;
        this.star = star;
    }

    /** The nominated fields of a response's Vary lines. */
    public static Vary of(MultiMap responseHeaders) {
        List<String> members = Fields.listMembers(responseHeaders, "Vary");
        if (members.isEmpty()) {
            return NONE;
        }
        TreeSet<String> names = new TreeSet<>();
        for (String m : members) {
            if (m.equals("*")) {
                return new Vary(List.of(), true);
            }
            if (Fields.isToken(m)) {
                names.add(m.toLowerCase(Locale.ROOT));
            }
        }
        return new Vary(Collections.unmodifiableList(new ArrayList<>(names)), false);
    }

    /** Lower-case, sorted, without duplicates. */
    public List<String> names() {
        return names;
    }

    /** {@code Vary: *}: the response matches no later request. */
    public boolean star() {
        return star;
    }

    /**
     * The secondary key of a request under this Vary: "" when nothing varies, else one {@code name:value} line per
     * nominated field ({@code name!} when absent); null with {@code *}.
     */
    public String secondaryKey(MultiMap requestHeaders) {
        if (star) {
            return null;
        }
        if (names.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            String v = normalised(name, requestHeaders);
            b.append(name).append(v == null ? "!" : ":" + v).append('\n');
        }
        return b.toString();
    }

    /**
     * §4.1: whether a new request matches the request that produced the stored response, on every nominated field.
     */
    public boolean matches(MultiMap storedRequestHeaders, MultiMap requestHeaders) {
        if (star) {
            return false;
        }
        for (String name : names) {
            String a = normalised(name, storedRequestHeaders);
            String b = normalised(name, requestHeaders);
            if (a == null ? b != null : !a.equals(b)) {
                return false;
            }
        }
        return true;
    }

    /** The stored response's Vary applied to a stored secondary key: {@code matches} for stores that keep the key. */
    public static boolean matches(MultiMap storedResponseHeaders, String storedSecondaryKey, MultiMap requestHeaders) {
        String key = of(storedResponseHeaders).secondaryKey(requestHeaders);
        return key != null && key.equals(storedSecondaryKey);
    }

    /** The normalised value of a field in a request, null when absent. */
    static String normalised(String name, MultiMap headers) {
        List<String> lines = headers.getAll(name);
        if (lines.isEmpty()) {
            return null;
        }
        if (name.equals("accept-encoding")) {
            TreeSet<String> codings = new TreeSet<>();
            for (String line : lines) {
                for (String m : Fields.splitList(line)) {
                    codings.add(collapse(m).replace(" ;", ";").replace("; ", ";").toLowerCase(Locale.ROOT));
                }
            }
            return String.join(", ", codings);
        }
        List<String> members = new ArrayList<>();
        for (String line : lines) {
            for (String m : Fields.splitList(line)) {
                members.add(collapse(m));
            }
        }
        return String.join(", ", members);
    }

    private static String collapse(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean ws = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Fields.isOws(c)) {
                ws = true;
            } else {
                if (ws && b.length() > 0) {
                    b.append(' ');
                }
                ws = false;
                b.append(c);
            }
        }
        return b.toString();
    }
}
