package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.Future;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Basic auth directly, with its own small bcrypt pool and no event loop (results complete on the pool thread). */
class BasicAuthFilterTest {

    final BcryptPool pool = new BcryptPool(1, 2);

    @AfterEach
    void stop() {
        pool.close();
    }

    static String hash(String password, int cost) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, cost);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    BasicAuthFilter filter(int cost) {
        return new BasicAuthFilter(new FilterConfig.Basic("ops", List.of(
                new FilterConfig.BasicUser("alice", hash("s3cret", cost)))), pool);
    }

    @Test
    void anUnknownUserCostsABcryptVerificationOfTheSameCostAsAKnownOne() {
        BasicAuthFilter f = filter(6);
        assertThat(BasicAuthFilter.cost(f.dummyHash)).isEqualTo(6);
        assertThat(f.dummyHash).matches("\\$2y\\$06\\$[./A-Za-z0-9]{53}");

        ProxyFilter.Rejection unknown = await(f.check(basic("mallory", "s3cret"), null));
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).as("the unknown user was checked against the dummy hash").isEqualTo(1);

        ProxyFilter.Rejection wrong = await(f.check(basic("alice", "guess"), null));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(unknown.headers().get("WWW-Authenticate")).isEqualTo(wrong.headers().get("WWW-Authenticate"));
        assertThat(f.bcryptRuns.sum()).isEqualTo(2);
    }

    @Test
    void theDummyHashMatchesNoPasswordAndTakesTheHighestCost() {
        BasicAuthFilter f = new BasicAuthFilter(new FilterConfig.Basic("ops", List.of(
                new FilterConfig.BasicUser("a", hash("x", 4)), new FilterConfig.BasicUser("b", hash("y", 7)))), pool);
        assertThat(BasicAuthFilter.cost(f.dummyHash)).isEqualTo(7);
        assertThat(OpenBSDBCrypt.checkPassword(f.dummyHash, "".toCharArray())).isFalse();
        // An empty password for an unknown user is not a way around it either.
        assertThat(await(f.check(basic("nobody", ""), null)).status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).isEqualTo(1);
    }

    @Test
    void aVerifiedCredentialIsRememberedAndMalformedHeadersCostNothing() {
        BasicAuthFilter f = filter(4);
        assertThat(await(f.check(basic("alice", "s3cret"), null))).isNull();
        assertThat(await(f.check(basic("alice", "s3cret"), null))).isNull();
        assertThat(f.bcryptRuns.sum()).isEqualTo(1);
        assertThat(await(f.check(null, null)).status()).isEqualTo(401);
        assertThat(await(f.check("Basic !!!", null)).status()).isEqualTo(401);
        assertThat(await(f.check("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes()), null))
                .status()).isEqualTo(401);
        assertThat(await(f.check("Bearer x", null)).status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).isEqualTo(1);
    }

    @Test
    void aSaturatedPoolShedsWith503AndRetryAfterAtOnce() throws Exception {
        BasicAuthFilter f = filter(4);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        // One thread busy, a queue of two full.
        pool.executor().execute(() -> {
            running.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        Future<ProxyFilter.Rejection> queued1 = f.check(basic("alice", "s3cret"), null);
        Future<ProxyFilter.Rejection> queued2 = f.check(basic("bob", "x"), null);
        Future<ProxyFilter.Rejection> shed = f.check(basic("alice", "guess"), null);
        assertThat(shed.isComplete()).isTrue();
        assertThat(shed.result().status()).isEqualTo(503);
        assertThat(shed.result().headers().get("Retry-After")).isEqualTo("1");
        assertThat(pool.shed.sum()).isEqualTo(1);
        release.countDown();
        assertThat(await(queued1)).isNull();
        assertThat(await(queued2).status()).isEqualTo(401);
        assertThat(await(f.check(basic("alice", "guess"), null)).status()).isEqualTo(401);
    }
}
