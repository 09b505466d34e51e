package dev.gatehouse.app;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A node joins an existing Hazelcast cluster as a client and shares the config kept there. */
class ClientModeIT {

    @TempDir
    Path dir;

    @Test
    void aClientNodeUsesTheExistingClustersConfig() {
        int port = TestNodes.freePort();
        Config config = ClusterMembership.memberConfig(new dev.gatehouse.config.ClusterConfig("existing", "127.0.0.1",
                port, List.of("127.0.0.1:" + port), null, null, true));
        HazelcastInstance existing = Hazelcast.newHazelcastInstance(config);
        Vertx vertx = Vertx.vertx();
        try {
            HttpServer one = TestNodes.backend(vertx, "one");
            HttpServer two = TestNodes.backend(vertx, "two");
            String member = "data-dir: " + dir.resolve("m") + "\n"
                    + "cluster: { client: { addresses: [\"127.0.0.1:" + port + "\"], cluster-name: existing }, secret-file: \""
                    + TestNodes.secretFile(dir.resolve("s"), TestNodes.SECRET) + "\" }\n"
                    + "listeners: [ { name: public, host: 127.0.0.1, port: 0 } ]\n"
                    + "admin: { host: 127.0.0.1, port: 0 }\n";
            Node first = TestNodes.start(member + TestNodes.sharedYaml(one.actualPort(), ""));
            Node second = TestNodes.start(member.replace(dir.resolve("m").toString(), dir.resolve("n").toString())
                    + TestNodes.sharedYaml(two.actualPort(), ""));
            try {
                // The first client seeded the cluster; the second adopted that version, not its own file.
                assertThat(TestNodes.get(second, "/").body()).isEqualTo("one");
                assertThat(existing.getMap(ClusterMembership.CONFIG_MAP).containsKey(SharedConfigStore.KEY)).isTrue();
                assertThat(TestNodes.adminGet(second, "/cluster").body()).contains("\"applied-version\":1");
                // No cluster cache for a client: each caches in its own memory, and the cluster holds no cache map.
                assertThat(second.proxy.runtime().responseCache().store())
                        .isInstanceOf(dev.gatehouse.proxy.cache.LocalResponseStore.class);
                assertThat(second.proxy.runtime().responseCache().collapsing())
                        .isInstanceOf(dev.gatehouse.proxy.cache.LocalMissCollapsing.class);
                assertThat(existing.getDistributedObjects()).noneMatch(o -> o.getName()
                        .startsWith(HazelcastResponseStore.MAP));
                assertThat(TestNodes.adminGet(second, "/cache").statusCode()).isEqualTo(501);
            } finally {
                TestNodes.stop(second);
                TestNodes.stop(first);
            }
        } finally {
            TestNodes.await(vertx.close());
            existing.shutdown();
        }
    }
}
