package dev.gatehouse.proxy.route;

import dev.gatehouse.proxy.route.PathNormalizer;

import dev.gatehouse.config.PathConfig;
import dev.gatehouse.config.PathConfig.Backslashes;
import dev.gatehouse.config.PathConfig.EscapedSlashes;
import dev.gatehouse.config.PathConfig.PathParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PathNormalizer}: RFC 3986 normal form, the listener options, refusals, and no allocation when normal. */
class PathNormalizerTest {

    private static final PathNormalizer DEFAULT = PathNormalizer.DEFAULT;

    private static PathNormalizer with(Boolean merge, EscapedSlashes slashes, Backslashes backslashes,
                                       PathParameters parameters) {
        return new PathNormalizer(new PathConfig(merge, slashes, backslashes, parameters));
    }

    private static final PathNormalizer MERGE = with(true, null, null, null);
    private static final PathNormalizer KEEP_SLASHES = with(null, EscapedSlashes.KEEP, null, null);
    private static final PathNormalizer UNESCAPE_SLASHES = with(null, EscapedSlashes.UNESCAPE, null, null);
    private static final PathNormalizer KEEP_BACKSLASHES = with(null, null, Backslashes.KEEP, null);
    private static final PathNormalizer BACKSLASH_TO_SLASH = with(null, null, Backslashes.TO_SLASH, null);
    private static final PathNormalizer STRIP_PARAMETERS = with(null, null, null, PathParameters.STRIP);
    private static final PathNormalizer KEEP_PARAMETERS = with(null, null, null, PathParameters.KEEP);

    // ---- already normal: the same instance, nothing allocated -------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/", "/admin/x", "/a/b/c.html", "/.well-known/x", "/a./b", "/.a/..b/...",
            "/a-b_c~d", "/%C3%BC", "/%25", "/%252e", "/%3F%23", "/!$&'()*+,=:@", "/a//b", "//", "/a/b//",
            "/v1/users/123/orders", "/%E2%82%AC/x"})
    void aNormalPathIsReturnedAsTheSameInstance(String literal) {
        String path = new String(literal); // not the interned literal: identity must come from the normalizer
        assertThat(DEFAULT.normalize(path)).isSameAs(path);
    }

    @Test
    void aLongNormalPathIsReturnedAsTheSameInstance() {
        String path = "/segment".repeat(12_000) + "/%C3%BC";
        assertThat(DEFAULT.normalize(path)).isSameAs(path);
        assertThat(MERGE.normalize(path)).isSameAs(path);
    }

    @Test
    void normalisingANormalPathAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        String[] paths = {"/api/v1/users/12345/orders", "/%C3%BC/a-b_c~d.html", "/", "/static/app.9f8e7d.js"};
        int sink = 0;
        for (int i = 0; i < 20_000; i++) { // warm up: the measurement is of the steady state
            sink += DEFAULT.normalize(paths[i & 3]).length();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            sink += DEFAULT.normalize(paths[i & 3]).length();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(sink).isPositive();
        assertThat(allocated).as("bytes allocated by 100k normalisations").isLessThan(4_096);
    }

    // ---- RFC 3986 §6.2.2.2: unreserved characters decoded, other hex upper-cased -------------------------------

    @ParameterizedTest
    @CsvSource({
            "/%61dmin/x, /admin/x",
            "/%41%44%4D%49%4E, /ADMIN",
            "/%7e%7E%2d%2D%5f%5F%2e%30%39, /~~--__.09",
            "/%c3%bc, /%C3%BC",
            "/a%3fb, /a%3Fb",
            "/%3a%40, /%3A%40",
            "/%2525, /%2525",
            "/%252e%252e/admin, /%252e%252e/admin",   // double encoding stays literal: decoded once, to %2e
            "/%25%32%65, /%252e",                    // %32 and %65 are unreserved: decoded; %25 is not
    })
    void unreservedCharactersAreDecodedAndHexUpperCased(String in, String out) {
        assertThat(DEFAULT.normalize(in)).isEqualTo(out);
    }

    // ---- RFC 3986 §5.2.4: dot-segments, encoded or not, never above the root ---------------------------------

    @ParameterizedTest
    @CsvSource({
            "/., /",
            "/.., /",
            "/./, /",
            "/../, /",
            "/../.., /",
            "/../../, /",
            "/../../etc/passwd, /etc/passwd",
            "/./admin/x, /admin/x",
            "/x/../admin/x, /admin/x",
            "/a/b/../../admin/x, /admin/x",
            "/a/b/.., /a/",
            "/a/b/., /a/b/",
            "/a/./b/./c, /a/b/c",
            "/a/b/c/../../../../../admin, /admin",
            "/a//../b, /a/b",                         // an empty segment is a segment (RFC 3986)
            "/%2e/admin/x, /admin/x",
            "/%2E/admin/x, /admin/x",
            "/%2e%2e/admin/x, /admin/x",
            "/%2E%2E/admin/x, /admin/x",
            "/%2e%2E/admin/x, /admin/x",
            "/.%2e/admin/x, /admin/x",
            "/%2e./admin/x, /admin/x",
            "/x/%2e%2e/admin/x, /admin/x",
            "/x/.%2E/%2e./%2E%2E/admin, /admin",
            "/api/../../secret, /secret",
            "/api/%2e%2e/%2e%2e/secret, /secret",
            "/..., /...",
            "/a.., /a..",
            "/..a/.b, /..a/.b",
            "/%2e%2e%2e, /...",
    })
    void dotSegmentsAreRemoved(String in, String out) {
        assertThat(DEFAULT.normalize(in)).isEqualTo(out);
    }

    @Test
    void manyDotSegmentsInALongPath() {
        String in = "/a".repeat(50_000) + "/..".repeat(60_000) + "/admin";
        assertThat(DEFAULT.normalize(in)).isEqualTo("/admin");
        String encoded = "/%2e%2e".repeat(40_000) + "/x";
        assertThat(DEFAULT.normalize(encoded)).isEqualTo("/x");
    }

    // ---- refusals -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/%zz", "/%4", "/%", "/a%", "/%g0", "/%0g", "/%%", "/%u002e", "/%2", "/a%2/b", "/%-1",
            "/%\u0663\u0663", "/%+1"})
    void invalidPercentEncodingIsRefused(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.INVALID_ENCODING);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%00", "/a%00.html", "/%0a", "/%0D%0A", "/%1f", "/%7F", "/%7f", "/%09", "/a\u0000",
            "/a\tb", "/a\rb", "/a\nb", "/a\u007fb", "/\u0001"})
    void controlCharactersAreRefusedEncodedOrRaw(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.CONTROL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%C0%AE%C0%AE/admin", "/%c0%ae", "/%C1%9C", "/%C0%AF", "/%E0%80%AE", "/%e0%81%af",
            "/%F0%80%80%AE", "/x%C0%80"})
    void overlongUtf8IsRefused(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.OVERLONG);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%C0", "/%C0x", "/%C0%41", "/%C3%80", "/%E0%A4%B9%E0%A4%BF", "/%F0%9F%98%80", "/%E9t%E9",
            "/%C1"})
    void validUtf8AndLegacyBytesPass(String literal) {
        assertThat(DEFAULT.normalize(literal)).isEqualTo(literal.replace("%41", "A"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a b", "/a#frag", "/#", "/\u00fc", "/\u00ff", "/\u0100", "/caf\u00e9", "/\ud83d\ude00",
            "/\u00c3\u00bc"})
    void spacesFragmentsAndRawNonAsciiAreRefused(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.ILLEGAL_CHARACTER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "*", "admin/x", "%2Fadmin", "\\admin"})
    void aPathNotStartingWithSlashIsRefused(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.NOT_ABSOLUTE);
    }

    @Test
    void aRefusalIsFoundEvenAfterManyDotSegments() {
        assertThat(DEFAULT.normalize("/..".repeat(10_000) + "/%00")).isNull();
        assertThat(DEFAULT.normalize("/a".repeat(10_000) + "/%G1")).isNull();
    }

    // ---- escaped slashes ----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/a%2Fb", "/a%2fb", "/public%2F..%2Fadmin", "/%2F", "/%2f%2e%2e"})
    void escapedSlashesAreRefusedByDefault(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.ESCAPED_SLASH);
    }

    @Test
    void keptEscapedSlashesAreDataNotSeparators() {
        assertThat(KEEP_SLASHES.normalize("/a%2fb")).isEqualTo("/a%2Fb");
        assertThat(KEEP_SLASHES.normalize("/public%2F..%2Fadmin")).isEqualTo("/public%2F..%2Fadmin");
        assertThat(KEEP_SLASHES.normalize("/x/..%2F")).isEqualTo("/x/..%2F");
        String same = new String("/a%2Fb");
        assertThat(KEEP_SLASHES.normalize(same)).isEqualTo(same);
    }

    @Test
    void unescapedSlashesSeparateBeforeDotSegmentsAreRemoved() {
        assertThat(UNESCAPE_SLASHES.normalize("/a%2fb")).isEqualTo("/a/b");
        assertThat(UNESCAPE_SLASHES.normalize("/public%2F..%2Fadmin")).isEqualTo("/admin");
        assertThat(UNESCAPE_SLASHES.normalize("/%2F%2e%2e%2F%2e%2e%2Fetc")).isEqualTo("/etc");
    }

    // ---- backslashes -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/a\\b", "/\\admin", "/a%5Cb", "/a%5cb", "/..\\admin", "/%5c..%5cadmin"})
    void backslashesAreRefusedByDefault(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.BACKSLASH);
    }

    @Test
    void keptBackslashesStayAsSent() {
        assertThat(KEEP_BACKSLASHES.normalize("/a\\b")).isEqualTo("/a\\b");
        assertThat(KEEP_BACKSLASHES.normalize("/a%5cb")).isEqualTo("/a%5Cb");
        String same = new String("/a\\b%5C");
        assertThat(KEEP_BACKSLASHES.normalize(same)).isSameAs(same);
    }

    @Test
    void backslashesBecomeSlashesBeforeDotSegmentsAreRemoved() {
        assertThat(BACKSLASH_TO_SLASH.normalize("/a\\b")).isEqualTo("/a/b");
        assertThat(BACKSLASH_TO_SLASH.normalize("/public\\..\\admin\\x")).isEqualTo("/admin/x");
        assertThat(BACKSLASH_TO_SLASH.normalize("/public%5C..%5cadmin")).isEqualTo("/admin");
    }

    // ---- path parameters (;) ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/admin;/x", "/x;jsessionid=1", "/public/..;/admin", "/a%3Bb", "/a%3bb", "/;"})
    void pathParametersAreRefusedByDefault(String path) {
        assertThat(DEFAULT.normalize(path)).isNull();
        assertThat(DEFAULT.problem(path)).isEqualTo(PathNormalizer.PATH_PARAMETER);
    }

    @ParameterizedTest
    @CsvSource({
            "/admin;/x, /admin/x",
            "/admin;foo=bar/x, /admin/x",
            "/x;jsessionid=1, /x",
            "/a;b=c/d;e, /a/d",
            "/public/..;/admin/x, /admin/x",
            "/public/.;x/admin, /public/admin",
            "/;x/admin, //admin",                      // the segment is empty once its parameter is gone
            "/a;%2F/b, /a/b",                          // what is stripped is not decoded
            "/a;x%3Bb/c, /a/c",
            "/a%3Bb, /a%3Bb",                          // encoded, ; is data and stays
    })
    void strippedParametersAreGoneBeforeDotSegmentsAreRemoved(String in, String out) {
        assertThat(STRIP_PARAMETERS.normalize(in)).isEqualTo(out);
    }

    @Test
    void strippedParametersAreStillChecked() {
        assertThat(STRIP_PARAMETERS.normalize("/a;%00/b")).isNull();
        assertThat(STRIP_PARAMETERS.normalize("/a;%zz/b")).isNull();
        assertThat(STRIP_PARAMETERS.normalize("/a;\u00fc/b")).isNull();
    }

    @Test
    void keptParametersStayButNeverHideADotSegment() {
        assertThat(KEEP_PARAMETERS.normalize("/a;b=c/d")).isEqualTo("/a;b=c/d");
        String same = new String("/x;jsessionid=1");
        assertThat(KEEP_PARAMETERS.normalize(same)).isSameAs(same);
        assertThat(KEEP_PARAMETERS.normalize("/public/..;/admin")).isNull();
        assertThat(KEEP_PARAMETERS.problem("/public/..;/admin")).isEqualTo(PathNormalizer.DOT_PARAMETER);
        assertThat(KEEP_PARAMETERS.normalize("/.;x/a")).isNull();
        assertThat(KEEP_PARAMETERS.normalize("/%2e%2e;/a")).isNull();
        assertThat(KEEP_PARAMETERS.normalize("/...;/a")).isEqualTo("/...;/a");
    }

    // ---- merge-slashes ----------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
            "//admin/x, /admin/x",
            "/admin//x, /admin/x",
            "///a///b///, /a/b/",
            "//, /",
            "/a//../b, /b",                           // merged first, as servers that merge do
            "//%2e%2e//admin, /admin",
    })
    void mergedSlashes(String in, String out) {
        assertThat(MERGE.normalize(in)).isEqualTo(out);
    }

    @Test
    void slashesAreKeptByDefault() {
        String path = new String("//admin//x");
        assertThat(DEFAULT.normalize(path)).isSameAs(path);
        assertThat(DEFAULT.normalize("//./admin//x")).isEqualTo("//admin//x");
    }

    // ---- the bypasses of issue 9 --------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/%61dmin/x", "/./admin/x", "/x/../admin/x", "/%2e%2e/admin/x", "/%2E/admin/x",
            "/x/%2e%2e/admin/x", "/../admin/x", "/admin/./x", "/admin/y/../x"})
    void everyBypassSpellingBecomesTheSamePath(String path) {
        assertThat(DEFAULT.normalize(path)).isEqualTo("/admin/x");
        assertThat(STRIP_PARAMETERS.normalize(path)).isEqualTo("/admin/x");
        assertThat(MERGE.normalize(path)).isEqualTo("/admin/x");
    }

    // ---- the check on rewritten paths -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/v1/public/../x", "/v1/..", "/.", "/v1/./x", "/v1/%2e%2E/x", "/v1/.%2e", "/v1/..;x/y",
            "/v1/.;/y", "/v1\\..\\x", "/v1/%2E"})
    void aDotSegmentAnywhereIsFound(String path) {
        assertThat(PathNormalizer.hasDotSegment(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/v1/public/x", "/v1/.../x", "/v1/..x/x.", "/v1/a..b", "/v1/%2e%2e%2e", "/v1/%2f..",
            "/v1/;../x", "/v1/%252e"})
    void noDotSegmentIsNotFound(String path) {
        assertThat(PathNormalizer.hasDotSegment(path)).isFalse();
    }

    // ---- properties over a generated corpus -------------------------------------------------------------------

    @Test
    void normalFormIsAFixedPointAndNeverHoldsADotSegment() {
        char[] alphabet = {'/', '/', '/', '.', '.', 'a', '%', '2', 'e', 'E', 'f', 'F', '5', 'c', 'C', '3', 'b', 'B', ';',
                '\\', '0', '6', '1', 'x'};
        List<PathNormalizer> all = new ArrayList<>();
        for (Boolean merge : new Boolean[] {false, true}) {
            for (EscapedSlashes s : EscapedSlashes.values()) {
                for (Backslashes b : Backslashes.values()) {
                    for (PathParameters p : PathParameters.values()) {
                        all.add(with(merge, s, b, p));
                    }
                }
            }
        }
        Random random = new Random(9);
        int normalised = 0;
        List<String> broken = new ArrayList<>();
        for (int n = 0; n < 4_000; n++) {
            StringBuilder sb = new StringBuilder("/");
            int len = random.nextInt(14);
            for (int i = 0; i < len; i++) {
                sb.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String in = sb.toString();
            for (PathNormalizer pn : all) {
                String out = pn.normalize(in);
                if (out == null) {
                    if (pn.problem(in) == null) {
                        broken.add(in + ": refused without a reason");
                    }
                    continue;
                }
                normalised++;
                // Normal form is normal: the second pass is the identity and allocates nothing.
                if (!out.startsWith("/") || pn.normalize(out) != out) {
                    broken.add(in + " -> " + out + " -> " + pn.normalize(out));
                }
                for (String segment : out.split("/", -1)) {
                    if (segment.equals(".") || segment.equals("..") || segment.toLowerCase().contains("%2e")) {
                        broken.add(in + " -> " + out + ": dot-segment left");
                    }
                }
            }
        }
        assertThat(broken).isEmpty();
        assertThat(normalised).isGreaterThan(10_000);
    }
}
