package dev.gatehouse.config;

/**
 * How a listener normalises request paths before routing and forwarding. Whatever the options, the path is first
 * brought to RFC 3986 normal form (§6.2.2): percent-encoded unreserved characters decoded, the hex of other
 * percent-encodings upper-cased, dot-segments removed (encoded ones too) without rising above the root; invalid
 * percent-encoding, encoded or raw control characters (NUL included), raw non-ASCII, spaces and fragments are
 * refused with 400. The options cover what RFC 3986 leaves to the server, after Envoy's {@code normalize_path},
 * {@code merge_slashes} and {@code path_with_escaped_slashes_action}.
 *
 * @param mergeSlashes   forward {@code /a//b} as {@code /a/b} (default false: forwarded as sent; routes are matched
 *                       with slashes merged either way, so {@code //admin/} cannot pass a route for {@code /admin/})
 * @param escapedSlashes what {@code %2F} does (default {@code reject})
 * @param backslashes    what {@code \} and {@code %5C} do (default {@code reject})
 * @param pathParameters what {@code ;} in a segment does (default {@code reject})
 */
public record PathConfig(Boolean mergeSlashes, EscapedSlashes escapedSlashes, Backslashes backslashes,
                         PathParameters pathParameters) {

    public static final PathConfig DEFAULT = new PathConfig(null, null, null, null);

    public PathConfig {
        mergeSlashes = mergeSlashes == null ? Boolean.FALSE : mergeSlashes;
        escapedSlashes = escapedSlashes == null ? EscapedSlashes.REJECT : escapedSlashes;
        backslashes = backslashes == null ? Backslashes.REJECT : backslashes;
        pathParameters = pathParameters == null ? PathParameters.REJECT : pathParameters;
    }

    /**
     * {@code %2F}: {@code reject} answers 400 (backends disagree on whether it separates segments, which is how
     * {@code /public%2F..%2Fadmin} gets past a route); {@code keep} forwards it encoded, as data, for backends that
     * never decode it to a separator; {@code unescape} turns it into {@code /} before dot-segments are removed and
     * routes are matched.
     */
    public enum EscapedSlashes { REJECT, KEEP, UNESCAPE }

    /**
     * {@code \} and {@code %5C}: {@code reject} answers 400 (some servers treat a backslash as a separator);
     * {@code keep} forwards both as sent (the encoded one upper-cased); {@code to-slash} makes both a {@code /}, as
     * browsers do, before dot-segments are removed and routes are matched.
     */
    public enum Backslashes { REJECT, KEEP, TO_SLASH }

    /**
     * {@code ;} in a path (and {@code %3B}): {@code reject} answers 400 (Tomcat and others strip {@code ;params} from
     * each segment, so {@code /admin;/x} is {@code /admin/x} to them but not to a route); {@code strip} removes
     * {@code ;...} from every segment as those servers do, before dot-segments are removed and routes are matched
     * ({@code ;jsessionid=} is lost); {@code keep} forwards them (a segment that is {@code .} or {@code ..} before
     * its {@code ;} is still refused).
     */
    public enum PathParameters { REJECT, STRIP, KEEP }
}
