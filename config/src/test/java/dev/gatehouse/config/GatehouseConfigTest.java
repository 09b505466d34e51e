package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.resource;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The split between a node's own settings and the cluster-wide shared part. */
class GatehouseConfigTest {

    private final GatehouseConfig full = ConfigParser.parse(resource("valid/everything.yaml"));
    private final GatehouseConfig demo = ConfigParser.parse(resource("valid/minimal.yaml"));

    @Test
    void sharedIsPoolsRoutesAndCacheSection() {
        SharedConfig s = full.shared();

        assertThat(s.pools()).isEqualTo(full.pools());
        assertThat(s.routes()).isEqualTo(full.routes());
        assertThat(s.cache()).isEqualTo(full.cache());
        assertThat(s).isEqualTo(new SharedConfig(full.pools(), full.routes(), full.cache()));
    }

    @Test
    void withSharedReplacesOnlyTheSharedPart() {
        GatehouseConfig mixed = demo.withShared(full.shared());

        assertThat(mixed.shared()).isEqualTo(full.shared());
        assertThat(mixed.dataDir()).isEqualTo(demo.dataDir());
        assertThat(mixed.cluster()).isEqualTo(demo.cluster());
        assertThat(mixed.listeners()).isEqualTo(demo.listeners());
        assertThat(mixed.admin()).isEqualTo(demo.admin());
    }

    @Test
    void withItsOwnSharedPartIsUnchanged() {
        assertThat(full.withShared(full.shared())).isEqualTo(full);
    }

    @Test
    void withEmptySharedKeepsTheNode() {
        GatehouseConfig bare = full.withShared(SharedConfig.empty());

        assertThat(bare.pools()).isEmpty();
        assertThat(bare.routes()).isEmpty();
        assertThat(bare.cache()).isNull();
        assertThat(bare.listeners()).isEqualTo(full.listeners());
    }

    @Test
    void sharedLooksUpPoolsAndRoutesByName() {
        SharedConfig s = full.shared();

        assertThat(s.pool("users")).get().extracting(PoolConfig::hashKey).isEqualTo("cookie:session");
        assertThat(s.pool("nope")).isEmpty();
        assertThat(s.route("health")).get().extracting(RouteConfig::pool).isEqualTo("static");
        assertThat(s.route("nope")).isEmpty();
    }

    @Test
    void lookupToleratesUnnamedEntries() {
        SharedConfig s = new SharedConfig(List.of(new PoolConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null)),
                List.of(new RouteConfig(null, null, null, null, null, null, null, null, null, null, null, null)), null);

        assertThat(s.pool("api")).isEmpty();
        assertThat(s.route("api")).isEmpty();
    }

    @Test
    void emptySharedHasDefaults() {
        assertThat(SharedConfig.empty()).isEqualTo(new SharedConfig(null, null, null));
        assertThat(SharedConfig.empty().cache()).isNull();
    }

    @Test
    void copiesAreTakenOfLists() {
        java.util.ArrayList<PoolConfig> pools = new java.util.ArrayList<>(full.pools());
        SharedConfig s = new SharedConfig(pools, List.of(), null);

        pools.clear();

        assertThat(s.pools()).hasSize(full.pools().size());
    }

    @Test
    void withersOnPoolsAndBackends() {
        PoolConfig api = full.shared().pool("api").orElseThrow();
        BackendConfig b = api.backends().get(0);

        assertThat(b.withWeight(7).weight()).isEqualTo(7);
        assertThat(b.withDraining(true).draining()).isTrue();
        assertThat(b.withDraining(true).url()).isEqualTo(b.url());
        assertThat(api.withBackends(List.of(b)).backends()).containsExactly(b);
        assertThat(api.withBackends(List.of(b)).healthCheck()).isEqualTo(api.healthCheck());
    }
}
