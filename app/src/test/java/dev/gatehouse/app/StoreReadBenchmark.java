package dev.gatehouse.app;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.DataSize;
import dev.gatehouse.proxy.cache.StoredResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A bounded loop benchmark (not a test) of {@link HazelcastResponseStore#get} on a near-cache hit, on an event loop,
 * for 1 KB and 64 KB entries. Run with the app's test classpath:
 * {@code java -cp ... dev.gatehouse.app.StoreReadBenchmark [iterations]}.
 */
final class StoreReadBenchmark {

    private StoreReadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        CacheConfig cache = new CacheConfig(DataSize.ofMegabytes(64), DataSize.ofMegabytes(1), null, 1000);
        Config config = ClusterMembership.memberConfig(null);
        HazelcastResponseStore.configure(config, cache, 1);
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        // The measured loop runs long on one event loop on purpose: no blocked-thread warnings.
        Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setMaxEventLoopExecuteTime(1)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.HOURS));
        try {
            SharedValues values = new SharedValues(new ClusterSeal(TestNodes.SECRET.getBytes(StandardCharsets.UTF_8)),
                    true, new SimpleMeterRegistry());
            HazelcastResponseStore store = new HazelcastResponseStore(vertx, hz, values, cache);
            for (int size : new int[] {1024, 64 * 1024}) {
                String key = "GET http://bench/" + size;
                TestNodes.await(store.put(key, HazelcastResponseStoreIT.response("x".repeat(size))));
                Context ctx = vertx.getOrCreateContext();
                Promise<long[]> result = Promise.promise();
                ctx.runOnContext(v -> {
                    // Warm-up: fills the near cache (and whatever the store keeps), lets the JIT compile.
                    loop(store, key, iterations / 4);
                    long inline = 0;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < iterations; i++) {
                        Future<List<StoredResponse>> f = store.get(key);
                        if (f.isComplete()) {
                            inline++;
                        }
                    }
                    long t1 = System.nanoTime();
                    result.complete(new long[] {t1 - t0, inline});
                });
                long[] r = TestNodes.await(result.future());
                System.out.printf("get %6d-byte entry: %8.2f us/op, %d of %d completed inline%n", size,
                        r[0] / 1000.0 / iterations, r[1], iterations);
                // What every get cost before the memo, on top of the thread hop: verifying and decoding the value.
                byte[] value = hz.<String, byte[]>getMap(HazelcastResponseStore.MAP).get(key);
                int n = Math.max(1000, iterations / 20);
                for (int i = 0; i < n / 4; i++) {
                    CacheEntryCodec.decode(values.seal, HazelcastResponseStore.MAP, key, value);
                }
                long d0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    CacheEntryCodec.decode(values.seal, HazelcastResponseStore.MAP, key, value);
                }
                System.out.printf("  verify + decode alone: %8.2f us/op%n", (System.nanoTime() - d0) / 1000.0 / n);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            hz.getLifecycleService().terminate();
        }
        System.exit(0);
    }

    private static void loop(HazelcastResponseStore store, String key, int n) {
        for (int i = 0; i < n; i++) {
            store.get(key);
        }
    }
}
