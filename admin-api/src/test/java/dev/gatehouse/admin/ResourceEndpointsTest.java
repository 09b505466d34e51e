package dev.gatehouse.admin;

import dev.gatehouse.config.BackendConfig;
import dev.gatehouse.config.PoolConfig;
import dev.gatehouse.config.RouteCacheConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static dev.gatehouse.admin.AdminHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class ResourceEndpointsTest {

    private AdminHarness h;

    @BeforeEach
    void start(Vertx vertx) {
        h = AdminHarness.start(vertx);
    }

    private static JsonArray paths(HttpResponse<Buffer> r) {
        return new JsonArray(json(r).getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("path"))
                .toList());
    }

    // ---- routes -----------------------------------------------------------------------------------------

    @Test
    void listsAndGetsRoutes() {
        HttpResponse<Buffer> list = h.get("/api/v1/routes");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.getHeader("ETag")).isEqualTo("\"1\"");
        assertThat(list.bodyAsJsonArray().stream().map(r -> ((JsonObject) r).getString("name")))
                .containsExactly("api", "web");

        HttpResponse<Buffer> one = h.get("/api/v1/routes/api");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one).getJsonObject("match").getString("path-prefix")).isEqualTo("/api/");
        assertThat(h.get("/api/v1/routes/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void putCreatesARouteLastThenReplacesItInPlace() {
        HttpResponse<Buffer> created = h.write(HttpMethod.PUT, "/api/v1/routes/admin",
                "{\"match\": {\"path-prefix\": \"/admin/\"}, \"pool\": \"web\", \"timeout\": \"5s\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.getHeader("Location")).isEqualTo("/api/v1/routes/admin");
        assertThat(json(created).getLong("version")).isEqualTo(2);
        assertThat(created.getHeader("ETag")).isEqualTo("\"2\"");
        assertThat(h.fakes.config.current().config().routes().get(2).name()).isEqualTo("admin");

        HttpResponse<Buffer> replaced = h.write(HttpMethod.PUT, "/api/v1/routes/api",
                "{\"name\": \"api\", \"match\": {\"path-prefix\": \"/v2/\"}, \"pool\": \"web\"}");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(json(replaced).getLong("version")).isEqualTo(3);
        var routes = h.fakes.config.current().config().routes();
        assertThat(routes.get(0).name()).isEqualTo("api");
        assertThat(routes.get(0).pool()).isEqualTo("web");
        assertThat(routes.get(0).match().pathPrefix()).isEqualTo("/v2/");
    }

    @Test
    void putRouteToAnUnknownPoolIs400WithAPathIntoTheWholeConfig() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/api",
                "{\"pool\": \"nope\", \"match\": {\"path-prefix\": \"/api/\"}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(paths(r)).containsExactly("routes[0].pool");
        HttpResponse<Buffer> added = h.write(HttpMethod.PUT, "/api/v1/routes/new",
                "{\"pool\": \"nope\", \"match\": {\"path-prefix\": \"no-slash\"}, \"retries\": {\"attempts\": \"x\"}}");
        assertThat(added.statusCode()).isEqualTo(400);
        assertThat(paths(added)).containsExactly("routes[2].retries.attempts");
        HttpResponse<Buffer> semantic = h.write(HttpMethod.PUT, "/api/v1/routes/new",
                "{\"pool\": \"nope\", \"match\": {\"path-prefix\": \"no-slash\"}}");
        assertThat(paths(semantic)).containsExactlyInAnyOrder("routes[2].pool", "routes[2].match.path-prefix");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void aRouteCanAskForTheCacheAndItsValuesAreValidated() {
        HttpResponse<Buffer> bad = h.write(HttpMethod.PUT, "/api/v1/routes/api", "{\"pool\": \"web\", \"match\": "
                + "{\"path-prefix\": \"/api/\"}, \"cache\": {\"enabled\": true, \"default-ttl\": \"400d\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(paths(bad)).containsExactly("routes[0].cache.default-ttl");
        assertThat(h.version()).isEqualTo(1);

        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/api", "{\"pool\": \"web\", \"match\": "
                + "{\"path-prefix\": \"/api/\"}, \"cache\": {\"enabled\": true, \"default-ttl\": \"5m\", "
                + "\"store-set-cookie\": false, \"strip-cdn-cache-control\": true}}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.version()).isEqualTo(2);
        assertThat(h.fakes.config.current().config().route("api").orElseThrow().cache())
                .isEqualTo(new RouteCacheConfig(true, Duration.ofMinutes(5), false, true));
        JsonObject route = json(h.get("/api/v1/routes/api"));
        assertThat(route.getJsonObject("cache").getString("default-ttl")).isEqualTo("5m");
        assertThat(route.getJsonObject("cache").getBoolean("strip-cdn-cache-control")).isTrue();
    }

    @Test
    void positionPlacesARouteAndACatchAllLastIsFine() {
        HttpResponse<Buffer> first = h.write(HttpMethod.PUT, "/api/v1/routes/health?position=0",
                "{\"match\": {\"path-exact\": \"/health\"}, \"pool\": \"web\"}");
        assertThat(first.statusCode()).isEqualTo(201);
        HttpResponse<Buffer> moved = h.write(HttpMethod.PUT, "/api/v1/routes/api?position=2",
                "{\"match\": {\"path-prefix\": \"/api/\"}, \"pool\": \"api\"}");
        assertThat(moved.statusCode()).isEqualTo(200);
        HttpResponse<Buffer> catchAll = h.write(HttpMethod.PUT, "/api/v1/routes/default", "{\"pool\": \"web\"}");
        assertThat(catchAll.statusCode()).isEqualTo(201);
        assertThat(h.fakes.config.current().config().routes().stream().map(r -> r.name()))
                .containsExactly("health", "web", "api", "default");
        HttpResponse<Buffer> shadowed = h.write(HttpMethod.PUT, "/api/v1/routes/late",
                "{\"match\": {\"path-prefix\": \"/late/\"}, \"pool\": \"web\"}");
        assertThat(shadowed.statusCode()).isEqualTo(400);
        assertThat(paths(shadowed)).containsExactly("routes[4].match");
        assertThat(h.write(HttpMethod.PUT, "/api/v1/routes/late?position=9", "{\"pool\": \"web\"}").statusCode())
                .isEqualTo(400);
        assertThat(h.version()).isEqualTo(4);
    }

    @Test
    void putRouteWithAnotherNameInTheBodyIs400() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/routes/api",
                "{\"name\": \"other\", \"pool\": \"api\", \"match\": {\"path-prefix\": \"/api/\"}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(paths(r)).containsExactly("routes[0].name");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void deletesARouteAnd404sAMissingOne() {
        HttpResponse<Buffer> r = h.write(HttpMethod.DELETE, "/api/v1/routes/web", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).getLong("version")).isEqualTo(2);
        assertThat(h.fakes.config.current().config().route("web")).isEmpty();
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/routes/web", null).statusCode()).isEqualTo(404);
        assertThat(h.version()).isEqualTo(2);
    }

    @Test
    void ifMatchIsHonouredOnResourceWrites() {
        HttpResponse<Buffer> stale = h.write(HttpMethod.DELETE, "/api/v1/routes/web", null, "If-Match", "\"7\"");
        assertThat(stale.statusCode()).isEqualTo(412);
        HttpResponse<Buffer> ok = h.write(HttpMethod.DELETE, "/api/v1/routes/web", null, "If-Match", "\"1\"");
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    // ---- pools ------------------------------------------------------------------------------------------

    @Test
    void listsGetsCreatesAndReplacesPools() {
        assertThat(h.get("/api/v1/pools").bodyAsJsonArray()).hasSize(2);
        HttpResponse<Buffer> one = h.get("/api/v1/pools/api");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one).getString("balancer")).isEqualTo("round-robin");
        assertThat(h.get("/api/v1/pools/nope").statusCode()).isEqualTo(404);

        HttpResponse<Buffer> created = h.write(HttpMethod.PUT, "/api/v1/pools/static",
                "{\"balancer\": \"least-request\", \"backends\": [{\"url\": \"http://127.0.0.1:9201\"}]}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(h.fakes.config.current().config().pool("static").orElseThrow().balancer())
                .isEqualTo(PoolConfig.Balancer.LEAST_REQUEST);

        HttpResponse<Buffer> replaced = h.write(HttpMethod.PUT, "/api/v1/pools/static",
                "{\"name\": \"static\", \"backends\": [{\"url\": \"http://127.0.0.1:9202\", \"weight\": 3}]}");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(h.fakes.config.current().config().pool("static").orElseThrow().backends())
                .containsExactly(new BackendConfig("http://127.0.0.1:9202", 3, false));
        assertThat(h.version()).isEqualTo(3);
    }

    @Test
    void putAnInvalidPoolIs400() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/pools/web", "{\"backends\": []}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(paths(r)).containsExactly("pools[1].backends");
        HttpResponse<Buffer> typo = h.write(HttpMethod.PUT, "/api/v1/pools/web",
                "{\"balancr\": \"random\", \"backends\": [{\"url\": \"http://127.0.0.1:1\"}]}");
        assertThat(paths(typo)).containsExactly("pools[1].balancr");
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void deletingAPoolStillUsedByARouteIs409NamingTheRoutes() {
        HttpResponse<Buffer> r = h.write(HttpMethod.DELETE, "/api/v1/pools/api", null);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(json(r).getString("detail")).contains("route api");
        assertThat(paths(r)).containsExactly("routes[0].pool");
        assertThat(h.version()).isEqualTo(1);

        assertThat(h.write(HttpMethod.DELETE, "/api/v1/routes/api", null).statusCode()).isEqualTo(200);
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/pools/api", null).statusCode()).isEqualTo(200);
        assertThat(h.fakes.config.current().config().pool("api")).isEmpty();
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/pools/api", null).statusCode()).isEqualTo(404);
    }

    // ---- backends ---------------------------------------------------------------------------------------

    @Test
    void listsAndGetsBackends() {
        HttpResponse<Buffer> list = h.get("/api/v1/pools/api/backends");
        assertThat(list.statusCode()).isEqualTo(200);
        JsonObject first = list.bodyAsJsonArray().getJsonObject(0);
        assertThat(first.getString("id")).isEqualTo("127.0.0.1:9001");
        assertThat(first.getString("url")).isEqualTo("http://127.0.0.1:9001");
        assertThat(first.getInteger("weight")).isEqualTo(1);
        assertThat(first.getBoolean("draining")).isFalse();
        assertThat(h.get("/api/v1/pools/api/backends/127.0.0.1:9002").statusCode()).isEqualTo(200);
        assertThat(h.get("/api/v1/pools/api/backends/127.0.0.1:1").statusCode()).isEqualTo(404);
        assertThat(h.get("/api/v1/pools/nope/backends").statusCode()).isEqualTo(404);
    }

    @Test
    void putAddsThenChangesABackend() {
        HttpResponse<Buffer> added = h.write(HttpMethod.PUT, "/api/v1/pools/api/backends/127.0.0.1:9003",
                "{\"url\": \"http://127.0.0.1:9003\", \"weight\": 2}");
        assertThat(added.statusCode()).isEqualTo(201);
        assertThat(added.getHeader("Location")).isEqualTo("/api/v1/pools/api/backends/127.0.0.1:9003");
        HttpResponse<Buffer> changed = h.write(HttpMethod.PUT, "/api/v1/pools/api/backends/127.0.0.1:9003",
                "{\"url\": \"http://127.0.0.1:9003\", \"weight\": 5, \"draining\": true}");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(h.fakes.config.current().config().pool("api").orElseThrow().backends())
                .contains(new BackendConfig("http://127.0.0.1:9003", 5, true)).hasSize(3);
        assertThat(h.version()).isEqualTo(3);
    }

    @Test
    void putABackendWhoseUrlIsNotItsIdIs400() {
        HttpResponse<Buffer> r = h.write(HttpMethod.PUT, "/api/v1/pools/api/backends/127.0.0.1:9003",
                "{\"url\": \"http://127.0.0.1:9004\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(paths(r)).containsExactly("pools[0].backends[2].url");
        HttpResponse<Buffer> badWeight = h.write(HttpMethod.PUT, "/api/v1/pools/api/backends/127.0.0.1:9001",
                "{\"url\": \"http://127.0.0.1:9001\", \"weight\": 5000}");
        assertThat(paths(badWeight)).containsExactly("pools[0].backends[0].weight");
        assertThat(h.write(HttpMethod.PUT, "/api/v1/pools/nope/backends/127.0.0.1:9001",
                "{\"url\": \"http://127.0.0.1:9001\"}").statusCode()).isEqualTo(404);
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void setsWeightDrainsAndUndrains() {
        HttpResponse<Buffer> w = h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9002/weight",
                "{\"weight\": 9}");
        assertThat(w.statusCode()).isEqualTo(200);
        assertThat(json(w).getLong("version")).isEqualTo(2);
        assertThat(h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9002/drain", null).statusCode())
                .isEqualTo(200);
        BackendConfig b = h.fakes.config.current().config().pool("api").orElseThrow().backends().get(1);
        assertThat(b.weight()).isEqualTo(9);
        assertThat(b.draining()).isTrue();
        assertThat(h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9002/undrain", null).statusCode())
                .isEqualTo(200);
        assertThat(h.fakes.config.current().config().pool("api").orElseThrow().backends().get(1).draining())
                .isFalse();
        assertThat(h.version()).isEqualTo(4);
    }

    @Test
    void anOutOfRangeOrMissingWeightIs400() {
        HttpResponse<Buffer> range = h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9002/weight",
                "{\"weight\": 0}");
        assertThat(range.statusCode()).isEqualTo(400);
        assertThat(paths(range)).containsExactly("pools[0].backends[1].weight");
        HttpResponse<Buffer> missing = h.write(HttpMethod.POST, "/api/v1/pools/api/backends/127.0.0.1:9002/weight",
                "{\"weigth\": 3}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(h.write(HttpMethod.POST, "/api/v1/pools/api/backends/10.0.0.1:80/drain", null).statusCode())
                .isEqualTo(404);
        assertThat(h.version()).isEqualTo(1);
    }

    @Test
    void deletesABackendButNotThePoolsLastOne() {
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/pools/api/backends/127.0.0.1:9001", null).statusCode())
                .isEqualTo(200);
        assertThat(h.fakes.config.current().config().pool("api").orElseThrow().backends()).hasSize(1);
        HttpResponse<Buffer> last = h.write(HttpMethod.DELETE, "/api/v1/pools/api/backends/127.0.0.1:9002", null);
        assertThat(last.statusCode()).isEqualTo(409);
        assertThat(json(last).getString("detail")).contains("last");
        assertThat(h.write(HttpMethod.DELETE, "/api/v1/pools/api/backends/127.0.0.1:9001", null).statusCode())
                .isEqualTo(404);
        assertThat(h.version()).isEqualTo(2);
    }
}
