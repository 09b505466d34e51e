package dev.gatehouse.proxy.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111 §4.4 (invalidating stored responses), RFC 9110 §9.2.1 (safe methods), §4.3.1 (origin). */
class InvalidationTest {

    private static final String TARGET = "GET https://example.com/items/1";

    @ParameterizedTest(name = "[{index}] {0} → {1}: [{3}]")
    @CsvSource(delimiter = '|', value = {
            // unsafe methods with non-error statuses invalidate the target URI
            "POST|200||" + TARGET,
            "PUT|201||" + TARGET,
            "DELETE|204||" + TARGET,
            "PATCH|200||" + TARGET,
            "POST|302||" + TARGET,                        // 3xx is not an error
            "POST|399||" + TARGET,
            "PROPFIND|207||" + TARGET,                    // unknown safety: treated as unsafe
            "FOO|200||" + TARGET,
            // error and informational statuses do not
            "POST|400||",
            "POST|404||",
            "DELETE|500||",
            "PUT|503||",
            "POST|100||",
            // safe methods never do
            "GET|200||",
            "HEAD|200||",
            "OPTIONS|200||",
            "TRACE|200||",
            // Location and Content-Location of the same origin
            "POST|201|Location: /items/2|" + TARGET + " ^ GET https://example.com/items/2",
            "POST|201|Location: 2|" + TARGET + " ^ GET https://example.com/items/2",     // relative reference
            "POST|201|Location: ../other|" + TARGET + " ^ GET https://example.com/other",
            "POST|201|Location: https://example.com/items/2?x=1|" + TARGET + " ^ GET https://example.com/items/2?x=1",
            "POST|201|Location: https://EXAMPLE.com:443/items/2|" + TARGET + " ^ GET https://example.com/items/2",
            "PUT|200|Content-Location: /items/1.json|" + TARGET + " ^ GET https://example.com/items/1.json",
            "PUT|200|Location: /a ^ Content-Location: /b|" + TARGET
                    + " ^ GET https://example.com/a ^ GET https://example.com/b",
            "PUT|200|Content-Location: /items/1|" + TARGET,                                    // no duplicate
            "POST|201|Location: /items/2#frag|" + TARGET + " ^ GET https://example.com/items/2",
            // another origin must not be invalidated
            "POST|201|Location: https://other.example/items/2|" + TARGET,
            "POST|201|Location: http://example.com/items/2|" + TARGET,                          // another scheme
            "POST|201|Location: https://example.com:8443/items/2|" + TARGET,                    // another port
            "POST|201|Location: //other.example/x|" + TARGET,
            "POST|201|Content-Location: https://evil.example/items/1|" + TARGET,
            "POST|201|Location: not a uri|" + TARGET,
            "POST|201|Location: mailto:a@example.com|" + TARGET,
            "POST|400|Location: /items/2|",
    })
    void keys(String method, int status, String response, String expected) {
        List<String> keys = Invalidation.keys(method, status, "https", "example.com", "/items/1", H.parse(response));
        List<String> want = expected == null ? List.of() : List.of(expected.split(" \\^ "));
        assertThat(keys).containsExactlyElementsOf(want);
    }

    @ParameterizedTest(name = "[{index}] target {0}{1}")
    @CsvSource(delimiter = '|', value = {
            "EXAMPLE.com:443|/items/%7e1|GET https://example.com/items/~1",
            "example.com|/a/./b?q|GET https://example.com/a/b?q",
    })
    void targetKeyIsTheGetKey(String authority, String target, String key) {
        assertThat(Invalidation.keys("POST", 200, "https", authority, target, H.parse("")))
                .containsExactly(key)
                .containsExactly(CacheKey.primary("HEAD", "https", authority, target));
    }
}
