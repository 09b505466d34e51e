package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** CORS preflights and response decoration, directly and through requests. */
class CorsFilterTest {

    static CorsFilter cors(List<String> origins, boolean credentials) {
        return new CorsFilter(new FilterConfig.Cors(origins, List.of("GET", "PUT"), List.of("Authorization", "X-Trace"),
                credentials, Duration.ofMinutes(5)));
    }

    @Test
    void preflightsAnswerForAllowedOriginsMethodsAndHeadersOnly() {
        CorsFilter f = cors(List.of("https://app.example.com"), true);
        ProxyFilter.Rejection ok = f.preflight("https://app.example.com", "PUT", "authorization, x-trace, content-type");
        assertThat(ok.status()).isEqualTo(204);
        assertThat(ok.headers().get("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(ok.headers().get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(ok.headers().get("Access-Control-Allow-Methods")).isEqualTo("GET, PUT");
        assertThat(ok.headers().get("Access-Control-Allow-Headers")).isEqualTo("Authorization, X-Trace");
        assertThat(ok.headers().get("Access-Control-Max-Age")).isEqualTo("300");
        assertThat(ok.headers().get("Vary")).contains("Origin");

        for (ProxyFilter.Rejection no : List.of(
                f.preflight("https://evil.example", "PUT", null),
                f.preflight("https://app.example.com.evil.example", "GET", null),
                f.preflight("null", "GET", null),
                f.preflight("https://app.example.com", "DELETE", null),
                f.preflight("https://app.example.com", "put", null),
                f.preflight("https://app.example.com", "GET", "X-Admin"))) {
            assertThat(no.status()).isEqualTo(403);
            assertThat(no.headers().get("Access-Control-Allow-Origin")).isNull();
            assertThat(no.headers().get("Vary")).contains("Origin");
        }
        // Not a preflight: an OPTIONS for the backend.
        assertThat(f.preflight(null, "GET", null)).isNull();
        assertThat(f.preflight("https://app.example.com", null, null)).isNull();
    }

    @Test
    void responsesEchoOnlyAllowedOriginsAndAlwaysVaryByOrigin() {
        CorsFilter f = cors(List.of("https://app.example.com"), true);
        MultiMap allowed = MultiMap.caseInsensitiveMultiMap().add("Vary", "Accept-Encoding");
        f.decorate("https://app.example.com", allowed);
        assertThat(allowed.get("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(allowed.get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(allowed.getAll("Vary")).containsExactly("Accept-Encoding", "Origin");

        // The backend's own wildcard or echo never reaches a disallowed origin.
        MultiMap other = MultiMap.caseInsensitiveMultiMap().add("Access-Control-Allow-Origin", "*")
                .add("Access-Control-Allow-Credentials", "true").add("Vary", "origin");
        f.decorate("https://evil.example", other);
        assertThat(other.get("Access-Control-Allow-Origin")).isNull();
        assertThat(other.get("Access-Control-Allow-Credentials")).isNull();
        assertThat(other.getAll("Vary")).containsExactly("origin");

        MultiMap none = MultiMap.caseInsensitiveMultiMap();
        f.decorate(null, none);
        assertThat(none.get("Access-Control-Allow-Origin")).isNull();
        assertThat(none.get("Vary")).isEqualTo("Origin");
    }

    @Test
    void anyOriginWithoutCredentialsAnswersAWildcard() {
        CorsFilter f = cors(List.of("*"), false);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        f.decorate("https://anyone.example", out);
        assertThat(out.get("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(out.get("Access-Control-Allow-Credentials")).isNull();
        assertThat(f.preflight("https://anyone.example", "GET", null).headers().get("Access-Control-Allow-Origin"))
                .isEqualTo("*");
    }

    static TestRequest preflight(String origin, String method, String requestHeaders) {
        TestRequest r = TestRequest.get().method(HttpMethod.OPTIONS).path("/api/items");
        if (origin != null) {
            r.header("Origin", origin);
        }
        if (method != null) {
            r.header("Access-Control-Request-Method", method);
        }
        if (requestHeaders != null) {
            r.header("Access-Control-Request-Headers", requestHeaders);
        }
        return r;
    }

    @Test
    void aPreflightRequestIsAnsweredByTheFilterItself() {
        CorsFilter f = cors(List.of("https://a.example", "https://b.example"), false);
        ProxyFilter.Rejection ok = f.onRequest(preflight("https://b.example", "GET", "X-Trace"));
        assertThat(ok.status()).isEqualTo(204);
        assertThat(ok.body()).isEmpty();
        assertThat(ok.headers().get("Access-Control-Allow-Origin")).isEqualTo("https://b.example");
        assertThat(ok.headers().get("Access-Control-Allow-Credentials")).as("credentials off").isNull();
        assertThat(ok.headers().get("Vary"))
                .isEqualTo("Origin, Access-Control-Request-Method, Access-Control-Request-Headers");

        ProxyFilter.Rejection no = f.onRequest(preflight("https://c.example", "GET", null));
        assertThat(no.status()).isEqualTo(403);
        assertThat(no.body()).isEqualTo("CORS request not allowed\n");
        assertThat(no.headers().names()).containsExactly("Vary");
    }

    @Test
    void onlyAnOptionsWithOriginAndRequestMethodIsAPreflight() {
        CorsFilter f = cors(List.of("https://a.example"), false);
        // Other methods carrying the same headers go to the backend.
        for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE)) {
            assertThat(f.onRequest(preflight("https://a.example", "PUT", null).method(m))).as(m.name()).isNull();
            assertThat(f.onRequest(preflight("https://evil.example", "PUT", null).method(m))).as(m.name()).isNull();
        }
        // Ordinary OPTIONS requests go to the backend too.
        assertThat(f.onRequest(preflight(null, null, null))).isNull();
        assertThat(f.onRequest(preflight("https://a.example", null, null))).isNull();
        assertThat(f.onRequest(preflight(null, "GET", null))).isNull();
        assertThat(f.onRequest(preflight("https://evil.example", null, null))).isNull();
    }

    @Test
    void requestedHeadersAreMatchedIgnoringCaseAndSafelistedOnesAreAlwaysAllowed() {
        CorsFilter f = cors(List.of("https://a.example"), false);
        assertThat(f.preflight("https://a.example", "GET", "AUTHORIZATION,x-trace").status()).isEqualTo(204);
        assertThat(f.preflight("https://a.example", "GET", " x-trace , , authorization ").status()).isEqualTo(204);
        assertThat(f.preflight("https://a.example", "GET", "").status()).isEqualTo(204);
        assertThat(f.preflight("https://a.example", "GET", "x-trace, x-admin").status()).isEqualTo(403);
        // The method is matched exactly (methods are case-sensitive), surrounding space aside.
        assertThat(f.preflight("https://a.example", " PUT ", null).status()).isEqualTo(204);

        CorsFilter none = new CorsFilter(new FilterConfig.Cors(List.of("https://a.example"), null, null, null, null));
        ProxyFilter.Rejection safelisted = none.preflight("https://a.example", "POST",
                "Accept, Accept-Language, Content-Language, Content-Type, Range");
        assertThat(safelisted.status()).isEqualTo(204);
        assertThat(safelisted.headers().contains("Access-Control-Allow-Headers")).as("none configured").isFalse();
        assertThat(safelisted.headers().get("Access-Control-Allow-Methods")).isEqualTo("GET, HEAD, POST");
        assertThat(safelisted.headers().get("Access-Control-Max-Age")).as("the default, ten minutes").isEqualTo("600");
        assertThat(none.preflight("https://a.example", "POST", "Authorization").status()).isEqualTo(403);
        assertThat(none.preflight("https://a.example", "PUT", null).status()).isEqualTo(403);
    }

    @Test
    void originsAreComparedExactly() {
        CorsFilter f = cors(List.of("https://app.example.com"), false);
        for (String origin : List.of("https://APP.example.com", "http://app.example.com", "https://app.example.com:443",
                "https://app.example.com/", " https://app.example.com", "https://app.example.co")) {
            assertThat(f.preflight(origin, "GET", null).status()).as(origin).isEqualTo(403);
            MultiMap out = MultiMap.caseInsensitiveMultiMap();
            f.decorate(origin, out);
            assertThat(out.get("Access-Control-Allow-Origin")).as(origin).isNull();
        }
    }

    @Test
    void responsesAreDecoratedThroughTheRequestsOrigin() {
        CorsFilter f = cors(List.of("https://a.example"), false);
        MultiMap out = MultiMap.caseInsensitiveMultiMap().add("Access-Control-Allow-Origin", "https://backend-set.example")
                .add("Access-Control-Allow-Credentials", "true");
        f.onResponse(TestRequest.withHeaders("Origin", "https://a.example"), out);
        assertThat(out.getAll("Access-Control-Allow-Origin")).containsExactly("https://a.example");
        assertThat(out.get("Access-Control-Allow-Credentials")).as("credentials off: the backend's is dropped").isNull();
        assertThat(out.getAll("Vary")).containsExactly("Origin");

        MultiMap noOrigin = MultiMap.caseInsensitiveMultiMap().add("Access-Control-Allow-Origin", "*");
        f.onResponse(TestRequest.get(), noOrigin);
        assertThat(noOrigin.contains("Access-Control-Allow-Origin")).isFalse();
        assertThat(noOrigin.getAll("Vary")).containsExactly("Origin");
    }

    @Test
    void varyIsAddedOnceAndNeverNextToAWildcard() {
        CorsFilter f = cors(List.of("https://a.example"), true);
        MultiMap listed = MultiMap.caseInsensitiveMultiMap().add("Vary", "Accept-Encoding, ORIGIN");
        f.decorate("https://a.example", listed);
        assertThat(listed.getAll("Vary")).containsExactly("Accept-Encoding, ORIGIN");
        MultiMap star = MultiMap.caseInsensitiveMultiMap().add("Vary", "*");
        f.decorate("https://a.example", star);
        assertThat(star.getAll("Vary")).containsExactly("*");
        MultiMap twice = MultiMap.caseInsensitiveMultiMap();
        f.decorate("https://a.example", twice);
        f.decorate("https://a.example", twice);
        assertThat(twice.getAll("Vary")).containsExactly("Origin");
    }

    @Test
    void aWildcardAnswersTheSameToEveryOriginSoItNeedsNoVaryOnResponses() {
        CorsFilter f = cors(List.of("*"), false);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        f.onResponse(TestRequest.withHeaders("Origin", "https://x.example"), out);
        assertThat(out.get("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(out.contains("Vary")).isFalse();
        MultiMap none = MultiMap.caseInsensitiveMultiMap();
        f.onResponse(TestRequest.get(), none);
        assertThat(none.isEmpty()).as("no Origin, nothing to say").isTrue();
        // A preflight's answer still depends on the requested method and headers.
        ProxyFilter.Rejection p = f.onRequest(preflight("https://x.example", "DELETE", null));
        assertThat(p.status()).isEqualTo(403);
        assertThat(p.headers().get("Vary")).contains("Access-Control-Request-Method");
    }

    @Test
    void aWildcardWithCredentialsEchoesTheOriginInsteadOfAStar() {
        // The validator refuses this combination; the filter still never pairs "*" with credentials.
        CorsFilter f = cors(List.of("*"), true);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        f.decorate("https://x.example", out);
        assertThat(out.get("Access-Control-Allow-Origin")).isEqualTo("https://x.example");
        assertThat(out.get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(out.getAll("Vary")).containsExactly("Origin");
        ProxyFilter.Rejection p = f.preflight("https://x.example", "GET", null);
        assertThat(p.headers().get("Access-Control-Allow-Origin")).isEqualTo("https://x.example");
        assertThat(p.headers().get("Access-Control-Allow-Credentials")).isEqualTo("true");
    }
}
