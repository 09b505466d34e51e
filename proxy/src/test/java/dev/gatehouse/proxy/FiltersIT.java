package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The built-in filters on real requests: ip-filter, headers, cors, api-key, rate-limit. */
public class FiltersIT {

    ProxyHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    ProxyHarness start(String filters) {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "filters:\n" + filters));
        return h;
    }

    HttpResponse<String> send(HttpRequest.Builder b) {
        return h.send(b.build());
    }

    HttpRequest.Builder req(String path) {
        return HttpRequest.newBuilder(h.uri(path));
    }

    @Test
    void ipFilterDenyWinsAndAnAllowListDeniesTheRest() {
        start("  - { type: ip-filter, allow: [127.0.0.0/8], deny: [127.0.0.1/32] }\n");
        HttpResponse<String> r = h.get("/x");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(h.backends[0].hits.get()).isZero();
        h.close();
        start("  - { type: ip-filter, allow: [10.0.0.0/8] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(403);
        h.close();
        start("  - { type: ip-filter, allow: [127.0.0.0/8, \"::1\"] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
    }

    /** The proxy's own answers pass back through the filters before the one that answered (cors before api-key). */
    @Test
    void aRejectionStillCarriesTheResponseSideOfEarlierFilters() {
        start("  - { type: cors, origins: [\"https://app.example.com\"], methods: [GET] }\n"
                + "  - { type: api-key, header: X-Api-Key, keys: [ { name: ci, sha256: \"" + "ab".repeat(32) + "\" } ] }\n");
        HttpResponse<String> r = send(req("/x").header("Origin", "https://app.example.com"));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        assertThat(h.backends[0].hits.get()).isZero();
    }

    @Test
    void headerRulesEditBothWays() {
        start("  - { type: headers, request: { set: { X-Env: prod }, remove: [X-Debug] },"
                + " response: { set: { X-Frame-Options: DENY }, remove: [X-Backend] } }\n");
        HttpResponse<String> r = send(req("/x").header("X-Debug", "1"));
        JsonObject seen = new JsonObject(r.body()).getJsonObject("headers");
        assertThat(seen.getString("x-env")).isEqualTo("prod");
        assertThat(seen.containsKey("x-debug")).isFalse();
        assertThat(r.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(r.headers().firstValue("x-backend")).isEmpty();
    }

    @Test
    void corsAnswersPreflightsAndDecoratesAllowedOrigins() {
        start("  - { type: cors, origins: [\"https://app.example.com\"], methods: [GET, POST], headers: [Authorization] }\n");
        HttpResponse<String> pre = send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example.com").header("Access-Control-Request-Method", "POST"));
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        assertThat(pre.headers().firstValue("access-control-allow-methods")).hasValue("GET, POST");
        assertThat(h.backends[0].hits.get()).isZero();
        HttpResponse<String> bad = send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST"));
        assertThat(bad.statusCode()).isEqualTo(403);
        HttpResponse<String> get = send(req("/x").header("Origin", "https://app.example.com"));
        assertThat(get.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        HttpResponse<String> other = send(req("/x").header("Origin", "https://evil.example"));
        assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
    }

    @Test
    void apiKeyIsCheckedAgainstItsHashAndNeverReachesTheBackend() throws Exception {
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("s3cret".getBytes(StandardCharsets.UTF_8)));
        start("  - { type: api-key, header: X-Api-Key, keys: [ { name: ci, sha256: \"" + hash + "\" } ] }\n");
        assertThat(h.get("/x").statusCode()).isEqualTo(401);
        assertThat(send(req("/x").header("X-Api-Key", "wrong")).statusCode()).isEqualTo(401);
        HttpResponse<String> ok = send(req("/x").header("X-Api-Key", "s3cret"));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(ok.body()).getJsonObject("headers").containsKey("x-api-key")).isFalse();
        assertThat(h.backends[0].hits.get()).isEqualTo(1);
    }

    @Test
    void rateLimitAdmitsTheBurstThenAnswers429WithRetryAfterPerKey() {
        start("  - { type: rate-limit, key: header:X-User, rate: 1/m, burst: 3 }\n");
        for (int i = 0; i < 3; i++) {
            assertThat(send(req("/x").header("X-User", "alice")).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = send(req("/x").header("X-User", "alice"));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        assertThat(Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
        // Another key has its own bucket.
        assertThat(send(req("/x").header("X-User", "bob")).statusCode()).isEqualTo(200);
        assertThat(h.backends[0].hits.get()).isEqualTo(4);
    }

    @Test
    void clusterScopedLimitsAreSharedAmongTheLiveNodes() {
        start("  - { type: rate-limit, key: client-ip, rate: 1/m, burst: 4, scope: cluster }\n");
        // Two nodes share a burst of 4: this one admits 2.
        h.proxy.runtime().clusterNodes(() -> 2);
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
        assertThat(h.get("/x").statusCode()).isEqualTo(200);
        assertThat(h.get("/x").statusCode()).isEqualTo(429);
    }

    // ---- jwt ------------------------------------------------------------------------------------------------

    static final java.util.Base64.Encoder B64 = java.util.Base64.getUrlEncoder().withoutPadding();

    static String b64(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String sign(java.security.PrivateKey key, String alg, String kid, String claims) throws Exception {
        String input = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}") + "." + b64(claims);
        java.security.Signature s = java.security.Signature.getInstance(alg.startsWith("RS") ? "SHA256withRSA"
                : "SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(s.sign());
    }

    public static String unsigned(java.math.BigInteger v) {
        byte[] b = v.toByteArray();
        if (b[0] == 0) {
            b = java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return B64.encodeToString(b);
    }

    static String pad32(java.math.BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return B64.encodeToString(out);
    }

    @Test
    void jwtVerifiesSignatureIssuerAudienceAndExpiryAndFeedsRateLimitKeys(@org.junit.jupiter.api.io.TempDir
                                                                          java.nio.file.Path dir) throws Exception {
        var rsaGen = java.security.KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        var rsa = rsaGen.generateKeyPair();
        var ecGen = java.security.KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        var ec = ecGen.generateKeyPair();
        var rsaPub = (java.security.interfaces.RSAPublicKey) rsa.getPublic();
        var ecPub = (java.security.interfaces.ECPublicKey) ec.getPublic();
        String jwks = "{\"keys\":["
                + "{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"n\":\"" + unsigned(rsaPub.getModulus())
                + "\",\"e\":\"" + unsigned(rsaPub.getPublicExponent()) + "\"},"
                + "{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",\"x\":\"" + pad32(ecPub.getW().getAffineX())
                + "\",\"y\":\"" + pad32(ecPub.getW().getAffineY()) + "\"}]}";
        java.nio.file.Path file = dir.resolve("jwks.json");
        java.nio.file.Files.writeString(file, jwks);
        start("  - { type: jwt, issuer: \"https://id.example.com\", audience: api, jwks: \"" + file + "\" }\n"
                + "  - { type: rate-limit, key: \"jwt:sub\", rate: 1/m, burst: 2 }\n");
        long now = System.currentTimeMillis() / 1000;
        String good = "{\"iss\":\"https://id.example.com\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":" + (now + 300) + "}";

        assertThat(h.get("/x").statusCode()).isEqualTo(401);
        assertThat(h.get("/x").headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"gatehouse\"");
        String rsToken = sign(rsa.getPrivate(), "RS256", "r1", good);
        assertThat(send(req("/x").header("Authorization", "Bearer " + rsToken)).statusCode()).isEqualTo(200);
        String esToken = sign(ec.getPrivate(), "ES256", "e1", good.replace("alice", "bob"));
        assertThat(send(req("/x").header("Authorization", "Bearer " + esToken)).statusCode()).isEqualTo(200);

        // Tampered payload, wrong issuer, wrong audience, expired, unknown kid, alg none: all 401, none upstream.
        int hits = h.backends[0].hits.get();
        String[] parts = rsToken.split("\\.");
        String tampered = parts[0] + "." + b64(good.replace("alice", "mallory")) + "." + parts[2];
        for (String bad : new String[] {
                tampered,
                sign(rsa.getPrivate(), "RS256", "r1", good.replace("https://id.example.com", "https://evil")),
                sign(rsa.getPrivate(), "RS256", "r1", good.replace("\"api\"", "\"other\"")),
                sign(rsa.getPrivate(), "RS256", "r1", good.replace(Long.toString(now + 300), Long.toString(now - 300))),
                sign(rsa.getPrivate(), "RS256", "nope", good),
                b64("{\"alg\":\"none\"}") + "." + b64(good) + ".",
                "not-a-jwt"}) {
            HttpResponse<String> r = send(req("/x").header("Authorization", "Bearer " + bad));
            assertThat(r.statusCode()).as(bad).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate").orElse("")).contains("invalid_token");
        }
        assertThat(h.backends[0].hits.get()).isEqualTo(hits);

        // The rate limit is per subject claim: alice has one request left of her burst of two, bob is separate.
        assertThat(send(req("/x").header("Authorization", "Bearer " + rsToken)).statusCode()).isEqualTo(200);
        assertThat(send(req("/x").header("Authorization", "Bearer " + rsToken)).statusCode()).isEqualTo(429);
        assertThat(send(req("/x").header("Authorization", "Bearer " + esToken)).statusCode()).isEqualTo(200);
    }

    @Test
    void basicAuthChecksBcryptOffTheEventLoopAndKeepsThePasswordFromTheBackend() {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        String hash = org.bouncycastle.crypto.generators.OpenBSDBCrypt.generate("2y", "s3cret".toCharArray(), salt, 6);
        start("  - { type: basic, realm: ops, users: [ { name: alice, bcrypt: \"" + hash + "\" } ] }\n");
        HttpResponse<String> none = h.get("/x");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate").orElse("")).startsWith("Basic realm=\"ops\"");
        String good = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        String bad = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:guess".getBytes(StandardCharsets.UTF_8));
        String nobody = "Basic " + java.util.Base64.getEncoder().encodeToString("bob:s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(send(req("/x").header("Authorization", bad)).statusCode()).isEqualTo(401);
        assertThat(send(req("/x").header("Authorization", nobody)).statusCode()).isEqualTo(401);
        assertThat(send(req("/x").header("Authorization", "Basic !!!")).statusCode()).isEqualTo(401);
        assertThat(h.backends[0].hits.get()).isZero();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = send(req("/x").header("Authorization", good));
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(ok.body()).getJsonObject("headers").containsKey("authorization")).isFalse();
        }
        assertThat(h.backends[0].hits.get()).isEqualTo(3);
    }
}
