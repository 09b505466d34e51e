package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** CORS preflights and response decoration directly. */
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
}
