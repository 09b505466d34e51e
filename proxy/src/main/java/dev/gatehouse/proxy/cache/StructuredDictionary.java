package dev.gatehouse.proxy.cache;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Dictionary of RFC 8941 (Structured Field Values) as far as RFC 9213 targeted fields need it: keys mapped to a
 * bare item (Boolean, Integer, Decimal, String, Token, Byte Sequence) or an Inner List; parameters are parsed and
 * dropped (RFC 9213 §2.1 gives them no meaning). Any syntax error fails the whole field (RFC 8941 §4.2), which is
 * then ignored. Item values: {@link Boolean}, {@link Long}, {@link Double}, {@link String}, {@link Token},
 * {@link ByteSequence} (still base64) and, for inner lists, a {@link List} of those.
 */
final class StructuredDictionary {

    record Token(String value) {
    }

    record ByteSequence(String base64) {
    }

    private final String s;
    private int i;

    private StructuredDictionary(String s) {
        this.s = s;
    }

    /** The members in order (a repeated key keeps its last value, RFC 8941 §4.2.2), or null on a parse failure. */
    static Map<String, Object> parse(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        String joined = String.join(", ", lines);
        try {
            return new StructuredDictionary(joined).dictionary();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Map<String, Object> dictionary() {
        Map<String, Object> out = new LinkedHashMap<>();
        skipSp();
        while (i < s.length()) {
            String key = key();
            Object value;
            if (peek() == '=') {
                i++;
                value = peek() == '(' ? innerList() : bareItem();
            } else {
                value = Boolean.TRUE;
            }
            parameters();
            out.remove(key);
            out.put(key, value);
            skipOws();
            if (i >= s.length()) {
                return out;
            }
            expect(',');
            skipOws();
            if (i >= s.length()) {
                throw new IllegalArgumentException("trailing comma");
            }
        }
        return out;
    }

    private List<Object> innerList() {
        expect('(');
        List<Object> items = new ArrayList<>();
        while (true) {
            while (peek() == ' ') {
                i++;
            }
            if (peek() == ')') {
                i++;
                parameters();
                return items;
            }
            items.add(bareItem());
            parameters();
            char c = peek();
            if (c != ' ' && c != ')') {
                throw new IllegalArgumentException("inner list");
            }
        }
    }

    private void parameters() {
        while (peek() == ';') {
            i++;
            while (peek() == ' ') {
                i++;
            }
            key();
            if (peek() == '=') {
                i++;
                bareItem();
            }
        }
    }

    private String key() {
        char c = peek();
        if (!(c >= 'a' && c <= 'z' || c == '*')) {
            throw new IllegalArgumentException("key");
        }
        int start = i;
        while (i < s.length()) {
            c = s.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
                i++;
            } else {
                break;
            }
        }
        return s.substring(start, i);
    }

    private Object bareItem() {
        char c = peek();
        if (c == '-' || c >= '0' && c <= '9') {
            return number();
        }
        if (c == '"') {
            return string();
        }
        if (c == '?') {
            i++;
            char b = peek();
            if (b != '0' && b != '1') {
                throw new IllegalArgumentException("boolean");
            }
            i++;
            return b == '1';
        }
        if (c == ':') {
            int end = s.indexOf(':', i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("byte sequence");
            }
            String b64 = s.substring(i + 1, end);
            for (int k = 0; k < b64.length(); k++) {
                char x = b64.charAt(k);
                if (!(Character.isLetterOrDigit(x) && x < 128 || x == '+' || x == '/' || x == '=')) {
                    throw new IllegalArgumentException("byte sequence");
                }
            }
            i = end + 1;
            return new ByteSequence(b64);
        }
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*') {
            int start = i++;
            while (i < s.length() && (Fields.isTchar(s.charAt(i)) || s.charAt(i) == ':' || s.charAt(i) == '/')) {
                i++;
            }
            return new Token(s.substring(start, i));
        }
        throw new IllegalArgumentException("item");
    }

    private Object number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        int digitsStart = i;
        boolean decimal = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                i++;
            } else if (c == '.' && !decimal) {
                decimal = true;
                if (i - digitsStart > 12) {
                    throw new IllegalArgumentException("decimal");
                }
                i++;
            } else {
                break;
            }
        }
        String n = s.substring(start, i);
        String digits = s.substring(digitsStart, i);
        if (digits.isEmpty() || digits.startsWith(".")) {
            throw new IllegalArgumentException("number");
        }
        if (decimal) {
            int dot = digits.indexOf('.');
            int frac = digits.length() - dot - 1;
            if (frac < 1 || frac > 3) {
                throw new IllegalArgumentException("decimal");
            }
            return Double.parseDouble(n);
        }
        if (digits.length() > 15) {
            throw new IllegalArgumentException("integer");
        }
        return Long.parseLong(n);
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '\\') {
                char n = peek();
                if (n != '"' && n != '\\') {
                    throw new IllegalArgumentException("escape");
                }
                b.append(n);
                i++;
            } else if (c == '"') {
                return b.toString();
            } else if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("string");
            } else {
                b.append(c);
            }
        }
        throw new IllegalArgumentException("unterminated string");
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void expect(char c) {
        if (peek() != c) {
            throw new IllegalArgumentException("expected " + c);
        }
        i++;
    }

    private void skipSp() {
        while (peek() == ' ') {
            i++;
        }
    }

    private void skipOws() {
        while (peek() == ' ' || peek() == '\t') {
            i++;
        }
    }
}
