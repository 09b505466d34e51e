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
                // Warm-up (fills the near cache and whatever the store keeps, lets the JIT compile), then the
                // measured run: gets one after the other, each once the one before completed.
                long[] warm = TestNodes.await(sequential(ctx, store, key, iterations / 4));
                long[] r = TestNodes.await(sequential(ctx, store, key, iterations));
                System.out.printf("get %6d-byte entry: %8.2f us/op, %d of %d completed inline (warm-up: %d)%n", size,
                        r[0] / 1000.0 / iterations, r[1], iterations, warm[1]);
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

    /**
     * {@code n} gets on {@code ctx}, each issued when the previous completed: a loop while they complete inline, a
     * callback when one does not. Answers {total nanoseconds, how many completed inline}.
     */
    private static Future<long[]> sequential(Context ctx, HazelcastResponseStore store, String key, int n) {
        Promise<long[]> done = Promise.promise();
        long[] state = {0, 0, System.nanoTime()}; // issued, inline, start
        ctx.runOnContext(v -> next(store, key, n, state, done));
        return done.future();
    }

    private static void next(HazelcastResponseStore store, String key, int n, long[] state, Promise<long[]> done) {
        while (state[0] < n) {
            state[0]++;
            Future<List<StoredResponse>> f = store.get(key);
            if (f.isComplete()) {
                state[1]++;
            } else {
                f.onComplete(ar -> next(store, key, n, state, done));
                return;
            }
        }
        done.tryComplete(new long[] {System.nanoTime() - state[2], state[1]});
    }
}
