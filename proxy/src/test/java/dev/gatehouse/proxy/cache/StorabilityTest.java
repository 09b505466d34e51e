package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.cache.Storability.Reason;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111 §3 (storing responses), §3.5 (Authorization), §4.1 (Vary: *), RFC 9110 §15.1 (heuristic statuses). */
class StorabilityTest {

    private static Storability.Decision decide(boolean setCookie, String method, String request, int status,
            String response) {
        MultiMap req = H.parse(request);
        MultiMap res = H.parse(response);
        return new Storability(setCookie).decide(method, req, status, res, CacheControl.request(req),
                CacheControl.response(res));
    }

    /** Each §3 condition, in the order the section lists them. Headers: "Name: value ^ Name: value". */
    @ParameterizedTest(name = "[{index}] {0} → {1} [{3}] → {4}")
    @CsvSource(delimiter = '|', value = {
            // method: only GET stores; HEAD only updates a stored GET (§4.3.5); POST/PUT/... not here
            "GET||200|Cache-Control: max-age=60|STORABLE",
            "HEAD||200|Cache-Control: max-age=60|METHOD",
            "POST||200|Cache-Control: max-age=60|METHOD",
            "PUT||200|Cache-Control: max-age=60|METHOD",
            "DELETE||200|Cache-Control: max-age=60|METHOD",
            "OPTIONS||200|Cache-Control: max-age=60|METHOD",
            "get||200|Cache-Control: max-age=60|METHOD",        // methods are case-sensitive (RFC 9110 §9.1)
            // final status only
            "GET||100|Cache-Control: max-age=60|NOT_FINAL",
            "GET||103|Cache-Control: max-age=60|NOT_FINAL",
            // partial content and 304 are never stored as such
            "GET||206|Cache-Control: max-age=60|PARTIAL",
            "GET||304|Cache-Control: max-age=60|NOT_MODIFIED",
            // §5.2.1.5 request no-store
            "GET|Cache-Control: no-store|200|Cache-Control: max-age=60|REQUEST_NO_STORE",
            "GET|Cache-Control: max-age=0, no-store|200|Cache-Control: public|REQUEST_NO_STORE",
            "GET|Cache-Control: no-cache|200|Cache-Control: max-age=60|STORABLE",   // no-cache allows storing
            // §5.2.2.5 response no-store
            "GET||200|Cache-Control: no-store|NO_STORE",
            "GET||200|Cache-Control: max-age=60, no-store|NO_STORE",
            "GET||200|Cache-Control: public, no-store|NO_STORE",
            "GET||200|Cache-Control: max-age=60 ^ Cache-Control: no-store|NO_STORE",
            "GET||200|Cache-Control: NO-STORE|NO_STORE",
            // §5.2.2.3 must-understand: no-store ignored for understood statuses, refusal for others
            "GET||200|Cache-Control: must-understand, no-store, max-age=60|STORABLE",
            "GET||301|Cache-Control: must-understand, no-store, max-age=60|STORABLE",
            "GET||404|Cache-Control: must-understand, no-store|STORABLE",
            "GET||299|Cache-Control: must-understand, no-store, max-age=60|MUST_UNDERSTAND",
            "GET||418|Cache-Control: must-understand, max-age=60|MUST_UNDERSTAND",
            "GET||599|Cache-Control: must-understand, max-age=60|MUST_UNDERSTAND",
            // §5.2.2.7 private: a shared cache does not store
            "GET||200|Cache-Control: private|PRIVATE",
            "GET||200|Cache-Control: private, max-age=60|PRIVATE",
            "GET||200|Cache-Control: public, private|PRIVATE",
            "GET||200|Cache-Control: s-maxage=60, private|PRIVATE",
            "GET||200|Cache-Control: private=\"set-cookie\", max-age=60|STORABLE",  // qualified: stored, stripped
            // §3.5 Authorization: only with public, s-maxage or must-revalidate
            "GET|Authorization: Basic eDp5|200|Cache-Control: max-age=60|AUTHORIZATION",
            "GET|Authorization: Basic eDp5|200||AUTHORIZATION",
            "GET|Authorization: Bearer t|200|Expires: Thu, 01 Jan 2099 00:00:00 GMT|AUTHORIZATION",
            "GET|Authorization: Basic eDp5|200|Cache-Control: public|STORABLE",
            "GET|Authorization: Basic eDp5|200|Cache-Control: s-maxage=60|STORABLE",
            "GET|Authorization: Basic eDp5|200|Cache-Control: must-revalidate, max-age=60|STORABLE",
            "GET|Authorization: Basic eDp5|200|Cache-Control: proxy-revalidate, max-age=60|AUTHORIZATION",
            "GET|Authorization: Basic eDp5|200|CDN-Cache-Control: public|STORABLE",
            "GET|Proxy-Authorization: Basic eDp5|200|Cache-Control: max-age=60|STORABLE", // not the origin's auth
            // Set-Cookie not stored by default
            "GET||200|Cache-Control: max-age=60 ^ Set-Cookie: id=1|SET_COOKIE",
            "GET||200|Cache-Control: public ^ set-cookie: id=1|SET_COOKIE",
            "GET||200|Cache-Control: max-age=60 ^ Set-Cookie2: id=1|STORABLE",
            // §4.1 Vary: * never matches a later request
            "GET||200|Cache-Control: max-age=60 ^ Vary: *|VARY_STAR",
            "GET||200|Cache-Control: max-age=60 ^ Vary: accept, *|VARY_STAR",
            "GET||200|Cache-Control: max-age=60 ^ Vary: accept ^ Vary: *|VARY_STAR",
            "GET||200|Cache-Control: max-age=60 ^ Vary: accept-encoding|STORABLE",
            // §3: explicit freshness, public, or a heuristically cacheable status
            "GET||200||STORABLE",
            "GET||203||STORABLE",
            "GET||204||STORABLE",
            "GET||300||STORABLE",
            "GET||301||STORABLE",
            "GET||308||STORABLE",
            "GET||404||STORABLE",
            "GET||405||STORABLE",
            "GET||410||STORABLE",
            "GET||414||STORABLE",
            "GET||501||STORABLE",
            "GET||201||NOT_EXPLICITLY_CACHEABLE",
            "GET||202||NOT_EXPLICITLY_CACHEABLE",
            "GET||302||NOT_EXPLICITLY_CACHEABLE",
            "GET||303||NOT_EXPLICITLY_CACHEABLE",
            "GET||307||NOT_EXPLICITLY_CACHEABLE",
            "GET||400||NOT_EXPLICITLY_CACHEABLE",
            "GET||403||NOT_EXPLICITLY_CACHEABLE",
            "GET||500||NOT_EXPLICITLY_CACHEABLE",
            "GET||502||NOT_EXPLICITLY_CACHEABLE",
            "GET||503||NOT_EXPLICITLY_CACHEABLE",
            "GET||302|Cache-Control: max-age=60|STORABLE",
            "GET||307|Cache-Control: s-maxage=60|STORABLE",
            "GET||500|Cache-Control: max-age=10|STORABLE",
            "GET||503|Expires: Thu, 01 Jan 2099 00:00:00 GMT|STORABLE",
            "GET||302|Expires: 0|STORABLE",                     // invalid Expires: explicit, already stale (§5.3)
            "GET||302|Cache-Control: public|STORABLE",
            "GET||299|Cache-Control: max-age=60|STORABLE",        // unknown status with explicit freshness
            "GET||302|Cache-Control: no-cache|NOT_EXPLICITLY_CACHEABLE",
            "GET||302|Cache-Control: stale-while-revalidate=60|NOT_EXPLICITLY_CACHEABLE",
            "GET||302|Cache-Control: max-age=0|STORABLE",
            // RFC 9213: a targeted field replaces Cache-Control and Expires for this cache
            "GET||200|CDN-Cache-Control: no-store ^ Cache-Control: max-age=60|NO_STORE",
            "GET||200|Gatehouse-Cache-Control: private ^ Cache-Control: public|PRIVATE",
            "GET||200|CDN-Cache-Control: max-age=60 ^ Cache-Control: no-store|STORABLE",
            "GET||200|Gatehouse-Cache-Control: max-age=60 ^ CDN-Cache-Control: no-store|STORABLE",
            "GET||302|CDN-Cache-Control: stale-if-error=60 ^ Expires: Thu, 01 Jan 2099 00:00:00 GMT|NOT_EXPLICITLY_CACHEABLE",
            "GET||302|CDN-Cache-Control: max-age=60,, ^ Cache-Control: no-store|NO_STORE", // invalid: falls back
    })
    void storable(String method, String request, int status, String response, Reason expected) {
        Storability.Decision d = decide(false, method, request, status, response);
        assertThat(d.reason()).isEqualTo(expected);
        assertThat(d.storable()).isEqualTo(expected == Reason.STORABLE);
    }

    /** The Set-Cookie flag: stores the response when configured so; nothing else changes. */
    @ParameterizedTest(name = "[{index}] storeSetCookie=true, {0}")
    @CsvSource(delimiter = '|', value = {
            "Cache-Control: max-age=60 ^ Set-Cookie: id=1|STORABLE",
            "Cache-Control: private ^ Set-Cookie: id=1|PRIVATE",
            "Cache-Control: no-store ^ Set-Cookie: id=1|NO_STORE",
    })
    void setCookieFlag(String response, Reason expected) {
        assertThat(decide(true, "GET", "", 200, response).reason()).isEqualTo(expected);
    }

    /** §5.2.2.7: a qualified private names fields that a shared cache must not store. */
    @Test
    void qualifiedPrivateFieldsAreStripped() {
        Storability.Decision d = decide(false, "GET", "", 200,
                "Cache-Control: private=\"X-User, X-Token\", max-age=60 ^ X-User: alice ^ X-Token: t ^ X-Other: o");
        assertThat(d.stripFields()).containsExactlyInAnyOrder("x-user", "x-token");
        MultiMap stored = Validators.storedHeaders(H.parse(
                "Cache-Control: private=\"X-User, X-Token\", max-age=60 ^ X-User: alice ^ X-Token: t ^ X-Other: o"),
                d.stripFields());
        assertThat(stored.names()).containsExactlyInAnyOrder("Cache-Control", "X-Other");
    }

    /** RFC 9110 §15.1: exactly these statuses are heuristically cacheable. */
    @ParameterizedTest
    @ValueSource(ints = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
    void heuristicallyCacheable(int status) {
        assertThat(Storability.HEURISTICALLY_CACHEABLE).contains(status);
    }

    @ParameterizedTest
    @ValueSource(ints = {201, 202, 205, 302, 303, 304, 307, 400, 401, 403, 409, 429, 500, 502, 503, 504})
    void notHeuristicallyCacheable(int status) {
        assertThat(Storability.HEURISTICALLY_CACHEABLE).doesNotContain(status);
    }
}
