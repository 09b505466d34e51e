package dev.gatehouse.proxy.security;

import dev.gatehouse.proxy.security.Corpus.Case;
import dev.gatehouse.proxy.security.Corpus.Expect;
import dev.gatehouse.proxy.security.Corpus.Legit;
import dev.gatehouse.proxy.security.RecordingBackend.Recorded;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The generated corpus ({@link Corpus}) against a real proxy in front of a {@link RecordingBackend}, over the fast
 * path ({@code /fast/…}, a route without filters) and the full path ({@code /full/…}, a route with a
 * {@code headers} filter), all cases mixed (fixed seed) and run 32 at a time on separate client connections that
 * share the pool's upstream connections, with delays on some answers so that a crossed response would show. A case
 * that hangs is run once more alone afterwards (under a new token, 4 s) before the hang counts, since the machine may
 * be loaded. The pool is sized (32) so that one leaked slot does not turn the rest of the corpus into hangs; leaks
 * are caught by (d) from the Prometheus gauges instead, and the small-pool early-answer leak by
 * {@link AdversarialDefectsIT}.
 *
 * <p>Invariants, each checked per path:
 * <ol type="a">
 *   <li>the backend receives only requests a client sent whole and the proxy routed: each recorded request is one
 *   of its case's forwardable requests, with its method and body, once, carrying the proxy's {@code Via} and
 *   {@code X-Request-Id}; the backend's strict parser finds nothing it cannot parse;</li>
 *   <li>a response reaches only the client whose request caused it, in order;</li>
 *   <li>a refused request gets a 4xx (or 501/505) or a closed connection within 2 s, never a hang, and a framing
 *   error also closes the connection;</li>
 *   <li>nothing leaks: afterwards {@code gatehouse_listener_requests_active} and
 *   {@code gatehouse_backend_active_requests} fall to zero and the pool still serves normal requests.</li>
 * </ol>
 * Plus: the valid requests of the corpus are served. Failures list every offending case with its bytes.
 */
class AdversarialCorpusIT {

    static final int REPS = Integer.getInteger("adversarial.reps", 2);
    static final Duration CASE_TIMEOUT = Duration.ofSeconds(2);
    static final String YAML = "listeners:\n"
            + "  - { name: public, host: 127.0.0.1, port: 0, header-timeout: 1s }\n"
            + "pools:\n"
            + "  - name: p\n"
            + "    max-connections: " + Integer.getInteger("adversarial.pool", 32) + "\n"
            + "    backends:\n"
            + "      - { url: \"${backend}\" }\n"
            + "routes:\n"
            + "  - name: full\n"
            + "    pool: p\n"
            + "    match: { path-prefix: /full/ }\n"
            + "    timeout: 10s\n"
            + "    filters: [ { type: headers, request: { set: { X-Full-Path: \"1\" } } } ]\n"
            + "  - name: fast\n"
            + "    pool: p\n"
            + "    match: { path-prefix: / }\n"
            + "    timeout: 10s\n";

    static SecurityProxy p;
    static final List<Case> cases = new ArrayList<>();
    static final Map<String, Case> byToken = new HashMap<>();
    /** Violations by invariant ("a", "b", "c", "d", "served") and path prefix. */
    static final Map<String, List<String>> violations = new ConcurrentHashMap<>();
    static long corpusMillis;
    static final List<Case> hung = new CopyOnWriteArrayList<>();
    static final java.util.concurrent.atomic.AtomicInteger slow = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void runCorpus() throws Exception {
        p = SecurityProxy.start(YAML);
        List<Case> fast = Corpus.generate("/fast", 0, REPS);
        cases.addAll(fast);
        cases.addAll(Corpus.generate("/full", fast.size(), REPS));
        for (Case c : cases) {
            byToken.put(c.token(), c);
        }
        List<Case> order = new ArrayList<>(cases);
        Collections.shuffle(order, new Random(Corpus.SEED));
        warmUp();
        long start = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(Integer.getInteger("adversarial.clients", 32));
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Case c : order) {
                running.add(clients.submit(() -> runCase(c)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            for (int i = 0; i < running.size(); i++) {
                try {
                    running.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    add("c", order.get(i).prefix(), "the corpus did not finish in 90 s: case not run to its end"
                            + "\n      case " + order.get(i).describe());
                }
            }
        } finally {
            clients.shutdownNow();
        }
        retryHung();
        corpusMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("adversarial corpus: %d cases in %d ms; %d took over 1.5 s; %d hung and were run again%n",
                cases.size(), corpusMillis, slow.get(), hung.size());
        // Slow smuggled requests (delay=300) and aborted bodies settle before the backend is audited.
        try {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> p.backend.inFlight.get() == 0 && p.inFlight() == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            for (String prefix : List.of("/fast", "/full")) {
                add("d", prefix, "still in flight 5 s after the corpus: proxy " + p.inFlight() + ", backend "
                        + p.backend.inFlight.get());
            }
        }
        auditBackend();
        checkPoolStillServes();
        writeReport();
    }

    /** Every violation, not only the first 40 an assertion shows, for whoever fixes them. */
    private static void writeReport() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(violations).forEach((k, list) -> {
            sb.append("== ").append(k).append(": ").append(list.size()).append('\n');
            list.forEach(v -> sb.append("  - ").append(v).append('\n'));
        });
        try {
            java.nio.file.Path out = java.nio.file.Path.of("target", "adversarial-corpus-violations.txt");
            java.nio.file.Files.createDirectories(out.getParent());
            java.nio.file.Files.writeString(out, sb);
        } catch (java.io.IOException e) {
            System.out.println("cannot write the violation report: " + e);
        }
    }

    /** A cold JVM answers its first requests in seconds: warm both paths up so that 2 s means a hang. */
    private static void warmUp() {
        for (int i = 0; i < 60; i++) {
            String id = String.format("c%05dr0", 98_000 + i);
            try (Wire w = Wire.connect(p.port())) {
                w.send("POST " + (i % 2 == 0 ? "/fast" : "/full") + "/t-" + id + " HTTP/1.1\r\nHost: adv.test\r\n"
                        + "X-Case: " + id + "\r\nContent-Length: 2\r\n\r\nokGET /fast/t-" + id
                        + " HTTP/1.1\r\nHost: adv.test\r\nX-Case: " + id + "\r\n\r\n");
                w.read(System.nanoTime() + TimeUnit.SECONDS.toNanos(5), false);
                w.read(System.nanoTime() + TimeUnit.SECONDS.toNanos(5), false);
            }
        }
        p.backend.clear();
    }

    @AfterAll
    static void stop() {
        if (p != null) {
            p.close();
        }
    }

    private static void add(String invariant, String prefix, String what) {
        violations.computeIfAbsent(invariant + prefix, k -> new CopyOnWriteArrayList<>()).add(what);
    }

    // ---------------------------------------------------------------- client side: invariants b and c

    private static void runCase(Case c) {
        runCase(c, CASE_TIMEOUT, true);
    }

    /**
     * Runs one case; with {@code mayRetry}, a hang is not yet a verdict: the case is run again alone afterwards
     * (under a new token, with a longer deadline), since the machine running the suite may be loaded.
     */
    private static void runCase(Case c, Duration timeout, boolean mayRetry) {
        List<String> found = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            client(c, found, timeout);
        } catch (RuntimeException e) {
            found.add("c|client error " + e);
        }
        if (mayRetry && found.removeIf(f -> f.startsWith("c|hang"))) {
            hung.add(c);
        }
        if (System.nanoTime() - t0 > 1_500_000_000L) {
            slow.incrementAndGet();
        }
        for (String f : found) {
            int bar = f.indexOf('|');
            add(f.substring(0, bar), c.prefix(), f.substring(bar + 1) + "\n      case " + c.describe());
        }
    }

    private static void client(Case c, List<String> v, Duration timeout) {
        try (Wire w = Wire.connect(p.port())) {
            for (int i = 0; i < c.parts().size(); i++) {
                if (i > 0) {
                    pause(30);
                }
                if (!w.send(c.parts().get(i))) {
                    break; // closed by the proxy: its answer (or the close) is read below
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            if (c.expect() == Expect.RAW) {
                if (!w.anythingBefore(deadline)) {
                    v.add("c|hang: neither a byte nor a close within " + timeout.toMillis() + " ms");
                }
                return;
            }
            int served = 0;
            int next = 0;
            int responses = 0;
            while (responses < c.requestCount()) {
                Wire.Resp r = w.read(deadline, false);
                switch (r.kind()) {
                    case CLOSED -> {
                        if (c.expect() == Expect.ACCEPT && served < c.legit().size() || served < c.mustServe()) {
                            v.add("served|closed after " + served + " answers, " + c.mustServe() + " expected");
                        }
                        return;
                    }
                    case TIMEOUT -> {
                        v.add("c|hang: " + responses + " response(s), then neither a response nor a close within "
                                + timeout.toMillis() + " ms");
                        return;
                    }
                    case GARBLED -> {
                        v.add("c|not an HTTP/1.1 response: " + r.problem());
                        return;
                    }
                    default -> {
                    }
                }
                if (r.status() == 101) {
                    if (!c.allow101()) {
                        v.add("c|101 Switching Protocols where no upgrade may happen");
                    }
                    return;
                }
                if (r.status() < 200) {
                    continue;
                }
                responses++;
                String echo = r.header("X-Echo-Id");
                if (echo != null) {
                    int idx = -1;
                    for (int i = next; i < c.legit().size(); i++) {
                        if (c.legit().get(i).id().equals(echo)) {
                            idx = i;
                            break;
                        }
                    }
                    if (idx < 0) {
                        v.add(foreign(c, echo, next));
                        return;
                    }
                    if (!r.text().startsWith("echo " + echo + " ")) {
                        v.add("b|X-Echo-Id " + echo + " on the body of another response: " + r.text().strip());
                    }
                    next = idx + 1;
                    served++;
                } else {
                    int s = r.status();
                    boolean refusal = s >= 400 && s < 500 || s == 501 || s == 505 || c.extraStatuses().contains(s);
                    if (!refusal) {
                        v.add((s == 504 || s == 502 || s == 503 ? "c|" : "c|") + "answered " + r.statusLine()
                                + " (neither the backend's answer nor a 4xx/501/505 refusal)");
                    } else if (c.expect() == Expect.ACCEPT || served < c.mustServe()) {
                        v.add("served|valid request refused: " + r.statusLine());
                    }
                    if (c.mustClose()) {
                        if (!w.closedBefore(deadline)) {
                            v.add("c|refused with " + s + " but the connection stayed open (its framing is unknown)");
                        }
                        return;
                    }
                    // Refused but kept open: what the client pipelined next is answered (or the connection closes).
                }
            }
            if (c.expect() == Expect.ACCEPT && served < c.legit().size()) {
                v.add("served|only " + served + " of " + c.legit().size() + " requests served");
            }
        }
    }

    /**
     * Hung cases again, under token {@code d…} instead of {@code c…}, eight at a time, with 8 s each: long enough for
     * the corpus' own slow-body clients (which hold upstream connections until they give up) to have let go.
     */
    private static void retryHung() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Case c : hung) {
                Case again = Corpus.retoken(c, 'd');
                byToken.put(again.token(), again);
                running.add(clients.submit(() -> runCase(again, Duration.ofSeconds(8), false)));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdownNow();
        }
    }

    private static String foreign(Case c, String echo, int next) {
        Case owner = echo.length() >= 6 ? byToken.get(echo.substring(0, 6)) : null;
        if (owner == c && echo.endsWith("s")) {
            return "a|the client received the answer to the request it smuggled (" + echo + ")";
        }
        if (owner == c && c.expect() == Expect.REJECT) {
            return "c|a request that must be refused was served (" + echo + ")";
        }
        if (owner != null && owner != c) {
            return "b|CROSSED: received the response to " + echo + " (case " + owner.token() + ", " + owner.label() + ")";
        }
        for (int i = 0; i < next && i < c.legit().size(); i++) {
            if (c.legit().get(i).id().equals(echo)) {
                return "b|response to " + echo + " again or out of order";
            }
        }
        return "b|received the backend's answer to " + echo + ", a request that must never reach it";
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- backend side: invariant a

    private static void auditBackend() {
        Map<String, Integer> seen = new HashMap<>();
        for (Recorded r : p.backend.requests) {
            String id = r.id();
            Case c = id == null || id.length() < 6 ? null : byToken.get(id.substring(0, 6));
            String prefix = c != null ? c.prefix() : r.target().startsWith("/full") ? "/full" : "/fast";
            String where = "\n      recorded " + r + (c == null ? "" : "\n      case " + c.describe());
            if (r.header("Via") == null || r.header("X-Request-Id") == null) {
                add("a", prefix, "SMUGGLED: a request without the proxy's Via/X-Request-Id reached the backend" + where);
                continue;
            }
            if (c == null) {
                add("a", prefix, "a request of no case reached the backend" + where);
                continue;
            }
            Legit legit = c.legit().stream().filter(l -> l.id().equals(id)).findFirst().orElse(null);
            if (legit == null) {
                add("a", prefix, "request " + id + " reached the backend though it must not" + where);
                continue;
            }
            if (!legit.method().equals(r.method())) {
                add("a", prefix, "method " + r.method() + " instead of " + legit.method() + where);
            }
            if (!legit.bodies().contains(r.bodyText())) {
                add("a", prefix, "body differs from what the client sent (" + legit.bodies().stream()
                        .map(b -> RecordingBackend.printable(b, 60)).toList() + ")" + where);
            }
            if (seen.merge(id, 1, Integer::sum) == 2) {
                add("a", prefix, "request " + id + " reached the backend more than once" + where);
            }
            String upgrade = String.valueOf(r.header("Upgrade")).toLowerCase(Locale.ROOT);
            if (upgrade.contains("h2c") || r.header("HTTP2-Settings") != null) {
                add("a", prefix, "h2c upgrade forwarded to the backend" + where);
            }
            for (Map.Entry<String, String> h : r.headers()) {
                String n = h.getKey().toLowerCase(Locale.ROOT).replace('_', '-');
                if (n.equals("x-client-cert-subject") || n.equals("x-client-cert-fingerprint")) {
                    add("a", prefix, "client-supplied identity header " + h.getKey() + " forwarded" + where);
                }
            }
        }
        for (RecordingBackend.Evidence e : p.backend.suspicious) {
            // The offending bytes start with the request line, whose target names the path.
            int full = e.bytes().indexOf("/full/");
            int fast = e.bytes().indexOf("/fast/");
            String prefix = full >= 0 && (fast < 0 || full < fast) ? "/full" : "/fast";
            add("a", prefix, "the backend's strict parser refused what the proxy sent: " + e);
        }
    }

    // ---------------------------------------------------------------- invariant d

    private static void checkPoolStillServes() {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String prefix = i % 2 == 0 ? "/fast" : "/full";
                String id = String.format("c%05dr0", 99_000 + i);
                results.add(clients.submit(() -> {
                    try (Wire w = Wire.connect(p.port())) {
                        w.send("GET " + prefix + "/t-" + id + " HTTP/1.1\r\nHost: adv.test\r\nX-Case: " + id
                                + "\r\nX-Delay: 20\r\n\r\n");
                        Wire.Resp r = w.read(System.nanoTime() + TimeUnit.SECONDS.toNanos(3), false);
                        return r.status() == 200 && id.equals(r.header("X-Echo-Id")) ? null
                                : prefix + " " + id + ": " + r;
                    }
                }));
            }
            for (int i = 0; i < results.size(); i++) {
                String failure = results.get(i).get(10, TimeUnit.SECONDS);
                if (failure != null) {
                    add("d", failure.substring(0, 5), "after the corpus, a normal request failed: " + failure);
                }
            }
        } catch (Exception e) {
            add("d", "/fast", "after the corpus, normal requests failed: " + e);
            add("d", "/full", "after the corpus, normal requests failed: " + e);
        } finally {
            clients.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- the tests

    private static void assertNone(String invariant, String prefix, String what) {
        List<String> found = violations.getOrDefault(invariant + prefix, List.of());
        Map<String, Long> byKind = new TreeMap<>();
        for (String f : found) {
            int at = f.lastIndexOf("\n      case ");
            String kind = at < 0 ? "-" : f.substring(f.indexOf('[', at) + 1, f.indexOf(']', at));
            byKind.merge(kind, 1L, Long::sum);
        }
        String sample = found.stream().limit(40).collect(Collectors.joining("\n  - ", "\n  - ", ""));
        assertThat(found).as("%s on %s: %d violation(s) by class %s; first ones:%s", what, prefix, found.size(), byKind,
                sample).isEmpty();
    }

    @Test
    void corpusIsLargeAndDeterministic() {
        assertThat(cases.size()).as("corpus size").isGreaterThanOrEqualTo(2000);
        List<Case> again = Corpus.generate("/fast", 0, REPS);
        assertThat(again.get(again.size() - 1).describe()).isEqualTo(cases.get(again.size() - 1).describe());
        System.out.printf("adversarial corpus: %d cases (%d per path) in %d ms, backend recorded %d requests%n",
                cases.size(), cases.size() / 2, corpusMillis, p.backend.requests.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void a_backendReceivesOnlyWholeRoutedClientRequests(String prefix) {
        assertNone("a", prefix, "(a) the backend received what no client sent whole");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void b_responsesReachOnlyTheClientThatCausedThem(String prefix) {
        assertNone("b", prefix, "(b) crossed or misordered responses");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void c_refusedRequestsGetA4xxOrACloseNeverAHang(String prefix) {
        assertNone("c", prefix, "(c) refusals");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void d_nothingLeaks(String prefix) {
        assertNone("d", prefix, "(d) leaks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fast", "/full"})
    void validRequestsOfTheCorpusAreServed(String prefix) {
        assertNone("served", prefix, "valid requests");
    }
}
