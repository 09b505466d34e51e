package dev.gatehouse.proxy.route;

import dev.gatehouse.config.PathConfig;
import dev.gatehouse.config.PathConfig.Backslashes;
import dev.gatehouse.config.PathConfig.EscapedSlashes;
import dev.gatehouse.config.PathConfig.PathParameters;

/**
 * Brings a request path to the one form routes are matched on and backends receive, so that no spelling of a path
 * ({@code /%61dmin}, {@code /./admin}, {@code /x/../admin}, {@code /%2e%2e/admin}, {@code /admin;/x}) reaches a
 * backend that would read it as another route's path. RFC 3986 §6.2.2: percent-encoded unreserved characters
 * decoded, the hex of other percent-encodings upper-cased, then dot-segments removed (§5.2.4; encoded dots count,
 * being decoded first) without ever rising above the root. What the RFC leaves open ({@code %2F}, backslashes,
 * {@code ;} parameters, {@code //}) follows the listener's {@link PathConfig}. Refused (the caller answers 400):
 * invalid percent-encoding, encoded or raw control characters (NUL included), overlong UTF-8 ({@code %C0%AE}), raw
 * spaces, non-ASCII and {@code #}.
 *
 * <p>Pure and immutable, shared by the event loops. A path already in normal form is returned as the same instance
 * after one scan, allocating nothing: that is every request from a well-behaved client.
 */
public final class PathNormalizer {

    static final PathNormalizer DEFAULT = new PathNormalizer(PathConfig.DEFAULT);

    // Why a path is refused. Normalised paths start with '/', these never do: one String result carries both.
    static final String INVALID_ENCODING = "invalid percent-encoding";
    static final String CONTROL = "control character";
    static final String ILLEGAL_CHARACTER = "space, non-ASCII or # in the path";
    static final String ESCAPED_SLASH = "escaped slash (%2F)";
    static final String BACKSLASH = "backslash";
    static final String PATH_PARAMETER = "path parameter (;)";
    static final String DOT_PARAMETER = "dot-segment with a path parameter";
    static final String NOT_ABSOLUTE = "not an absolute path";
    static final String OVERLONG = "overlong UTF-8 encoding";

    private final boolean mergeSlashes;
    private final EscapedSlashes escapedSlashes;
    private final Backslashes backslashes;
    private final PathParameters parameters;

    PathNormalizer(PathConfig config) {
        this.mergeSlashes = config.mergeSlashes();
        this.escapedSlashes = config.escapedSlashes();
        this.backslashes = config.backslashes();
        this.parameters = config.pathParameters();
    }

    /** The normal form of {@code path} (the part of the target before {@code ?}), or {@code null} to answer 400. */
    public String normalize(String path) {
        String n = apply(path);
        return n.isEmpty() || n.charAt(0) != '/' ? null : n;
    }

    /** Why {@link #normalize} refuses {@code path}, or {@code null} when it does not. */
    public String problem(String path) {
        String n = apply(path);
        return n.isEmpty() || n.charAt(0) != '/' ? n : null;
    }

    /** The normal form, or one of the reasons above. */
    private String apply(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return NOT_ABSOLUTE;
        }
        return isNormal(path) ? path : rewrite(path);
    }

    /**
     * One pass that allocates nothing: true when {@link #rewrite} would return {@code path} unchanged. False is always
     * safe (the rewrite decides); it must never be true for a path the rewrite would change or refuse.
     */
    private boolean isNormal(String path) {
        int n = path.length();
        int segmentStart = 1;
        for (int i = 1; i <= n; i++) {
            char c = i < n ? path.charAt(i) : '/';
            if (c == '/') {
                int len = i - segmentStart;
                if (len == 0 ? mergeSlashes && i < n : isDotSegment(path, segmentStart, i)) {
                    return false;
                }
                segmentStart = i + 1;
            } else if (c == '%') {
                if (i + 2 >= n) {
                    return false;
                }
                int v = hexByte(path.charAt(i + 1), path.charAt(i + 2));
                // Lower-case hex, unreserved, controls, and the three with options unless kept: the rewrite decides.
                if (v < 0 || Character.isLowerCase(path.charAt(i + 1)) || Character.isLowerCase(path.charAt(i + 2))
                        || unreserved(v) || v < 0x20 || v == 0x7f
                        || v == '/' && escapedSlashes != EscapedSlashes.KEEP
                        || v == '\\' && backslashes != Backslashes.KEEP
                        || v == ';' && parameters == PathParameters.REJECT || overlong(path, i, v)) {
                    return false;
                }
                i += 2;
            } else if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\' && backslashes != Backslashes.KEEP
                    || c == ';' && parameters != PathParameters.KEEP) {
                return false;
            }
        }
        return true;
    }

    /** The slow path: decodes, applies the options, removes dot-segments; allocates. */
    private String rewrite(String path) {
        int n = path.length();
        // Pass 1: percent-decoding of unreserved characters, the options, refusals. Every '/' here separates.
        StringBuilder d = new StringBuilder(n);
        boolean skipping = false; // inside a ;parameter being stripped
        for (int i = 0; i < n; i++) {
            char c = path.charAt(i);
            if (c == '%') {
                if (i + 2 >= n) {
                    return INVALID_ENCODING;
                }
                int v = hexByte(path.charAt(i + 1), path.charAt(i + 2));
                if (v < 0) {
                    return INVALID_ENCODING;
                }
                if (overlong(path, i, v)) {
                    return OVERLONG;
                }
                i += 2;
                if (v < 0x20 || v == 0x7f) {
                    return CONTROL;
                }
                if (skipping) {
                    continue;
                }
                if (unreserved(v)) {
                    d.append((char) v);
                } else if (v == '/') {
                    switch (escapedSlashes) {
                        case REJECT -> {
                            return ESCAPED_SLASH;
                        }
                        case KEEP -> d.append("%2F");
                        case UNESCAPE -> d.append('/');
                    }
                } else if (v == '\\') {
                    switch (backslashes) {
                        case REJECT -> {
                            return BACKSLASH;
                        }
                        case KEEP -> d.append("%5C");
                        case TO_SLASH -> d.append('/');
                    }
                } else if (v == ';' && parameters == PathParameters.REJECT) {
                    // Not a delimiter to RFC 3986, but servers that decode before splitting parameters disagree.
                    return PATH_PARAMETER;
                } else {
                    d.append('%').append(HEX[v >> 4]).append(HEX[v & 0xf]);
                }
            } else if (c < 0x20 || c == 0x7f) {
                return CONTROL;
            } else if (c == ' ' || c > 0x7f || c == '#') {
                return ILLEGAL_CHARACTER;
            } else if (c == '\\') {
                switch (backslashes) {
                    case REJECT -> {
                        return BACKSLASH;
                    }
                    case KEEP -> {
                        if (!skipping) {
                            d.append('\\');
                        }
                    }
                    case TO_SLASH -> {
                        skipping = false;
                        d.append('/');
                    }
                }
            } else if (c == ';') {
                switch (parameters) {
                    case REJECT -> {
                        return PATH_PARAMETER;
                    }
                    case STRIP -> skipping = true;
                    case KEEP -> d.append(';');
                }
            } else if (c == '/') {
                skipping = false;
                d.append('/');
            } else if (!skipping) {
                d.append(c);
            }
        }
        // Pass 2: dot-segments (RFC 3986 §5.2.4), with empty segments dropped first when merging slashes.
        StringBuilder out = new StringBuilder(d.length());
        int m = d.length();
        int start = 1;
        for (int i = 1; i <= m; i++) {
            if (i < m && d.charAt(i) != '/') {
                continue;
            }
            boolean last = i == m;
            int len = i - start;
            if (len == 1 && d.charAt(start) == '.') {
                if (last) {
                    out.append('/');
                }
            } else if (len == 2 && d.charAt(start) == '.' && d.charAt(start + 1) == '.') {
                int cut = out.lastIndexOf("/");
                out.setLength(Math.max(cut, 0)); // never above the root
                if (last) {
                    out.append('/');
                }
            } else if (len == 0 && mergeSlashes) {
                if (last && (out.isEmpty() || out.charAt(out.length() - 1) != '/')) {
                    out.append('/');
                }
            } else {
                if (parameters == PathParameters.KEEP && isDotSegment(d, start, i)) {
                    return DOT_PARAMETER; // "..;x" is ".." to servers that strip parameters
                }
                out.append('/').append(d, start, i);
            }
            start = i + 1;
        }
        if (out.isEmpty()) {
            return "/";
        }
        String result = out.toString();
        return result.equals(path) ? path : result;
    }

    /**
     * Whether {@code s[from, to)} is {@code .} or {@code ..}, or either followed by a {@code ;parameter}: what servers
     * that strip parameters resolve as a dot-segment.
     */
    static boolean isDotSegment(CharSequence s, int from, int to) {
        int end = to;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == ';') {
                end = i;
                break;
            }
        }
        int len = end - from;
        return len > 0 && len <= 2 && s.charAt(from) == '.' && (len == 1 || s.charAt(from + 1) == '.');
    }

    /**
     * Whether {@code path} has a segment that some server resolves as a dot-segment: {@code .} or {@code ..}, with or
     * without a {@code ;parameter}, between {@code /} or {@code \}, raw or percent-encoded. For checking paths that
     * were built after normalisation (a prefix rewrite), where one can appear at the seam. Allocates nothing.
     */
    static boolean hasDotSegment(String path) {
        int n = path.length();
        int start = 0;
        for (int i = 0; i <= n; i++) {
            char c = i < n ? path.charAt(i) : '/';
            if (c == '/' || c == '\\') {
                if (onlyDots(path, start, i)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** Whether {@code s[from, to)} up to any {@code ;} is one or two dots, each {@code .} or {@code %2E}. */
    private static boolean onlyDots(String s, int from, int to) {
        int dots = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == ';') {
                break;
            }
            if (c == '.') {
                dots++;
            } else if (c == '%' && i + 2 < to && s.charAt(i + 1) == '2' && (s.charAt(i + 2) | 0x20) == 'e') {
                dots++;
                i += 2;
            } else {
                return false;
            }
        }
        return dots == 1 || dots == 2;
    }

    /**
     * Whether the byte {@code v}, percent-encoded at {@code path[i]}, starts an overlong UTF-8 sequence (as
     * {@code %C0%AE} for {@code .}): invalid UTF-8 that old decoders turned into ASCII, dots and slashes included.
     * Only the second byte is needed to tell; valid UTF-8 and other legacy bytes pass.
     */
    private static boolean overlong(String path, int i, int v) {
        if (v != 0xC0 && v != 0xC1 && v != 0xE0 && v != 0xF0 || i + 5 >= path.length() || path.charAt(i + 3) != '%') {
            return false;
        }
        int w = hexByte(path.charAt(i + 4), path.charAt(i + 5));
        return v <= 0xC1 ? w >= 0x80 && w <= 0xBF : v == 0xE0 ? w >= 0x80 && w <= 0x9F : w >= 0x80 && w <= 0x8F;
    }

    private static boolean unreserved(int v) {
        return v >= 'a' && v <= 'z' || v >= 'A' && v <= 'Z' || v >= '0' && v <= '9'
                || v == '-' || v == '.' || v == '_' || v == '~';
    }

    /** The byte two hex digits spell, or -1. */
    private static int hexByte(char hi, char lo) {
        int h = Character.digit(hi, 16);
        int l = Character.digit(lo, 16);
        return h < 0 || l < 0 || hi > 0x7f || lo > 0x7f ? -1 : h << 4 | l;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
