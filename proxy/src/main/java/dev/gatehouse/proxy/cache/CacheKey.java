package dev.gatehouse.proxy.cache;

import java.util.Locale;

/**
 * The primary cache key (RFC 9111 §2, §4): request method and target URI, with the URI in the normal form RFC 9110
 * §4.2.3 and RFC 3986 §6.2.2 make equivalent: scheme and host lower-cased, the default port (and an empty one) dropped,
 * an empty path made "/", percent-encoded unreserved characters decoded, other percent-encodings upper-cased, and
 * dot-segments removed. HEAD shares GET's key, since a stored GET answers HEAD (§4.3.5, RFC 9110 §9.3.2). The
 * fragment is not part of a target URI and is dropped.
 */
public final class CacheKey {

    private CacheKey() {
    }

    /** E.g. {@code GET https://example.com/a?b}; {@code pathAndQuery} is the request target in origin-form. */
    public static String primary(String method, String scheme, String authority, String pathAndQuery) {
        String m = "HEAD".equals(method) ? "GET" : method;
        String s = scheme.toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(m.length() + s.length() + authority.length() + pathAndQuery.length() + 4);
        b.append(m).append(' ').append(s).append("://").append(authority(s, authority));
        String target = pathAndQuery;
        int hash = target.indexOf('#');
        if (hash >= 0) {
            target = target.substring(0, hash);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        b.append(removeDotSegments(percent(path.isEmpty() ? "/" : path)));
        if (q >= 0) {
            b.append('?').append(percent(target.substring(q + 1)));
        }
        return b.toString();
    }

    /** Lower-case host, no userinfo, default or empty port dropped (RFC 9110 §4.2.3). */
    static String authority(String scheme, String authority) {
        String a = authority;
        int at = a.lastIndexOf('@');
        if (at >= 0) {
            a = a.substring(at + 1);
        }
        a = a.toLowerCase(Locale.ROOT);
        int colon = a.lastIndexOf(':');
        if (colon >= 0 && a.indexOf(']', colon) < 0) {
            if (colon + 1 < a.length() && a.charAt(colon + 1) != '0') {
                // The common case, a port without leading zeros: kept unless it is the scheme's default.
                boolean isDefault = "http".equals(scheme) ? a.endsWith(":80") && a.length() - colon == 3
                        : "https".equals(scheme) && a.endsWith(":443") && a.length() - colon == 4;
                return isDefault ? a.substring(0, colon) : a;
            }
            String port = a.substring(colon + 1);
            String host = a.substring(0, colon);
            if (port.isEmpty() || ("http".equals(scheme) && port.equals("80"))
                    || ("https".equals(scheme) && port.equals("443"))) {
                return host;
            }
            // Leading zeros do not make another port.
            String trimmed = port.length() > 1 && port.charAt(0) == '0' ? port.replaceFirst("^0+(?=\\d)", "") : port;
            if (("http".equals(scheme) && trimmed.equals("80")) || ("https".equals(scheme) && trimmed.equals("443"))) {
                return host;
            }
            return host + ":" + trimmed;
        }
        return a;
    }

    /** RFC 3986 §6.2.2.1 and §6.2.2.2: upper-case hex, unreserved characters decoded. */
    static String percent(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                int v = hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2));
                char d = (char) v;
                if (d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' || d == '-' || d == '.'
                        || d == '_' || d == '~') {
                    b.append(d);
                } else {
                    b.append('%').append(Character.toUpperCase(s.charAt(i + 1)))
                            .append(Character.toUpperCase(s.charAt(i + 2)));
                }
                i += 2;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    /** RFC 3986 §5.2.4. */
    static String removeDotSegments(String path) {
        if (!path.contains(".")) {
            return path;
        }
        StringBuilder in = new StringBuilder(path);
        StringBuilder out = new StringBuilder(path.length());
        while (in.length() > 0) {
            if (startsWith(in, "../")) {
                in.delete(0, 3);
            } else if (startsWith(in, "./")) {
                in.delete(0, 2);
            } else if (startsWith(in, "/./")) {
                in.delete(0, 2);
            } else if (in.toString().equals("/.")) {
                in.replace(0, 2, "/");
            } else if (startsWith(in, "/../")) {
                in.delete(0, 3);
                dropLastSegment(out);
            } else if (in.toString().equals("/..")) {
                in.replace(0, 3, "/");
                dropLastSegment(out);
            } else if (in.toString().equals(".") || in.toString().equals("..")) {
                in.setLength(0);
            } else {
                int next = in.indexOf("/", in.charAt(0) == '/' ? 1 : 0);
                int end = next < 0 ? in.length() : next;
                out.append(in, 0, end);
                in.delete(0, end);
            }
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    private static boolean startsWith(StringBuilder b, String prefix) {
        return b.length() >= prefix.length() && b.substring(0, prefix.length()).equals(prefix);
    }

    private static void dropLastSegment(StringBuilder out) {
        int slash = out.lastIndexOf("/");
        out.setLength(Math.max(slash, 0));
    }
}
