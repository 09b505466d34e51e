package dev.gatehouse.proxy.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111 §2, §4 primary key; RFC 9110 §4.2.3 and RFC 3986 §6.2.2 URI equivalence; §4.3.5 HEAD from GET. */
class CacheKeyTest {

    @ParameterizedTest(name = "[{index}] {0} {1}://{2}{3} → {4}")
    @CsvSource(delimiter = '|', value = {
            "GET|https|example.com|/a|GET https://example.com/a",
            "HEAD|https|example.com|/a|GET https://example.com/a",          // HEAD is served from the stored GET
            "POST|https|example.com|/a|POST https://example.com/a",
            "GET|HTTPS|example.com|/a|GET https://example.com/a",           // scheme is case-insensitive
            "GET|https|EXAMPLE.com|/a|GET https://example.com/a",           // host is case-insensitive
            "GET|https|example.com|/A|GET https://example.com/A",           // path is case-sensitive
            "GET|https|example.com:443|/a|GET https://example.com/a",       // default port dropped
            "GET|http|example.com:80|/a|GET http://example.com/a",
            "GET|http|example.com:443|/a|GET http://example.com:443/a",     // not the default for http
            "GET|https|example.com:80|/a|GET https://example.com:80/a",
            "GET|https|example.com:|/a|GET https://example.com/a",          // empty port
            "GET|https|example.com:8443|/a|GET https://example.com:8443/a",
            "GET|https|example.com:0443|/a|GET https://example.com/a",
            "GET|https|example.com:08443|/a|GET https://example.com:8443/a",
            "GET|https|user@example.com|/a|GET https://example.com/a",      // userinfo is not part of the key
            "GET|https|[::1]|/a|GET https://[::1]/a",
            "GET|https|[::1]:443|/a|GET https://[::1]/a",
            "GET|https|[::1]:8443|/a|GET https://[::1]:8443/a",
            "GET|https|[2001:DB8::1]|/a|GET https://[2001:db8::1]/a",
            "GET|https|example.com||GET https://example.com/",             // empty path is "/"
            "GET|https|example.com|?q=1|GET https://example.com/?q=1",
            "GET|https|example.com|/a?q=1|GET https://example.com/a?q=1",
            "GET|https|example.com|/a?q=1&r=2|GET https://example.com/a?q=1&r=2",
            "GET|https|example.com|/a?r=2&q=1|GET https://example.com/a?r=2&q=1", // query order is significant
            "GET|https|example.com|/a?|GET https://example.com/a?",             // an empty query is kept distinct
            "GET|https|example.com|/a#frag|GET https://example.com/a",          // no fragment in a target
            "GET|https|example.com|/%7euser|GET https://example.com/~user",     // unreserved decoded
            "GET|https|example.com|/%7Euser|GET https://example.com/~user",
            "GET|https|example.com|/%41%62|GET https://example.com/Ab",
            "GET|https|example.com|/a%2db|GET https://example.com/a-b",
            "GET|https|example.com|/a%2fb|GET https://example.com/a%2Fb",        // reserved: hex upper-cased
            "GET|https|example.com|/a%2Fb|GET https://example.com/a%2Fb",
            "GET|https|example.com|/a%20b|GET https://example.com/a%20b",
            "GET|https|example.com|/%e2%82%ac|GET https://example.com/%E2%82%AC",
            "GET|https|example.com|/a%zz|GET https://example.com/a%zz",          // not an encoding: as is
            "GET|https|example.com|/a%2|GET https://example.com/a%2",
            "GET|https|example.com|/a?x=%7e&y=%2f|GET https://example.com/a?x=~&y=%2F",
            "GET|https|example.com|/a/./b|GET https://example.com/a/b",          // dot-segments (RFC 3986 §5.2.4)
            "GET|https|example.com|/a/../b|GET https://example.com/b",
            "GET|https|example.com|/../b|GET https://example.com/b",
            "GET|https|example.com|/a/b/..|GET https://example.com/a/",
            "GET|https|example.com|/a/b/.|GET https://example.com/a/b/",
            "GET|https|example.com|/a/%2e%2e/b|GET https://example.com/b",       // encoded dots decode first
            "GET|https|example.com|/a/.b|GET https://example.com/a/.b",
            "GET|https|example.com|/a/..b/c|GET https://example.com/a/..b/c",
            "GET|https|example.com|/a/b/../../..|GET https://example.com/",
            "GET|https|example.com|/a/?q=/../x|GET https://example.com/a/?q=/../x", // not in the query
            "GET|https|example.com|//a//b|GET https://example.com//a//b",        // empty segments are significant
    })
    void primary(String method, String scheme, String authority, String target, String key) {
        assertThat(CacheKey.primary(method, scheme, authority, target == null ? "" : target)).isEqualTo(key);
    }

    @ParameterizedTest(name = "[{index}] {0} ≡ {1}")
    @CsvSource(delimiter = '|', value = {
            "https|Example.COM:443|/%7Ea|https|example.com|/~a",
            "http|EXAMPLE.com:80|/a/./b|HTTP|example.com|/a/b",
    })
    void equivalentTargetsShareAKey(String s1, String a1, String t1, String s2, String a2, String t2) {
        assertThat(CacheKey.primary("GET", s1, a1, t1)).isEqualTo(CacheKey.primary("HEAD", s2, a2, t2));
    }

    @ParameterizedTest(name = "[{index}] {0}{1} ≢ {2}{3}")
    @CsvSource(delimiter = '|', value = {
            "http|example.com|https|example.com",
            "example.com|/a|example.com|/b",
            "a.example.com|/a|b.example.com|/a",
            "example.com:8080|/a|example.com:8081|/a",
    })
    void distinctTargetsDiffer(String a1, String t1, String a2, String t2) {
        String k1 = CacheKey.primary("GET", "https", a1.startsWith("http") ? "example.com" : a1,
                a1.startsWith("http") ? "/" : t1);
        String k2 = a1.startsWith("http") ? CacheKey.primary("GET", "http", "example.com", "/")
                : CacheKey.primary("GET", "https", a2, t2);
        assertThat(k1).isNotEqualTo(k2);
    }
}
