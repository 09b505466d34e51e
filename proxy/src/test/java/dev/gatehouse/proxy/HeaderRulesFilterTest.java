package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Header rules directly on header maps: they read nothing of the exchange. */
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
        filter.onUpstreamRequest(null, h);
        // Removal ignores case; set replaces every earlier value with one.
        assertThat(h.contains("Cookie")).isFalse();
        assertThat(h.contains("X-Debug")).isFalse();
        assertThat(h.getAll("X-Env")).containsExactly("prod");
        assertThat(h.get("Accept")).isEqualTo("*/*");
    }

    @Test
    void responseRulesApplyOnlyOnTheWayBack() {
        MultiMap up = headers("Server", "backend/1.0");
        filter.onUpstreamRequest(null, up);
        assertThat(up.get("Server")).isEqualTo("backend/1.0");
        assertThat(up.contains("Strict-Transport-Security")).isFalse();

        MultiMap down = headers("server", "backend/1.0", "Cookie", "kept");
        filter.onResponse(null, down);
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
        f.onUpstreamRequest(null, h);
        assertThat(h.getAll("x-forwarded-user")).containsExactly("anonymous");

        MultiMap down = headers("A", "1");
        f.onResponse(null, down);
        assertThat(down.names()).containsExactly("A");
    }
}
