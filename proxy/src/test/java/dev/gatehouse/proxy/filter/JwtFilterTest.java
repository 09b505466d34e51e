package dev.gatehouse.proxy.filter;

import dev.gatehouse.proxy.Await;
import dev.gatehouse.proxy.FiltersIT;

import dev.gatehouse.config.FilterConfig;
import dev.gatehouse.config.Rate;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** JWT verification and JWKS sources, directly and through requests. */
public class JwtFilterTest {

    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    static final long NOW = 1_800_000_000L;
    static KeyPair rsa;
    static KeyPair rsa2;
    static KeyPair ec256;
    static KeyPair ec384;

    @TempDir
    Path dir;
    Vertx vertx;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
        r.initialize(2048);
        rsa = r.generateKeyPair();
        rsa2 = r.generateKeyPair();
        KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
        e.initialize(new ECGenParameterSpec("secp256r1"));
        ec256 = e.generateKeyPair();
        e.initialize(new ECGenParameterSpec("secp384r1"));
        ec384 = e.generateKeyPair();
    }

    @AfterEach
    void close() {
        if (vertx != null) {
            Await.result(vertx.close());
        }
    }

    static String b64(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    public static String rsaJwk(KeyPair kp, String kid, String alg) {
        RSAPublicKey k = (RSAPublicKey) kp.getPublic();
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\"" + (alg == null ? "" : ",\"alg\":\"" + alg + "\"")
                + ",\"n\":\"" + FiltersIT.unsigned(k.getModulus()) + "\",\"e\":\""
                + FiltersIT.unsigned(k.getPublicExponent()) + "\"}";
    }

    static String ecJwk(KeyPair kp, String kid, String crv, int size) {
        ECPublicKey k = (ECPublicKey) kp.getPublic();
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"" + crv + "\",\"x\":\""
                + pad(k.getW().getAffineX(), size) + "\",\"y\":\"" + pad(k.getW().getAffineY(), size) + "\"}";
    }

    static String pad(java.math.BigInteger v, int size) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[size];
        int n = Math.min(size, b.length);
        System.arraycopy(b, b.length - n, out, size - n, n);
        return B64.encodeToString(out);
    }

    public static String jwks(String... keys) {
        return "{\"keys\":[" + String.join(",", keys) + "]}";
    }

    static String claims(long exp) {
        return "{\"iss\":\"https://id.example.com\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":" + exp + "}";
    }

    /** A compact JWS over a raw header. */
    public static String sign(PrivateKey key, String header, String claims) throws Exception {
        String input = b64(header) + "." + b64(claims);
        String alg = new JsonObject(header).getString("alg");
        String jca = switch (alg) {
            case "RS256" -> "SHA256withRSA";
            case "RS512" -> "SHA512withRSA";
            case "ES256" -> "SHA256withECDSAinP1363Format";
            case "ES384" -> "SHA384withECDSAinP1363Format";
            default -> throw new IllegalArgumentException(alg);
        };
        Signature s = Signature.getInstance(jca);
        s.initSign(key);
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(s.sign());
    }

    JwtFilter filter(String jwksText) throws Exception {
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, jwksText);
        return new JwtFilter(new FilterConfig.Jwt("https://id.example.com", "api", file.toString(), Duration.ofSeconds(30)));
    }

    @Test
    void aValidTokenPassesAndACriticalExtensionIsRefused() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String ok = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(NOW + 60));
        assertThat(f.verify(ok, NOW)).isNotNull();
        for (String crit : new String[] {"[\"exp\"]", "[\"b64\"]", "[]", "\"x\""}) {
            String t = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":" + crit
                    + ",\"exp\":1,\"b64\":true,\"x\":1}", claims(NOW + 60));
            assertThat(f.verify(t, NOW)).as(crit).isNull();
        }
    }

    @Test
    void algorithmConfusionIsRefused() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null), rsaJwk(rsa2, "r2", "RS512"),
                ecJwk(ec256, "e1", "P-256", 32), ecJwk(ec384, "e3", "P-384", 48)));
        String c = claims(NOW + 60);
        // alg none, with and without a signature part
        assertThat(f.verify(b64("{\"alg\":\"none\",\"kid\":\"r1\"}") + "." + b64(c) + ".", NOW)).isNull();
        assertThat(f.verify(b64("{\"alg\":\"none\",\"kid\":\"r1\"}") + "." + b64(c) + ".AAAA", NOW)).isNull();
        // HS256 keyed with the RSA public key's bytes (the classic confusion)
        String input = b64("{\"alg\":\"HS256\",\"kid\":\"r1\"}") + "." + b64(c);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(rsa.getPublic().getEncoded(), "HmacSHA256"));
        assertThat(f.verify(input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII))),
                NOW)).isNull();
        // An EC alg with an RSA kid and the other way round
        assertThat(f.verify(sign(ec256.getPrivate(), "{\"alg\":\"ES256\",\"kid\":\"r1\"}", c), NOW)).isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"e1\"}", c), NOW)).isNull();
        // The JWK names RS512: an RS256 signature by that very key is refused, an RS512 one accepted
        assertThat(f.verify(sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r2\"}", c), NOW)).isNull();
        assertThat(f.verify(sign(rsa2.getPrivate(), "{\"alg\":\"RS512\",\"kid\":\"r2\"}", c), NOW)).isNotNull();
        // ES256 against a P-384 key, ES384 against a P-256 key; each on its own curve passes
        assertThat(f.verify(sign(ec256.getPrivate(), "{\"alg\":\"ES256\",\"kid\":\"e3\"}", c), NOW)).isNull();
        assertThat(f.verify(sign(ec384.getPrivate(), "{\"alg\":\"ES384\",\"kid\":\"e1\"}", c), NOW)).isNull();
        assertThat(f.verify(sign(ec256.getPrivate(), "{\"alg\":\"ES256\",\"kid\":\"e1\"}", c), NOW)).isNotNull();
        assertThat(f.verify(sign(ec384.getPrivate(), "{\"alg\":\"ES384\",\"kid\":\"e3\"}", c), NOW)).isNotNull();
        // A key in the token itself is never trusted
        String embedded = sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"zz\",\"jwk\":"
                + rsaJwk(rsa2, "zz", null) + ",\"jku\":\"https://evil.example/jwks\"}", c);
        assertThat(f.verify(embedded, NOW)).isNull();
    }

    @Test
    void expiryAndNotBeforeHonourTheSkew() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String h = "{\"alg\":\"RS256\",\"kid\":\"r1\"}";
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW - 30)), NOW)).as("expired within skew").isNotNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW - 31)), NOW)).as("expired past skew").isNull();
        String nbf = "{\"iss\":\"https://id.example.com\",\"aud\":[\"x\",\"api\"],\"exp\":" + (NOW + 600) + ",\"nbf\":";
        assertThat(f.verify(sign(rsa.getPrivate(), h, nbf + (NOW + 30) + "}"), NOW)).isNotNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, nbf + (NOW + 31) + "}"), NOW)).isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, nbf + "\"soon\"}"), NOW)).isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, "{\"iss\":\"https://id.example.com\",\"aud\":\"api\"}"), NOW))
                .as("no exp").isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW + 60).replace("" + (NOW + 60), "\"later\"")), NOW))
                .as("exp not a number").isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW + 60).replace("id.example", "evil")), NOW)).isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW + 60).replace("\"api\"", "[\"web\"]")), NOW))
                .isNull();
        assertThat(f.verify(sign(rsa.getPrivate(), h, claims(NOW + 60).replace("\"https://id.example.com\"",
                "[\"https://id.example.com\"]")), NOW)).as("iss as a list").isNull();
    }

    @Test
    void malformedTokensAreJustInvalid() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String ok = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(NOW + 60));
        String[] p = ok.split("\\.");
        for (String bad : new String[] {
                "", ".", "..", "a.b", "a.b.c.d", p[0] + "." + p[1] + ".", p[0] + "." + p[1] + ".!!!!",
                "!!!." + p[1] + "." + p[2], b64("not json") + "." + p[1] + "." + p[2],
                b64("[1,2]") + "." + p[1] + "." + p[2], b64("{\"alg\":5}") + "." + p[1] + "." + p[2],
                b64("{\"alg\":\"RS256\",\"kid\":7}") + "." + p[1] + "." + p[2],
                p[0] + "." + b64("{\"exp\":") + "." + p[2], p[0] + "." + p[1] + "." + p[2] + "x",
                sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "[]"),
                sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "null"),
                sign(ec256.getPrivate(), "{\"alg\":\"ES256\"}", claims(NOW)).replaceAll("\\.[^.]*$", ".AAAA")}) {
            assertThat(f.verify(bad, NOW)).as(bad).isNull();
        }
    }

    @Test
    void aJwksFileIsReloadedWhenItChangesAndABrokenOneKeepsTheLastGoodKeys() throws Exception {
        vertx = Vertx.vertx();
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String t1 = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(NOW + 60));
        String t2 = sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r2\"}", claims(NOW + 60));
        assertThat(f.verify(t2, NOW)).isNull();
        Files.writeString(dir.resolve("jwks.json"), jwks(rsaJwk(rsa2, "r2", null)));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            vertx.runOnContext(v -> f.upkeep(vertx));
            assertThat(f.verify(t2, NOW)).isNotNull();
        });
        assertThat(f.verify(t1, NOW)).as("the old key is gone").isNull();
        Files.writeString(dir.resolve("jwks.json"), "{ not json");
        AtomicInteger ticks = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            vertx.runOnContext(v -> f.upkeep(vertx));
            return ticks.incrementAndGet() > 5;
        });
        assertThat(f.verify(t2, NOW)).isNotNull();
    }

    @Test
    void aVerifiedTokenIsKeptButItsExpiryStillCountsAndAReloadedKeySetVoidsIt() throws Exception {
        vertx = Vertx.vertx();
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String t1 = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(NOW + 60));
        assertThat(f.verify(t1, NOW)).isNotNull();
        assertThat(f.verifiedTokens()).isEqualTo(1);
        assertThat(f.verify(t1, NOW)).as("from the kept verification").isNotNull();
        assertThat(f.verify(t1, NOW + 60 + 31)).as("expired past the skew, kept or not").isNull();
        assertThat(f.verify(t1, NOW)).isNotNull();
        // A garbled token never gets in: a client cannot fill the cache without valid signatures.
        String[] p = t1.split("\\.");
        assertThat(f.verify(p[0] + "." + p[1] + "." + p[2].substring(0, p[2].length() - 2) + "AA", NOW)).isNull();
        assertThat(f.verifiedTokens()).isEqualTo(1);
        // The key that signed it is withdrawn: the kept verification goes with the old key set.
        Files.writeString(dir.resolve("jwks.json"), jwks(rsaJwk(rsa2, "r2", null)));
        String t2 = sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r2\"}", claims(NOW + 60));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            vertx.runOnContext(v -> f.upkeep(vertx));
            assertThat(f.verify(t2, NOW)).isNotNull();
        });
        assertThat(f.verify(t1, NOW)).as("signed by a withdrawn key").isNull();
    }

    @Test
    void keptVerificationsAreBounded() throws Exception {
        JwtFilter f = filter(jwks(ecJwk(ec256, "e1", "P-256", 32)));
        for (int i = 0; i < JwtFilter.MAX_VERIFIED + 10; i++) {
            String t = sign(ec256.getPrivate(), "{\"alg\":\"ES256\",\"kid\":\"e1\"}",
                    claims(NOW + 60).replace("}", ",\"n\":" + i + "}"));
            assertThat(f.verify(t, NOW)).isNotNull();
            assertThat(f.verifiedTokens()).isLessThanOrEqualTo(JwtFilter.MAX_VERIFIED);
        }
    }

    @Test
    void aJwksUrlIsFetchedOnAnUnknownKidAtMostEveryThirtySecondsAndKeepsTheLastGoodSet() throws Exception {
        vertx = Vertx.vertx();
        AtomicInteger hits = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> body = new java.util.concurrent.atomic.AtomicReference<>(
                jwks(rsaJwk(rsa, "r1", null)));
        java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(200);
        HttpServer server = Await.result(vertx.createHttpServer().requestHandler(req -> {
            hits.incrementAndGet();
            req.response().setStatusCode(status.get()).end(body.get());
        }).listen(0, "127.0.0.1"));
        AtomicLong clock = new AtomicLong(0);
        JwksSource source = new JwksSource("http://127.0.0.1:" + server.actualPort() + "/jwks", clock::get);
        JwtFilter f = new JwtFilter(new FilterConfig.Jwt("https://id.example.com", "api", "unused", null), source);
        assertThat(f.async()).isTrue();
        String t1 = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(NOW + 60));
        String t2 = sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r2\"}", claims(NOW + 60));

        // Nothing is fetched at construction; the first unknown kid fetches.
        assertThat(hits.get()).isZero();
        Await.result(source.refreshForUnknownKey(vertx));
        assertThat(f.verify(t1, NOW)).isNotNull();
        assertThat(hits.get()).isEqualTo(1);

        // Rotation at the issuer: a second on-demand fetch within 30 s is refused, after 30 s it runs.
        body.set(jwks(rsaJwk(rsa2, "r2", null)));
        clock.addAndGet(29_000_000_000L);
        assertThat(source.refreshForUnknownKey(vertx)).isNull();
        assertThat(f.verify(t2, NOW)).isNull();
        clock.addAndGet(1_000_000_000L);
        Await.result(source.refreshForUnknownKey(vertx));
        assertThat(hits.get()).isEqualTo(2);
        assertThat(f.verify(t2, NOW)).isNotNull();
        assertThat(f.verify(t1, NOW)).isNull();

        // A failing issuer (500, then garbage) leaves the last good set in place.
        status.set(500);
        clock.addAndGet(31_000_000_000L);
        Await.result(source.refreshForUnknownKey(vertx));
        status.set(200);
        body.set("<html>");
        clock.addAndGet(31_000_000_000L);
        Await.result(source.refreshForUnknownKey(vertx));
        assertThat(hits.get()).isEqualTo(4);
        assertThat(f.verify(t2, NOW)).isNotNull();

        // The periodic refresh: 30 s after a failure, then every 5 minutes, not on every tick.
        int before = hits.get();
        body.set(jwks(rsaJwk(rsa, "r1", null)));
        source.upkeep(vertx);
        assertThat(hits.get()).isEqualTo(before);
        clock.addAndGet(31_000_000_000L);
        // Upkeep skips while an earlier fetch is still in flight (a loaded machine): ask again until it has run.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            source.upkeep(vertx);
            return f.verify(t1, NOW) != null;
        });
        assertThat(hits.get()).isEqualTo(before + 1);
        clock.addAndGet(60_000_000_000L);
        source.upkeep(vertx);
        assertThat(hits.get()).isEqualTo(before + 1);
        clock.addAndGet(JwksSource.REFRESH_NANOS);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            source.upkeep(vertx);
            return hits.get() == before + 2;
        });
        f.close();
        assertThat(source.refreshForUnknownKey(vertx)).isNull();
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static TestRequest bearer(String token) {
        return TestRequest.withHeaders("Authorization", "Bearer " + token);
    }

    /** Asserts the 401 a refused request gets, and that it left no claims behind. */
    static void assertRefused(ProxyFilter.Rejection r, TestRequest request, String error) {
        assertThat(r).isNotNull();
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("unauthorized\n");
        assertThat(r.headers().get("WWW-Authenticate")).isEqualTo(error == null ? "Bearer realm=\"gatehouse\""
                : "Bearer realm=\"gatehouse\", error=\"" + error + "\"");
        assertThat(request.claims()).isNull();
    }

    @Test
    void aRequestWithoutABearerTokenIsChallengedWithoutAnError() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        assertThat(f.async()).as("keys from a file need no waiting").isFalse();
        String ok = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(now() + 60));
        for (TestRequest r : new TestRequest[] {TestRequest.get(),
                TestRequest.withHeaders("Authorization", "Basic YWxpY2U6czNjcmV0"),
                TestRequest.withHeaders("Authorization", ok),
                TestRequest.withHeaders("Authorization", "Bearer"),
                // The token in another header does not count.
                TestRequest.withHeaders("X-Token", "Bearer " + ok)}) {
            assertRefused(f.onRequest(r), r, null);
        }
    }

    @Test
    void aValidTokenSetsItsClaimsForTheFiltersAfterIt() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        String ok = sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(now() + 60));
        TestRequest first = bearer(ok).client("192.0.2.1");
        assertThat(f.onRequest(first)).isNull();
        assertThat(first.claims()).as("claims for later filters").isNotNull();
        assertThat(first.claims().getString("sub")).isEqualTo("alice");
        assertThat(first.claims().getString("iss")).isEqualTo("https://id.example.com");
        // The scheme is case-insensitive and space around the token is ignored.
        TestRequest lower = TestRequest.withHeaders("Authorization", "bearer  " + ok + " ").client("192.0.2.2");
        assertThat(f.onRequest(lower)).isNull();
        assertThat(lower.claims()).as("claims for later filters").isNotNull();
        assertThat(lower.claims().getString("sub")).isEqualTo("alice");

        // A rate limit keyed by the subject counts alice once, whichever address she comes from.
        AtomicLong clock = new AtomicLong();
        RateLimitFilter limit = new RateLimitFilter(new FilterConfig.RateLimit("jwt:sub", Rate.parse("1/m"), 1, "node"),
                () -> 1, clock::get);
        assertThat(limit.onRequest(first)).isNull();
        assertThat(limit.onRequest(lower)).isNotNull().extracting(ProxyFilter.Rejection::status).isEqualTo(429);
    }

    @Test
    void garbledExpiredEarlyWronglySignedOrMisaddressedTokensAreInvalid() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null), ecJwk(ec256, "e1", "P-256", 32)));
        long now = now();
        String h = "{\"alg\":\"RS256\",\"kid\":\"r1\"}";
        String c = claims(now + 600);
        String ok = sign(rsa.getPrivate(), h, c);
        String[] p = ok.split("\\.");
        String nbfClaims = "{\"iss\":\"https://id.example.com\",\"aud\":\"api\",\"exp\":" + (now + 600)
                + ",\"nbf\":" + (now + 300) + "}";
        java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("garbled", "not-a-jwt");
        bad.put("garbled base64", p[0] + ".%%%." + p[2]);
        bad.put("claims altered after signing", p[0] + "." + b64(claims(now + 600).replace("alice", "admin")) + "."
                + p[2]);
        bad.put("expired an hour ago", sign(rsa.getPrivate(), h, claims(now - 3600)));
        bad.put("not before five minutes from now", sign(rsa.getPrivate(), h, nbfClaims));
        bad.put("alg none", b64("{\"alg\":\"none\",\"kid\":\"r1\"}") + "." + b64(c) + ".");
        bad.put("an RSA alg on the EC key", sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"e1\"}", c));
        bad.put("an alg not offered", b64("{\"alg\":\"PS256\",\"kid\":\"r1\"}") + "." + b64(c) + "." + p[2]);
        bad.put("signed by another key", sign(rsa2.getPrivate(), h, c));
        bad.put("an unknown kid", sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r9\"}", c));
        bad.put("no kid with two keys", sign(rsa.getPrivate(), "{\"alg\":\"RS256\"}", c));
        bad.put("another issuer", sign(rsa.getPrivate(), h, c.replace("id.example.com", "id.evil.example")));
        bad.put("another audience", sign(rsa.getPrivate(), h, c.replace("\"api\"", "\"billing\"")));
        bad.forEach((what, token) -> {
            TestRequest r = bearer(token);
            ProxyFilter.Rejection rejection = f.onRequest(r);
            assertThat(rejection).as(what).isNotNull();
            assertRefused(rejection, r, "invalid_token");
        });
        // The same key and claims, correctly signed, pass: each case above fails for its own reason.
        assertThat(f.onRequest(bearer(ok))).isNull();
        assertThat(f.onRequest(bearer(sign(ec256.getPrivate(), "{\"alg\":\"ES256\",\"kid\":\"e1\"}", c))))
                .isNull();
    }

    @Test
    void aTokenWithoutKidUsesASingleKeySet() throws Exception {
        JwtFilter f = filter(jwks(rsaJwk(rsa, "r1", null)));
        TestRequest r = bearer(sign(rsa.getPrivate(), "{\"alg\":\"RS256\"}", claims(now() + 60)));
        assertThat(f.onRequest(r)).isNull();
        assertThat(r.claims()).as("claims for later filters").isNotNull();
        assertThat(r.claims().getString("sub")).isEqualTo("alice");
    }

    @Test
    void anUnknownKidWaitsForTheJwksUrlToBeFetchedAndResumes() throws Exception {
        vertx = Vertx.vertx();
        AtomicInteger hits = new AtomicInteger();
        HttpServer server = Await.result(vertx.createHttpServer().requestHandler(req -> {
            hits.incrementAndGet();
            req.response().putHeader("Content-Type", "application/json").end(jwks(rsaJwk(rsa, "r1", null)));
        }).listen(0, "127.0.0.1"));
        AtomicLong clock = new AtomicLong();
        JwksSource source = new JwksSource("http://127.0.0.1:" + server.actualPort() + "/jwks", clock::get);
        JwtFilter f = new JwtFilter(new FilterConfig.Jwt("https://id.example.com", "api", "unused", null), source);
        assertThat(f.async()).isTrue();

        // Nothing fetched yet: the request waits for the fetch, then passes with its claims set.
        TestRequest r = bearer(sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(now() + 60)))
                .vertx(vertx);
        assertThat(Await.result(f.onRequestAsync(r))).isNull();
        assertThat(r.claims()).as("claims for later filters").isNotNull();
        assertThat(r.claims().getString("sub")).isEqualTo("alice");
        assertThat(hits.get()).isEqualTo(1);

        // A known key answers at once, without a fetch.
        TestRequest again = bearer(sign(rsa.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
                claims(now() + 60))).vertx(vertx);
        Future<ProxyFilter.Rejection> known = f.onRequestAsync(again);
        assertThat(known.isComplete()).isTrue();
        assertThat(known.result()).isNull();

        // A made-up kid within 30 s of the last fetch is refused at once: no fetch per forged token.
        TestRequest forged = bearer(sign(rsa2.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"r2\"}",
                claims(now() + 60))).vertx(vertx);
        Future<ProxyFilter.Rejection> refused = f.onRequestAsync(forged);
        assertThat(refused.isComplete()).isTrue();
        assertRefused(refused.result(), forged, "invalid_token");
        // After 30 s it fetches again; the key is still not there, so still refused.
        clock.addAndGet(JwksSource.MIN_INTERVAL_NANOS);
        assertRefused(Await.result(f.onRequestAsync(forged)), forged, "invalid_token");
        assertThat(hits.get()).isEqualTo(2);

        // No token: challenged at once, no fetch.
        TestRequest none = TestRequest.get().vertx(vertx);
        assertRefused(Await.result(f.onRequestAsync(none)), none, null);
        assertThat(hits.get()).isEqualTo(2);
        f.close();
    }
}
