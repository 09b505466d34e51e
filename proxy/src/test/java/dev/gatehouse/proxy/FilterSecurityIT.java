package dev.gatehouse.proxy;

import dev.gatehouse.proxy.filter.BasicAuthFilter;
import dev.gatehouse.proxy.filter.JwtFilterTest;
import dev.gatehouse.proxy.filter.ProxyFilter;
import dev.gatehouse.proxy.filter.RateLimitFilter;
import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Filter hardening through the proxy: the rate limiter's bounded key space, filter state across config swaps, Basic
 * auth's equal cost and load shedding, JWT crit and JWKS rotation from a file and a URL, CORS.
 */
class FilterSecurityIT {

    ProxyHarness h;
    Vertx other;
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
        if (other != null) {
            Await.result(other.close());
        }
    }

    ProxyHarness start(String filters) {
        h = ProxyHarness.start(1, ProxyHarness.simple(1, "", "filters:\n" + filters));
        return h;
    }

    HttpResponse<String> send(HttpRequest.Builder b) {
        return h.send(b.timeout(Duration.ofSeconds(15)).build());
    }

    HttpRequest.Builder req(String path) {
        return HttpRequest.newBuilder(h.uri(path));
    }

    @SuppressWarnings("unchecked")
    <T extends ProxyFilter> T filter(int index) {
        return (T) h.proxy.runtime().current().routes().routes().get(0).filters.get(index);
    }

    /** Applies the same listener-less shared config again with backend b0 at another weight: routes unchanged. */
    void swapUnrelated(String filters, int weight) {
        String yaml = ProxyHarness.simple(1, "", "filters:\n" + filters)
                .replace("\"${b0}\" }", "\"" + h.backends[0].url() + "\", weight: " + weight + " }");
        SharedConfig next = ConfigParser.parseShared(yaml.substring(yaml.indexOf("pools:")));
        ProxyRuntime runtime = h.proxy.runtime();
        long before = runtime.version();
        runtime.apply(next, before + 1);
        assertThat(runtime.config().pools().get(0).backends().get(0).weight()).isEqualTo(weight);
    }

    // ---- rate limit -------------------------------------------------------------------------------------

    @Test
    void twoHundredThousandRotatingHeaderKeysKeepTheKeySpaceBounded() throws Exception {
        // The rate limit runs first and counts every key; the ip-filter then refuses (403) so no request goes
        // upstream. A limited key answers 429 instead.
        start("  - { type: rate-limit, key: header:X-Key, rate: 1/m, burst: 1, max-keys: 1000 }\n"
                + "  - { type: ip-filter, deny: [0.0.0.0/0, \"::/0\"] }\n");
        RateLimitFilter limit = filter(0);
        int total = 200_000;
        int batch = 500;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        int sent = 0;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", h.port()), 5_000);
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 64 * 1024);
            assertThat(exchange(out, in, "alice", 1)).containsExactly(403);
            assertThat(exchange(out, in, "alice", 1)).containsExactly(429);
            while (sent < total && System.nanoTime() < deadline) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < batch; i++) {
                    sb.append("GET /x HTTP/1.1\r\nHost: t\r\nX-Key: k").append(sent + i).append("\r\n\r\n");
                }
                out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                int[] statuses = read(in, batch);
                for (int st : statuses) {
                    assertThat(st).isEqualTo(403);
                }
                sent += batch;
                assertThat(limit.size()).isLessThanOrEqualTo(1000);
                // alice keeps asking: the clock hand skips her bucket, she stays limited
                assertThat(exchange(out, in, "alice", 1)).containsExactly(429);
            }
        }
        assertThat(sent).isEqualTo(total);
        assertThat(limit.size()).isLessThanOrEqualTo(1000);
        assertThat(limit.evicted.sum()).isGreaterThanOrEqualTo(total - 1000);
        assertThat(h.backends[0].hits.get()).isZero();
    }

    private static int[] exchange(OutputStream out, InputStream in, String key, int n) throws Exception {
        out.write(("GET /x HTTP/1.1\r\nHost: t\r\nX-Key: " + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return read(in, n);
    }

    /** Reads {@code n} responses (each with a Content-Length body) and returns their status codes. */
    private static int[] read(InputStream in, int n) throws Exception {
        int[] statuses = new int[n];
        for (int i = 0; i < n; i++) {
            String head = readHead(in);
            statuses[i] = Integer.parseInt(head.substring(9, 12));
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            in.readNBytes(length);
        }
        return statuses;
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("connection closed after " + sb);
            }
            sb.append((char) c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : c == '\r' ? 1 : 0;
        }
        return sb.toString();
    }

    @Test
    void rateLimitsAndRememberedCredentialsSurviveAnUnrelatedConfigSwap() {
        String hash = OpenBSDBCrypt.generate("2y", "s3cret".toCharArray(), salt(), 6);
        String filters = "  - { type: basic, realm: ops, users: [ { name: alice, bcrypt: \"" + hash + "\" } ] }\n"
                + "  - { type: rate-limit, key: header:X-User, rate: 1/m, burst: 2 }\n";
        start(filters);
        String good = basic("alice", "s3cret");
        BasicAuthFilter auth = filter(0);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "u")).statusCode()).isEqualTo(200);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "u")).statusCode()).isEqualTo(200);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "u")).statusCode()).isEqualTo(429);
        assertThat(auth.bcryptRuns.sum()).isEqualTo(1);

        swapUnrelated(filters, 3);
        assertThat((ProxyFilter) filter(0)).isSameAs(auth);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "u")).statusCode())
                .as("still limited after the swap").isEqualTo(429);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "v")).statusCode()).isEqualTo(200);
        assertThat(auth.bcryptRuns.sum()).as("the verified credential was remembered").isEqualTo(1);

        // Changing the limit itself starts it afresh.
        swapUnrelated(filters.replace("burst: 2", "burst: 3"), 3);
        assertThat(send(req("/x").header("Authorization", good).header("X-User", "u")).statusCode()).isEqualTo(200);
    }

    // ---- basic auth -------------------------------------------------------------------------------------

    static byte[] salt() {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return salt;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownUserPaysTheSameBcryptAsAWrongPassword() {
        String hash = OpenBSDBCrypt.generate("2y", "s3cret".toCharArray(), salt(), 8);
        start("  - { type: basic, realm: ops, users: [ { name: alice, bcrypt: \"" + hash + "\" } ] }\n");
        BasicAuthFilter auth = filter(0);
        assertThat(BasicAuthFilter.cost(auth.dummyHash)).isEqualTo(8);
        HttpResponse<String> unknown = send(req("/x").header("Authorization", basic("mallory", "s3cret")));
        assertThat(auth.bcryptRuns.sum()).as("a bcrypt verification ran for the unknown user").isEqualTo(1);
        HttpResponse<String> wrong = send(req("/x").header("Authorization", basic("alice", "guess")));
        assertThat(auth.bcryptRuns.sum()).isEqualTo(2);
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).isEqualTo(wrong.body());
        assertThat(unknown.headers().firstValue("www-authenticate")).isEqualTo(wrong.headers().firstValue("www-authenticate"));
        assertThat(h.backends[0].hits.get()).isZero();
    }

    @Test
    void aSaturatedBcryptPoolShedsWith503AndRetryAfter() throws Exception {
        String hash = OpenBSDBCrypt.generate("2y", "s3cret".toCharArray(), salt(), 4);
        start("  - { type: basic, realm: ops, users: [ { name: alice, bcrypt: \"" + hash + "\" } ] }\n");
        java.util.concurrent.ThreadPoolExecutor pool = h.proxy.runtime().filterFactory().bcrypt.executor();
        CountDownLatch release = new CountDownLatch(1);
        int filled = 0;
        try {
            for (; filled < 10_000; filled++) {
                pool.execute(() -> {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        } catch (RejectedExecutionException full) {
            // threads busy and queue full
        }
        assertThat(filled).isLessThan(100);
        try {
            HttpResponse<String> shed = send(req("/x").header("Authorization", basic("alice", "s3cret")));
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.headers().firstValue("retry-after")).hasValue("1");
            assertThat(h.backends[0].hits.get()).isZero();
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> pool.getQueue().isEmpty() && pool.getActiveCount() == 0);
        assertThat(send(req("/x").header("Authorization", basic("alice", "s3cret"))).statusCode()).isEqualTo(200);
    }

    // ---- jwt --------------------------------------------------------------------------------------------

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static String claims() {
        return "{\"iss\":\"https://id.example.com\",\"aud\":\"api\",\"sub\":\"alice\",\"exp\":"
                + (System.currentTimeMillis() / 1000 + 600) + "}";
    }

    static String token(KeyPair key, String kid) throws Exception {
        return JwtFilterTest.sign(key.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"" + kid + "\"}", claims());
    }

    int bearer(String token) {
        return send(req("/x").header("Authorization", "Bearer " + token)).statusCode();
    }

    @Test
    void aCriticalHeaderParameterIsRefusedAndAJwksFileRotatesWithoutAnAdminWrite() throws Exception {
        KeyPair k1 = rsa();
        KeyPair k2 = rsa();
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, JwtFilterTest.jwks(JwtFilterTest.rsaJwk(k1, "k1", null)));
        start("  - { type: jwt, issuer: \"https://id.example.com\", audience: api, jwks: \"" + file + "\" }\n");
        assertThat(bearer(token(k1, "k1"))).isEqualTo(200);
        String crit = JwtFilterTest.sign(k1.getPrivate(), "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"urn:x\"],"
                + "\"urn:x\":1}", claims());
        assertThat(bearer(crit)).isEqualTo(401);
        assertThat(bearer(token(k2, "k2"))).isEqualTo(401);
        int hits = h.backends[0].hits.get();

        Files.writeString(file, JwtFilterTest.jwks(JwtFilterTest.rsaJwk(k2, "k2", null)));
        await().atMost(Duration.ofSeconds(15)).until(() -> bearer(token(k2, "k2")) == 200);
        assertThat(bearer(token(k1, "k1"))).isEqualTo(401);
        long version = h.proxy.runtime().version();
        assertThat(version).as("no config write").isEqualTo(1);
        assertThat(h.backends[0].hits.get()).isGreaterThan(hits);
    }

    @Test
    void aJwksUrlIsRefreshedOnAnUnknownKidAtMostOnceInThirtySeconds() throws Exception {
        KeyPair k1 = rsa();
        KeyPair k2 = rsa();
        KeyPair k3 = rsa();
        other = Vertx.vertx();
        AtomicInteger fetches = new AtomicInteger();
        AtomicReference<String> served = new AtomicReference<>(JwtFilterTest.jwks(JwtFilterTest.rsaJwk(k1, "k1", null)));
        HttpServer issuer = Await.result(other.createHttpServer().requestHandler(r -> {
            fetches.incrementAndGet();
            r.response().putHeader("Content-Type", "application/json").end(served.get());
        }).listen(0, "127.0.0.1"));
        start("  - { type: jwt, issuer: \"https://id.example.com\", audience: api, "
                + "jwks: \"http://127.0.0.1:" + issuer.actualPort() + "/jwks\" }\n");
        assertThat(bearer(token(k1, "k1"))).isEqualTo(200);
        int afterFirst = fetches.get();
        assertThat(afterFirst).isBetween(1, 2);

        // The issuer rotates: the first token with the new kid makes the proxy fetch again, and passes.
        served.set(JwtFilterTest.jwks(JwtFilterTest.rsaJwk(k2, "k2", null)));
        assertThat(bearer(token(k2, "k2"))).isEqualTo(200);
        assertThat(fetches.get()).isEqualTo(afterFirst + 1);

        // Made-up kids within 30 s fetch nothing more.
        for (int i = 0; i < 20; i++) {
            assertThat(bearer(token(k3, "made-up-" + i))).isEqualTo(401);
        }
        assertThat(fetches.get()).isEqualTo(afterFirst + 1);
        assertThat(bearer(token(k1, "k1"))).as("the rotated-out key").isEqualTo(401);

        // The issuer fails: the keys in hand keep working.
        Await.result(issuer.close());
        assertThat(bearer(token(k2, "k2"))).isEqualTo(200);
    }

    // ---- cors -------------------------------------------------------------------------------------------

    @Test
    void corsWithAnyOriginAndCredentialsIsRefusedAtValidation() {
        assertThatThrownBy(() -> ProxyHarness.start(1, ProxyHarness.simple(1, "",
                "filters:\n  - { type: cors, origins: [\"*\"], credentials: true }\n")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::path).containsExactly("routes[0].filters[0].credentials"));
    }

    @Test
    void corsEchoesOnlyAllowedOriginsOverTheBackendsOwnHeadersAndVariesByOrigin() {
        start("  - { type: cors, origins: [\"https://app.example.com\"], credentials: true }\n");
        h.backends[0].handler = r -> r.response().putHeader("Access-Control-Allow-Origin", "*")
                .putHeader("Access-Control-Allow-Credentials", "true").end("ok");
        HttpResponse<String> evil = send(req("/x").header("Origin", "https://evil.example"));
        assertThat(evil.headers().firstValue("access-control-allow-origin")).isEmpty();
        assertThat(evil.headers().firstValue("access-control-allow-credentials")).isEmpty();
        assertThat(evil.headers().allValues("vary")).contains("Origin");
        HttpResponse<String> app = send(req("/x").header("Origin", "https://app.example.com"));
        assertThat(app.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
        assertThat(app.headers().firstValue("access-control-allow-credentials")).hasValue("true");
        assertThat(app.headers().allValues("vary")).contains("Origin");
        HttpResponse<String> pre = send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example.com").header("Access-Control-Request-Method", "DELETE"));
        assertThat(pre.statusCode()).isEqualTo(403);
        // An OPTIONS that is not a preflight goes to the backend.
        int hits = h.backends[0].hits.get();
        assertThat(send(req("/x").method("OPTIONS", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
        assertThat(h.backends[0].hits.get()).isEqualTo(hits + 1);
    }
}
