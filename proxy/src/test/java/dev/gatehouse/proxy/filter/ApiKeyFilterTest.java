package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** API keys checked against their SHA-256, and the key header kept from the backend. */
class ApiKeyFilterTest {

    private static String sha256(String key) {
        return HexFormat.of().formatHex(ApiKeyFilter.sha256(key));
    }

    private static final ApiKeyFilter DEFAULT_HEADER = new ApiKeyFilter(new FilterConfig.ApiKey(null, List.of(
            new FilterConfig.NamedKey("ci", sha256("key-one")),
            // Upper-case hex in the config is accepted too.
            new FilterConfig.NamedKey("ops", sha256("key-two").toUpperCase()))));

    private static int status(ApiKeyFilter f, Map<String, String> headers) {
        TestRequest request = TestRequest.get();
        headers.forEach(request::header);
        ProxyFilter.Rejection rejection = f.onRequest(request);
        return rejection == null ? 0 : rejection.status();
    }

    @Test
    void theSha256OfAKeyIsItsKnownDigest() {
        assertThat(sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void anyConfiguredKeyLetsTheRequestThrough() {
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", "key-one"))).isZero();
        assertThat(status(DEFAULT_HEADER, Map.of("x-api-key", "key-two"))).isZero();
    }

    @Test
    void aMissingWrongOrAlteredKeyIsUnauthorized() {
        assertThat(status(DEFAULT_HEADER, Map.of())).isEqualTo(401);
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", "key-three"))).isEqualTo(401);
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", "KEY-ONE"))).isEqualTo(401);
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", ""))).isEqualTo(401);
        // The right key in another header does not count.
        assertThat(status(DEFAULT_HEADER, Map.of("Authorization", "key-one"))).isEqualTo(401);
        // Whitespace is part of the key: no trimming turns a near miss into a match.
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", " key-one"))).isEqualTo(401);
        assertThat(status(DEFAULT_HEADER, Map.of("X-Api-Key", "key-one "))).isEqualTo(401);
    }

    @Test
    void onlyTheFirstValueOfARepeatedHeaderCounts() {
        TestRequest wrongFirst = TestRequest.withHeaders("X-Api-Key", "guess", "X-Api-Key", "key-one");
        assertThat(DEFAULT_HEADER.onRequest(wrongFirst)).isNotNull();
        TestRequest rightFirst = TestRequest.withHeaders("X-Api-Key", "key-one", "X-Api-Key", "guess");
        assertThat(DEFAULT_HEADER.onRequest(rightFirst)).isNull();
    }

    @Test
    void aConfiguredHeaderNameIsTheOnlyOneRead() {
        ApiKeyFilter f = new ApiKeyFilter(new FilterConfig.ApiKey("X-Token",
                List.of(new FilterConfig.NamedKey("ci", sha256("t")))));
        assertThat(status(f, Map.of("X-Token", "t"))).isZero();
        assertThat(status(f, Map.of("X-Api-Key", "t"))).isEqualTo(401);
    }

    @Test
    void noKeysConfiguredLetsNothingThrough() {
        ApiKeyFilter f = new ApiKeyFilter(new FilterConfig.ApiKey(null, List.of()));
        assertThat(status(f, Map.of("X-Api-Key", "anything"))).isEqualTo(401);
    }

    @Test
    void theKeyHeaderNeverGoesUpstream() {
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("x-api-key", "key-one").add("Accept", "*/*");
        DEFAULT_HEADER.onUpstreamRequest(TestRequest.withHeaders("X-Api-Key", "key-one"), upstream);
        assertThat(upstream.contains("X-Api-Key")).isFalse();
        assertThat(upstream.get("Accept")).isEqualTo("*/*");

        ApiKeyFilter custom = new ApiKeyFilter(new FilterConfig.ApiKey("X-Token", List.of()));
        MultiMap other = MultiMap.caseInsensitiveMultiMap().add("x-token", "t").add("X-Api-Key", "not ours");
        custom.onUpstreamRequest(TestRequest.get(), other);
        assertThat(other.contains("X-Token")).isFalse();
        assertThat(other.get("X-Api-Key")).as("only the configured header is removed").isEqualTo("not ours");
    }

    @Test
    void theRejectionIsAPlainUnauthorized() {
        ProxyFilter.Rejection rejection = DEFAULT_HEADER.onRequest(TestRequest.get());
        assertThat(rejection.status()).isEqualTo(401);
        assertThat(rejection.body()).isEqualTo("unauthorized\n");
    }
}
