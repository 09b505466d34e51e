package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
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

/** JWT verification and JWKS sources directly. */
class JwtFilterTest {

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

    static String rsaJwk(KeyPair kp, String kid, String alg) {
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

    static String jwks(String... keys) {
        return "{\"keys\":[" + String.join(",", keys) + "]}";
    }

    static String claims(long exp) {
        return "{\"iss\":\"https://id.example.com\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":" + exp + "}";
    }

    /** A compact JWS over a raw header. */
    static String sign(PrivateKey key, String header, String claims) throws Exception {
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
}
