package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Header rules directly on header maps: they read nothing of the request. */
class HeaderRulesFilterTest {

    private static MultiMap headers(String... pairs) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < pairs.length; i += 2) {
            h.add(pairs[i], pairs[i + 1]);
        }
        return h;
    }

    private final HeaderRulesFilter filter = new HeaderRulesFilter(new FilterConfig.Headers(
            new FilterConfig.HeaderRules(Map.of("X-Env", "prod"), List.of("Cookie", "x-debug")),
            new FilterConfig.HeaderRules(Map.of("Strict-Transport-Security", "max-age=60"), List.of("Server"))));

    @Test
    void requestRulesRemoveThenSetOnTheWayUpstream() {
        MultiMap h = headers("cookie", "a=1", "X-Debug", "1", "X-Env", "dev", "x-env", "test", "Accept", "*/*");
        filter.onUpstreamRequest(TestRequest.get(), h);
        // Removal ignores case; set replaces every earlier value with one.
        assertThat(h.contains("Cookie")).isFalse();
        assertThat(h.contains("X-Debug")).isFalse();
        assertThat(h.getAll("X-Env")).containsExactly("prod");
        assertThat(h.get("Accept")).isEqualTo("*/*");
    }

    @Test
    void responseRulesApplyOnlyOnTheWayBack() {
        MultiMap up = headers("Server", "backend/1.0");
        filter.onUpstreamRequest(TestRequest.get(), up);
        assertThat(up.get("Server")).isEqualTo("backend/1.0");
        assertThat(up.contains("Strict-Transport-Security")).isFalse();

        MultiMap down = headers("server", "backend/1.0", "Cookie", "kept");
        filter.onResponse(TestRequest.get(), down);
        assertThat(down.contains("Server")).isFalse();
        assertThat(down.get("Strict-Transport-Security")).isEqualTo("max-age=60");
        assertThat(down.get("Cookie")).as("request rules do not touch responses").isEqualTo("kept");
        assertThat(down.contains("X-Env")).isFalse();
    }

    @Test
    void aHeaderBothRemovedAndSetEndsUpSet() {
        HeaderRulesFilter f = new HeaderRulesFilter(new FilterConfig.Headers(
                new FilterConfig.HeaderRules(Map.of("X-Forwarded-User", "anonymous"), List.of("X-Forwarded-User")),
                null));
        MultiMap h = headers("X-Forwarded-User", "admin", "X-Forwarded-User", "root");
        f.onUpstreamRequest(TestRequest.get(), h);
        assertThat(h.getAll("x-forwarded-user")).containsExactly("anonymous");

        MultiMap down = headers("A", "1");
        f.onResponse(TestRequest.get(), down);
        assertThat(down.names()).containsExactly("A");
    }

    @Test
    void aResponseRuleReplacesTheBackendsValueAndLetsRequestsThrough() {
        MultiMap down = headers("Strict-Transport-Security", "max-age=0", "strict-transport-security", "max-age=1");
        filter.onResponse(TestRequest.get(), down);
        assertThat(down.getAll("Strict-Transport-Security")).containsExactly("max-age=60");
        // Header rules never answer a request themselves.
        assertThat(filter.onRequest(TestRequest.get())).isNull();
        assertThat(filter.async()).isFalse();
    }

    @Test
    void noRulesChangeNothing() {
        HeaderRulesFilter f = new HeaderRulesFilter(new FilterConfig.Headers(null, null));
        MultiMap up = headers("Cookie", "a=1", "X-Env", "dev");
        f.onUpstreamRequest(TestRequest.get(), up);
        assertThat(up.size()).isEqualTo(2);
        MultiMap down = headers("Server", "b");
        f.onResponse(TestRequest.get(), down);
        assertThat(down.get("Server")).isEqualTo("b");
    }
}
