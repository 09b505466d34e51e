package dev.gatehouse.proxy.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * An entity tag (RFC 9110 §8.8.3): {@code [W/] DQUOTE *etagc DQUOTE}, the opaque part without its quotes.
 */
public record EntityTag(boolean weak, String opaque) {

    /** The tag of one field value, or null when it is not one. */
    public static EntityTag parse(String value) {
        if (value == null) {
            return null;
        }
        String v = Fields.trimOws(value);
        boolean weak = v.startsWith("W/");
        if (weak) {
            v = v.substring(2);
        }
        if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            return null;
        }
        String opaque = v.substring(1, v.length() - 1);
        for (int i = 0; i < opaque.length(); i++) {
            char c = opaque.charAt(i);
            // etagc = %x21 / %x23-7E / obs-text
            if (!(c == 0x21 || c >= 0x23 && c <= 0x7e || c >= 0x80 && c <= 0xff)) {
                return null;
            }
        }
        return new EntityTag(weak, opaque);
    }

    /**
     * The members of an If-None-Match / If-Match list (a list of entity tags, which may hold commas inside quotes).
     * Null when a member is not an entity tag: the field is then invalid.
     */
    static List<EntityTag> parseList(List<String> lines) {
        List<EntityTag> out = new ArrayList<>();
        for (String line : lines) {
            for (String m : Fields.splitList(line)) {
                EntityTag t = parse(m);
                if (t == null) {
                    return null;
                }
                out.add(t);
            }
        }
        return out;
    }

    /** §8.8.3.2 strong comparison: both strong and character-by-character equal. */
    public boolean strongMatch(EntityTag other) {
        return other != null && !weak && !other.weak && opaque.equals(other.opaque);
    }

    /** §8.8.3.2 weak comparison: equal opaque tags, either or both may be weak. */
    public boolean weakMatch(EntityTag other) {
        return other != null && opaque.equals(other.opaque);
    }

    @Override
    public String toString() {
        return (weak ? "W/\"" : "\"") + opaque + "\"";
    }
}
