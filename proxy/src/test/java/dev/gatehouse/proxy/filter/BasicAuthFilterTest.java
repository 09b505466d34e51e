package dev.gatehouse.proxy.filter;

import dev.gatehouse.proxy.Await;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Basic auth with its own small bcrypt pool: directly with no event loop (results complete on the pool thread), and
 * through requests on a real Vert.x event loop as the engine calls it.
 */
class BasicAuthFilterTest {

    static Vertx vertx;
    final BcryptPool pool = new BcryptPool(1, 2);

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        Await.result(vertx.close());
    }

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

    /** The answer of {@code onRequestAsync}, asked from an event loop as the engine asks it. */
    record Answer(ProxyFilter.Rejection rejection, Thread askedOn, Thread answeredOn) {
    }

    static Answer ask(BasicAuthFilter f, TestRequest request) {
        Promise<Answer> done = Promise.promise();
        vertx.runOnContext(v -> {
            Thread asking = Thread.currentThread();
            f.onRequestAsync(request.vertx(vertx)).onComplete(ar -> {
                if (ar.failed()) {
                    done.fail(ar.cause());
                } else {
                    done.complete(new Answer(ar.result(), asking, Thread.currentThread()));
                }
            });
        });
        return Await.result(done.future());
    }

    static TestRequest authorization(String value) {
        return TestRequest.withHeaders("Authorization", value);
    }

    @Test
    void theRightPasswordPassesOnAPoolThreadAndTheAnswerComesBackOnTheAskingEventLoop() {
        BasicAuthFilter f = filter(4);
        assertThat(f.async()).isTrue();
        Answer a = ask(f, authorization(basic("alice", "s3cret")));
        assertThat(a.rejection()).isNull();
        assertThat(f.bcryptRuns.sum()).isEqualTo(1);
        assertThat(a.askedOn().getName()).startsWith("vert.x-eventloop-thread-");
        assertThat(a.answeredOn()).isSameAs(a.askedOn());
        // The scheme is case-insensitive.
        assertThat(ask(f, authorization("basic " + basic("alice", "s3cret").substring(6))).rejection()).isNull();
    }

    @Test
    void aWrongPasswordIsUnauthorizedWithTheRealmsChallenge() {
        BasicAuthFilter f = new BasicAuthFilter(new FilterConfig.Basic("o\"ps", List.of(
                new FilterConfig.BasicUser("alice", hash("s3cret", 4)))), pool);
        for (String password : new String[] {"guess", "", "S3CRET", "s3cret ", "s3cre"}) {
            Answer a = ask(f, authorization(basic("alice", password)));
            assertThat(a.rejection()).as(password).isNotNull();
            assertThat(a.rejection().status()).isEqualTo(401);
            assertThat(a.rejection().body()).isEqualTo("unauthorized\n");
            // A quote in the realm cannot break out of the challenge's quoted string.
            assertThat(a.rejection().headers().get("WWW-Authenticate"))
                    .isEqualTo("Basic realm=\"ops\", charset=\"UTF-8\"");
            assertThat(a.answeredOn()).isSameAs(a.askedOn());
        }
        assertThat(f.bcryptRuns.sum()).isEqualTo(5);
        // User names are case-sensitive: ALICE is unknown, checked against the dummy hash.
        assertThat(ask(f, authorization(basic("ALICE", "s3cret"))).rejection().status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).isEqualTo(6);
    }

    @Test
    void thePasswordIsEverythingAfterTheFirstColonInUtf8() {
        BasicAuthFilter f = new BasicAuthFilter(new FilterConfig.Basic(null, List.of(
                new FilterConfig.BasicUser("bob", hash("pa:ss:", 4)),
                new FilterConfig.BasicUser("zoë", hash("pässwörd ✓", 4)))), pool);
        assertThat(ask(f, authorization(basic("bob", "pa:ss:"))).rejection()).isNull();
        assertThat(ask(f, authorization(basic("bob", "pa"))).rejection()).isNotNull();
        assertThat(ask(f, authorization(basic("zoë", "pässwörd ✓"))).rejection()).isNull();
        assertThat(ask(f, authorization(basic("zoe", "pässwörd ✓"))).rejection()).isNotNull();
        assertThat(ask(f, TestRequest.get()).rejection().headers().get("WWW-Authenticate"))
                .as("the default realm").isEqualTo("Basic realm=\"gatehouse\", charset=\"UTF-8\"");
    }

    @Test
    void malformedOrMissingCredentialsAreRefusedWithoutBcrypt() {
        BasicAuthFilter f = filter(4);
        String noColon = "Basic " + Base64.getEncoder().encodeToString("alices3cret".getBytes(StandardCharsets.UTF_8));
        for (TestRequest r : new TestRequest[] {TestRequest.get(), authorization(""), authorization("Basic"),
                authorization("Basic "), authorization("Basic !!!"), authorization(noColon),
                authorization("Bearer " + basic("alice", "s3cret").substring(6)),
                authorization(basic("alice", "s3cret").replace("Basic ", "Basic\t")),
                // The right credentials in another header do not count.
                TestRequest.withHeaders("Proxy-Authorization", basic("alice", "s3cret"))}) {
            Answer a = ask(f, r);
            assertThat(a.rejection()).as(r.header("Authorization")).isNotNull();
            assertThat(a.rejection().status()).isEqualTo(401);
            assertThat(a.rejection().headers().get("WWW-Authenticate")).startsWith("Basic realm=");
        }
        assertThat(f.bcryptRuns.sum()).isZero();
    }

    @Test
    void onlyTheVerifiedPairIsRememberedAndOnlyByThisFilter() {
        BasicAuthFilter f = filter(4);
        assertThat(ask(f, authorization(basic("alice", "s3cret"))).rejection()).isNull();
        assertThat(ask(f, authorization(basic("alice", "s3cret"))).rejection()).isNull();
        assertThat(f.bcryptRuns.sum()).as("the second request was answered from memory").isEqualTo(1);
        // A wrong password for a user verified a moment ago is checked again, and refused.
        assertThat(ask(f, authorization(basic("alice", "guess"))).rejection().status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).isEqualTo(2);
        // Refusals are not remembered: the same wrong pair costs bcrypt each time.
        assertThat(ask(f, authorization(basic("alice", "guess"))).rejection().status()).isEqualTo(401);
        assertThat(f.bcryptRuns.sum()).isEqualTo(3);
        // A new filter (any change to its config) starts with no memory.
        BasicAuthFilter fresh = filter(4);
        assertThat(ask(fresh, authorization(basic("alice", "s3cret"))).rejection()).isNull();
        assertThat(fresh.bcryptRuns.sum()).isEqualTo(1);
    }

    @Test
    void theAuthorizationHeaderNeverGoesUpstream() {
        BasicAuthFilter f = filter(4);
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("authorization", basic("alice", "s3cret"))
                .add("Accept", "*/*");
        f.onUpstreamRequest(authorization(basic("alice", "s3cret")), upstream);
        assertThat(upstream.contains("Authorization")).isFalse();
        assertThat(upstream.get("Accept")).isEqualTo("*/*");
    }
}
