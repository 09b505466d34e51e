package dev.gatehouse.proxy.security;

import dev.gatehouse.proxy.security.RecordingBackend.Recorded;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One named test per request-security defect of issue 9 (items 1–4 and 7), against a real proxy in front of a
 * {@link RecordingBackend}, on the fast path ({@code /fast/…}) and the full path ({@code /full/…}, a route with a
 * {@code headers} filter) where both apply.
 */
class AdversarialDefectsIT {

    static final String YAML = "listeners:\n"
            + "  - { name: public, host: 127.0.0.1, port: 0, header-timeout: 2s }\n"
            + "  - { name: trusted, host: 127.0.0.1, port: 0, trusted-proxies: [127.0.0.1/32] }\n"
            + "pools:\n"
            + "  - name: p\n"
            + "    max-connections: 4\n"
            + "    backends: [ { url: \"${backend}\" } ]\n"
            + "  - name: small\n"
            + "    max-connections: 2\n"
            + "    backends: [ { url: \"${backend}\" } ]\n"
            + "routes:\n"
            + "  - name: early\n"
            + "    pool: small\n"
            + "    match: { path-prefix: /full/early/ }\n"
            + "    timeout: 3s\n"
            + "    filters: [ { type: headers, request: { set: { X-Full-Path: \"1\" } } } ]\n"
            + "  - name: full\n"
            + "    pool: p\n"
            + "    match: { path-prefix: /full/ }\n"
            + "    timeout: 3s\n"
            + "    filters: [ { type: headers, request: { set: { X-Full-Path: \"1\" } } } ]\n"
            + "  - name: fast\n"
            + "    pool: p\n"
            + "    match: { path-prefix: / }\n"
            + "    timeout: 3s\n";
    static final String HOST = "adv.test";

    static SecurityProxy p;
    static final AtomicInteger tokens = new AtomicInteger(90_000);

    @BeforeAll
    static void start() {
        p = SecurityProxy.start(YAML);
    }

    @AfterAll
    static void stop() {
        p.close();
    }

    /** A fresh case token: ids {@code <token>r<i>} and {@code <token>s} for the smuggled request. */
    private static String token() {
        return String.format("c%05d", tokens.getAndIncrement());
    }

    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    /** What the backend recorded for {@code token}, once the backend is quiet. */
    private static List<Recorded> recorded(String token) {
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                .until(() -> !p.backend.busyWith(token));
        List<Recorded> out = new ArrayList<>();
        for (Recorded r : p.backend.requests) {
            String id = r.id();
            if (id != null && id.startsWith(token)) {
                out.add(r);
            }
        }
        return out;
    }

    private static void assertNoEvidence() {
        assertThat(p.backend.suspicious).as("framing the backend's strict parser refused").isEmpty();
    }

    private static void assertProxyMarked(Recorded r) {
        assertThat(r.header("Via")).as("Via on " + r).isNotNull();
        assertThat(r.header("X-Request-Id")).as("X-Request-Id on " + r).isNotNull();
    }

    /** Sends {@code request} (then a smuggled tail), expects 400 and a closed connection, nothing forwarded. */
    private static void refused(String token, String request) {
        String smuggled = "GET /fast/t-" + token + "s?delay=300 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";
        try (Wire w = Wire.connect(p.port())) {
            w.send(request + smuggled);
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.kind()).as("answer: " + r).isEqualTo(Wire.Kind.RESPONSE);
            assertThat(r.status()).as(r.statusLine()).isEqualTo(400);
            assertThat(r.header("X-Echo-Id")).as("a backend answer").isNull();
            assertThat(w.closedBefore(in(Duration.ofSeconds(3)))).as("connection closed after the 400").isTrue();
        }
        assertThat(recorded(token)).as("requests forwarded").isEmpty();
        assertNoEvidence();
    }

    // ---------------------------------------------------------------- item 1: Connection-nominated framing

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void connectionNominatingContentLengthKeepsTheBodyAndItsLength(String prefix) {
        String t = token();
        String inner = "GET " + prefix + "/t-" + t + "s?delay=300 HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + "X-Client-Cert-Subject: CN=admin\r\n\r\n";
        try (Wire w = Wire.connect(p.port())) {
            w.send("POST " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "Connection: Content-Length\r\nContent-Length: " + inner.length() + "\r\n\r\n" + inner);
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            assertThat(r.header("X-Echo-Id")).isEqualTo(t + "r0");
        }
        // Another client on the pooled upstream connections gets its own answer, not the smuggled request's.
        String t2 = token();
        try (Wire w = Wire.connect(p.port())) {
            w.send("GET " + prefix + "/t-" + t2 + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t2 + "r0\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.header("X-Echo-Id")).as("the next client's answer: " + r).isEqualTo(t2 + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).as("requests the backend saw").hasSize(1);
        Recorded only = seen.get(0);
        assertProxyMarked(only);
        assertThat(only.bodyText()).isEqualTo(inner);
        assertThat(only.header("Content-Length")).isEqualTo(Integer.toString(inner.length()));
        assertNoEvidence();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void connectionNominatingTransferEncodingKeepsTheChunkedBody(String prefix) {
        String t = token();
        String inner = "GET " + prefix + "/t-" + t + "s?delay=300 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";
        try (Wire w = Wire.connect(p.port())) {
            w.send("POST " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "Connection: keep-alive\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(inner.length()) + "\r\n" + inner + "\r\n0\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            assertThat(r.header("X-Echo-Id")).isEqualTo(t + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).as("requests the backend saw").hasSize(1);
        assertProxyMarked(seen.get(0));
        assertThat(seen.get(0).bodyText()).isEqualTo(inner);
        assertNoEvidence();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void connectionNominatingHostKeepsTheHost(String prefix) {
        String t = token();
        try (Wire w = Wire.connect(p.port())) {
            w.send("GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "Connection: Host, X-Forwarded-For, X-Request-Id, Via\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.header("X-Echo-Id")).as(r.toString()).isEqualTo(t + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).all("Host")).as("Host upstream").containsExactly(HOST);
        assertProxyMarked(seen.get(0));
        assertThat(seen.get(0).header("X-Forwarded-For")).isEqualTo("127.0.0.1");
    }

    // ---------------------------------------------------------------- item 2: Transfer-Encoding and chunk syntax

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void transferEncodingIdentityChunkedIs400AndCloses(String prefix) {
        String t = token();
        refused(t, "POST " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                + "Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void xchunkedNextToContentLengthIs400(String prefix) {
        String t = token();
        refused(t, "POST " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                + "Content-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void chunkSizeFollowedBySpaceIs400(String prefix) {
        String t = token();
        refused(t, "POST " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void http10WithTwoDifferentContentLengthsIs400(String prefix) {
        String t = token();
        refused(t, "POST " + prefix + "/t-" + t + "r0 HTTP/1.0\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                + "Connection: keep-alive\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void twoHostHeadersAre400(String prefix) {
        String t = token();
        refused(t, "GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nHost: evil.test\r\nX-Case: " + t
                + "r0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void emptyHeaderNameIs400(String prefix) {
        String t = token();
        refused(t, "GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                + ": no-name\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void tabInTheRequestLineIs400(String prefix) {
        String t = token();
        refused(t, "GET\t" + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n\r\n");
    }

    // ---------------------------------------------------------------- item 3: pipelining on the fast path

    @Test
    void pipelinedBodiesBehindAnInFlightRequestAreAnsweredInOrderOnTheFastPath() {
        String t = token();
        String b1 = "first body, eleven+";
        String b2 = "second";
        String post1 = "POST /fast/t-" + t + "r1 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r1\r\n"
                + "Content-Length: " + b1.length() + "\r\n\r\n";
        try (Wire w = Wire.connect(p.port())) {
            w.send("GET /fast/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\nX-Delay: 300\r\n\r\n"
                    + post1 + b1.substring(0, 5));
            pause(50);
            w.send(b1.substring(5) + "POST /fast/t-" + t + "r2 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t
                    + "r2\r\nContent-Length: " + b2.length() + "\r\n\r\n" + b2.substring(0, 2));
            pause(50);
            w.send(b2.substring(2) + "GET /fast/t-" + t + "r3 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r3\r\n\r\n");
            long deadline = in(Duration.ofSeconds(4));
            for (int i = 0; i < 4; i++) {
                Wire.Resp r = w.read(deadline, false);
                assertThat(r.kind()).as("answer " + i).isEqualTo(Wire.Kind.RESPONSE);
                assertThat(r.status()).as("answer " + i + ": " + r).isEqualTo(200);
                assertThat(r.header("X-Echo-Id")).as("answer " + i).isEqualTo(t + "r" + i);
            }
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).extracting(Recorded::id).containsExactly(t + "r0", t + "r1", t + "r2", t + "r3");
        assertThat(seen.get(1).bodyText()).isEqualTo(b1);
        assertThat(seen.get(2).bodyText()).isEqualTo(b2);
        seen.forEach(AdversarialDefectsIT::assertProxyMarked);
        assertNoEvidence();
    }

    // ---------------------------------------------------------------- item 4: early answers on the full path

    @Test
    void backendAnsweringBeforeTheBodyLeaksNoPoolSlot() {
        byte[] part = new byte[1000];
        java.util.Arrays.fill(part, (byte) 'x');
        for (int i = 0; i < 10; i++) {
            String t = token();
            try (Wire w = Wire.connect(p.port())) {
                w.send("POST /full/early/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                        + "X-Early: 1\r\nContent-Length: 100000\r\n\r\n");
                w.send(part);
                Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
                assertThat(r.kind()).as("early answer " + i + " (none: a pool slot taken by an earlier one?): " + r)
                        .isEqualTo(Wire.Kind.RESPONSE);
                assertThat(r.header("X-Echo-Id")).as("early answer " + i + ": " + r).isEqualTo(t + "r0");
                if (i % 2 == 0) {
                    // The client goes on sending the rest it announced, then leaves.
                    for (int k = 0; k < 99; k++) {
                        if (!w.send(part)) {
                            break;
                        }
                    }
                }
            }
        }
        // max-connections: 2 — a leaked slot per early answer would leave nothing for these.
        for (int i = 0; i < 4; i++) {
            String t = token();
            try (Wire w = Wire.connect(p.port())) {
                w.send("GET /full/early/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n\r\n");
                Wire.Resp r = w.read(in(Duration.ofSeconds(4)), false);
                assertThat(r.status()).as("normal request " + i + " after the early answers: " + r).isEqualTo(200);
                assertThat(r.header("X-Echo-Id")).isEqualTo(t + "r0");
            }
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(p.metrics().sum("gatehouse_backend_active_requests", "pool", "small"))
                        .as("requests still active on pool small").isZero());
    }

    // ---------------------------------------------------------------- item 7: forwarding headers

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void xForwardedForOnTwoLinesBehindATrustedProxyIsCombined(String prefix) {
        String t = token();
        try (Wire w = Wire.connect(p.port("trusted"))) {
            w.send("GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n"
                    + "Forwarded: for=1.1.1.1\r\nForwarded: for=2.2.2.2\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.header("X-Echo-Id")).as(r.toString()).isEqualTo(t + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).hasSize(1);
        assertThat(String.join(", ", seen.get(0).all("X-Forwarded-For"))).isEqualTo("1.1.1.1, 2.2.2.2, 127.0.0.1");
        String forwarded = String.join(", ", seen.get(0).all("Forwarded")).toLowerCase(Locale.ROOT);
        assertThat(forwarded).as("Forwarded").startsWith("for=1.1.1.1, for=2.2.2.2, for=127.0.0.1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void everyConnectionHeaderLineIsHonored(String prefix) {
        String t = token();
        try (Wire w = Wire.connect(p.port())) {
            w.send("GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "Connection: X-Hop-A\r\nConnection: X-Hop-B\r\nConnection: keep-alive\r\nConnection: X-Hop-C\r\n"
                    + "X-Hop-A: 1\r\nX-Hop-B: 2\r\nX-Hop-C: 3\r\nX-Kept: 4\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.header("X-Echo-Id")).as(r.toString()).isEqualTo(t + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).hasSize(1);
        Recorded r = seen.get(0);
        assertThat(r.header("X-Hop-A")).as("X-Hop-A (first Connection line)").isNull();
        assertThat(r.header("X-Hop-B")).as("X-Hop-B (second Connection line)").isNull();
        assertThat(r.header("X-Hop-C")).as("X-Hop-C (fourth Connection line)").isNull();
        assertThat(r.header("X-Kept")).isEqualTo("4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void underscoreIdentityHeadersAreStripped(String prefix) {
        String t = token();
        try (Wire w = Wire.connect(p.port())) {
            w.send("GET " + prefix + "/t-" + t + "r0 HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + t + "r0\r\n"
                    + "X_Client_Cert_Subject: CN=admin\r\nx_client_cert_fingerprint: 00ff\r\n"
                    + "X-Client_Cert-Subject: CN=root\r\nX-Client-Cert-Subject: CN=admin\r\n\r\n");
            Wire.Resp r = w.read(in(Duration.ofSeconds(3)), false);
            assertThat(r.header("X-Echo-Id")).as(r.toString()).isEqualTo(t + "r0");
        }
        List<Recorded> seen = recorded(t);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).headers()).as("identity headers from the client")
                .noneMatch(h -> h.getKey().toLowerCase(Locale.ROOT).replace('_', '-').startsWith("x-client-cert-"));
    }

    private static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
