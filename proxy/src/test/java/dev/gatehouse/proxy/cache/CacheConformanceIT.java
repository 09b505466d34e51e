package dev.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.Await;
import dev.gatehouse.proxy.GatehouseProxy;
import dev.gatehouse.proxy.cache.ConformanceCorpus.Case;
import dev.gatehouse.proxy.route.ProxyRuntime;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP caching conformance suite, end to end: every case of {@link ConformanceCorpus} gets its own real origin
 * ({@link ScriptedOrigin}) and its own Gatehouse ({@link GatehouseProxy#start}) with one caching route in front of it,
 * so cases never share a cache; a raw-socket client ({@link WireClient}) plays the case's requests and the case's
 * expectations are checked against what the client got and what the origin saw. Cases run in parallel (their waits
 * are real time passing: freshness is the subject), each reported as its own dynamic test named by its id.
 *
 * <p>The proxy's store is the node-local one, wrapped by {@link RecordingStore} only so that a step can wait for the
 * asynchronous store to finish before the next one starts.
 */
class CacheConformanceIT {

    /** Cases at once: enough to overlap their waits, few enough for a loaded 2-core machine. */
    static final int PARALLEL = 8;
    /** Fields the proxy adds to every answer, left out of the "same headers as" comparison. */
    static final List<String> PROXY_ADDED = List.of("age", "via", "cache-status", "x-request-id", "connection",
            "keep-alive");
    static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
            .withZone(ZoneOffset.UTC);
    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z-]+)([+-]\\d+)?}");

    static Vertx vertx;
    static ExecutorService pool;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
        pool = Executors.newFixedThreadPool(PARALLEL);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        Await.result(vertx.close());
    }

    @TestFactory
    List<DynamicNode> conformance() {
        // -Dconformance.only=13- runs the files whose name starts with that prefix (quicker while writing cases).
        String only = System.getProperty("conformance.only", "");
        List<Case> cases = ConformanceCorpus.load().stream().filter(c -> c.file().startsWith(only)).toList();
        Map<String, List<DynamicNode>> byFile = new LinkedHashMap<>();
        for (Case c : cases) {
            Future<?> run = pool.submit(() -> {
                run(c);
                return null;
            });
            byFile.computeIfAbsent(c.file(), f -> new ArrayList<>()).add(DynamicTest.dynamicTest(
                    c.id() + " (" + c.rfc() + ")", () -> outcome(c, run)));
        }
        List<DynamicNode> nodes = new ArrayList<>();
        byFile.forEach((file, tests) -> nodes.add(DynamicContainer.dynamicContainer(file, tests)));
        return nodes;
    }

    /** A known failure that fails is skipped with its note; one that passes fails, so the mark gets removed. */
    private static void outcome(Case c, Future<?> run) throws Throwable {
        Throwable failure = null;
        try {
            run.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (TimeoutException e) {
            run.cancel(true);
            failure = new AssertionError(c.id() + ": did not finish in 120 s");
        }
        if (c.knownFailure() != null) {
            if (failure == null) {
                throw new AssertionError(c.id() + " is marked as a known failure (" + c.knownFailure()
                        + ") but passes now: remove the mark");
            }
            org.junit.jupiter.api.Assumptions.abort("known failure: " + c.knownFailure() + "\n" + failure.getMessage());
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- one case ------------------------------------------------------------------------------------------------

    /** What a running case holds. */
    static final class Run {
        final Case c;
        final AtomicInteger proxyPort = new AtomicInteger();
        ScriptedOrigin origin;
        RecordingStore store;
        GatehouseProxy proxy;
        boolean originDown;
        final List<WireClient.Response> responses = new ArrayList<>();

        Run(Case c) {
            this.c = c;
        }

        /** Expands ${port}, ${authority}, ${origin} (the proxy as the client sees it) and ${date[+-N]}. */
        String resolve(String s) {
            if (s == null || !s.contains("${")) {
                return s;
            }
            Matcher m = PLACEHOLDER.matcher(s);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                long offset = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
                String v = switch (m.group(1)) {
                    case "port" -> String.valueOf(proxyPort.get());
                    case "authority" -> "127.0.0.1:" + proxyPort.get();
                    case "origin" -> "http://127.0.0.1:" + proxyPort.get();
                    case "date" -> HTTP_DATE.format(Instant.now().plusSeconds(offset));
                    default -> throw new IllegalArgumentException(c.id() + ": unknown placeholder " + m.group());
                };
                m.appendReplacement(b, Matcher.quoteReplacement(v));
            }
            m.appendTail(b);
            return b.toString();
        }
    }

    static void run(Case c) {
        Run r = new Run(c);
        try {
            r.origin = new ScriptedOrigin(vertx, r::resolve);
            GatehouseConfig config = ConfigParser.parse(config(c, r.origin.port()));
            ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
            dev.gatehouse.config.CacheConfig sizes = config.shared().cache() != null ? config.shared().cache()
                    : dev.gatehouse.config.CacheConfig.DEFAULT;
            r.store = new RecordingStore(new LocalResponseStore(sizes.maxSize().bytes(), sizes.maxEntrySize().bytes()));
            runtime.responseCache(new ResponseCache(r.store, new LocalMissCollapsing(vertx)));
            r.proxy = Await.result(GatehouseProxy.start(vertx, config, runtime, null));
            r.proxyPort.set(r.proxy.port("public"));
            int n = 0;
            for (JsonNode step : c.steps()) {
                n++;
                step(r, n, step);
            }
        } finally {
            if (r.proxy != null) {
                Await.result(r.proxy.close());
            }
            if (r.origin != null && !r.originDown) {
                r.origin.down();
            }
        }
    }

    static String config(Case c, int originPort) {
        StringBuilder cache = new StringBuilder("enabled: true");
        if (c.route() != null) {
            c.route().fields().forEachRemaining(f -> cache.append(", ").append(f.getKey()).append(": ")
                    .append(f.getValue().asText()));
        }
        StringBuilder global = new StringBuilder();
        if (c.cache() != null) {
            global.append("cache: { ");
            c.cache().fields().forEachRemaining(f -> global.append(f.getKey()).append(": ")
                    .append(f.getValue().asText()).append(", "));
            global.setLength(global.length() - 2);
            global.append(" }\n");
        }
        return global + "listeners:\n  - { name: public, host: 127.0.0.1, port: 0 }\n"
                + "pools:\n  - name: origin\n    backends:\n      - { url: \"http://127.0.0.1:" + originPort + "\" }\n"
                + "routes:\n  - name: cached\n    pool: origin\n    match: { path-prefix: / }\n"
                + "    retries: { attempts: 1 }\n    cache: { " + cache + " }\n"
                + (c.routeTimeout() != null ? "    timeout: " + c.routeTimeout() + "\n" : "");
    }

    private static void step(Run r, int n, JsonNode step) {
        if (step.has("origin")) {
            JsonNode o = step.get("origin");
            r.origin.add(new ScriptedOrigin.Rule(text(o, "method"), text(o, "path"), o.path("status").asInt(200),
                    headerLines(o.get("headers"), s -> s), o.has("body-size") ? generated(o.get("body-size").asInt())
                    : text(o, "body"), Math.round(o.path("delay").asDouble(0) * 1000),
                    o.path("validate").asBoolean(false) || o.path("validate").asText().equals("if-modified-since"),
                    o.path("close").asBoolean(false), o.path("chunked").asBoolean(false),
                    o.path("validate").asText().equals("if-modified-since")));
        } else if (step.has("origin-down")) {
            r.origin.down();
            r.originDown = true;
        } else if (step.has("wait")) {
            try {
                // Time passing is what the case tests (freshness, staleness windows): a real wait.
                Thread.sleep(Math.round(step.get("wait").asDouble() * 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        } else if (step.has("await")) {
            JsonNode a = step.get("await");
            if (a.has("origin-requests")) {
                int want = a.get("origin-requests").asInt();
                check(r, n, until(() -> r.origin.seen.size() >= want, 5_000),
                        "the origin to receive " + want + " requests, it received " + r.origin.seen.size());
            }
            if (a.has("stores")) {
                int want = a.get("stores").asInt();
                check(r, n, until(() -> r.store.putsDone.get() >= want && r.store.inFlight.get() == 0, 5_000),
                        "the store to complete " + want + " writes, it completed " + r.store.putsDone.get());
            }
        } else {
            JsonNode q = step.get("request");
            if (q.has("parallel")) {
                parallel(r, n, step, q.get("parallel").asInt());
                return;
            }
            int repeat = q.path("repeat").asInt(1);
            for (int i = 0; i < repeat; i++) {
                WireClient.Response res = request(r, q);
                r.responses.add(res);
                if (step.has("expect")) {
                    List<String> errors = new ArrayList<>();
                    expect(r, step.get("expect"), res, errors);
                    if (!errors.isEmpty()) {
                        throw new AssertionError(report(r, n, errors, res));
                    }
                }
            }
        }
    }

    /** {@code count} copies of the request at once (each on its own connection), each response checked. */
    private static void parallel(Run r, int n, JsonNode step, int count) {
        JsonNode q = step.get("request");
        String method = q.path("method").asText("GET");
        String host = "127.0.0.1:" + r.proxyPort.get();
        int seenBefore = r.origin.seen.size();
        int putsBefore = r.store.putsStarted.get();
        int removesBefore = r.store.removesStarted.get();
        ExecutorService senders = Executors.newFixedThreadPool(count);
        try {
            List<Future<WireClient.Response>> sent = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < count; i++) {
                sent.add(senders.submit(() -> {
                    go.await();
                    return WireClient.exchange(r.proxyPort.get(), method, r.resolve(q.get("path").asText()), host,
                            headerLines(q.get("headers"), r::resolve), null);
                }));
            }
            go.countDown();
            List<WireClient.Response> responses = new ArrayList<>();
            for (Future<WireClient.Response> f : sent) {
                responses.add(f.get(30, TimeUnit.SECONDS));
            }
            settle(r, method, responses.get(0), seenBefore, putsBefore, removesBefore);
            for (WireClient.Response res : responses) {
                r.responses.add(res);
                if (step.has("expect")) {
                    List<String> errors = new ArrayList<>();
                    expect(r, step.get("expect"), res, errors);
                    if (!errors.isEmpty()) {
                        throw new AssertionError(report(r, n, errors, res));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(r.c.id() + ": a parallel request failed: " + e, e);
        } finally {
            senders.shutdownNow();
        }
    }

    private static WireClient.Response request(Run r, JsonNode q) {
        String method = q.path("method").asText("GET");
        String host = q.has("host") ? r.resolve(q.get("host").asText()) : "127.0.0.1:" + r.proxyPort.get();
        byte[] body = q.has("body") ? r.resolve(q.get("body").asText()).getBytes(StandardCharsets.UTF_8) : null;
        int seenBefore = r.origin.seen.size();
        int putsBefore = r.store.putsStarted.get();
        int removesBefore = r.store.removesStarted.get();
        WireClient.Response res = WireClient.exchange(r.proxyPort.get(), method, r.resolve(q.get("path").asText()),
                host, headerLines(q.get("headers"), r::resolve), body);
        settle(r, method, res, seenBefore, putsBefore, removesBefore);
        return res;
    }

    /**
     * Waits for the store writes (and invalidations) this request caused, which the client's response never waits
     * for: when Cache-Status says {@code stored}, for that write; when the request went to the origin, briefly for a
     * write or a removal to begin; in every case for those begun to finish.
     */
    private static void settle(Run r, String method, WireClient.Response res, int seenBefore, int putsBefore,
            int removesBefore) {
        Map<String, String> params = cacheStatus(res);
        if (params != null && params.containsKey("stored") && !"?0".equals(params.get("stored"))) {
            until(() -> r.store.putsStarted.get() > putsBefore, 3_000);
        } else if (r.origin.seen.size() > seenBefore) {
            if (method.equals("GET")) {
                until(() -> r.store.putsStarted.get() > putsBefore, 150);
            } else if (!method.equals("HEAD")) {
                until(() -> r.store.removesStarted.get() > removesBefore, 150);
            }
        }
        until(() -> r.store.inFlight.get() == 0, 3_000);
    }

    /** Whether {@code condition} holds within {@code millis} (polled every few milliseconds). */
    private static boolean until(BooleanSupplier condition, long millis) {
        if (millis <= 0 || condition.getAsBoolean()) {
            return condition.getAsBoolean();
        }
        try {
            Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .atMost(Duration.ofMillis(millis)).until(condition::getAsBoolean);
            return true;
        } catch (ConditionTimeoutException e) {
            return condition.getAsBoolean();
        }
    }

    private static void check(Run r, int n, boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(report(r, n, List.of("expected " + what), null));
        }
    }

    // ---- expectations ----------------------------------------------------------------------------------------------

    private static void expect(Run r, JsonNode e, WireClient.Response res, List<String> errors) {
        if (e.has("any-of")) {
            List<String> all = new ArrayList<>();
            boolean one = false;
            int i = 0;
            for (JsonNode alt : e.get("any-of")) {
                List<String> altErrors = new ArrayList<>();
                expect(r, alt, res, altErrors);
                if (altErrors.isEmpty()) {
                    one = true;
                    break;
                }
                i++;
                all.add("alternative " + i + ": " + String.join("; ", altErrors));
            }
            if (!one) {
                errors.add("none of the alternatives held: " + String.join(" | ", all));
            }
        }
        if (e.has("status") && res.status() != e.get("status").asInt()) {
            errors.add("status " + e.get("status").asInt() + ", got " + res.status());
        }
        if (e.has("status-in")) {
            boolean in = false;
            for (JsonNode s : e.get("status-in")) {
                in |= s.asInt() == res.status();
            }
            if (!in) {
                errors.add("status in " + e.get("status-in") + ", got " + res.status());
            }
        }
        if (e.has("body") && !r.resolve(e.get("body").asText()).equals(res.text())) {
            errors.add("body \"" + r.resolve(e.get("body").asText()) + "\", got \"" + abbreviate(res.text()) + "\"");
        }
        if (e.has("body-length") && res.body().length != e.get("body-length").asInt()) {
            errors.add("a body of " + e.get("body-length").asInt() + " bytes, got " + res.body().length);
        }
        if (e.has("body-not") && r.resolve(e.get("body-not").asText()).equals(res.text())) {
            errors.add("a body other than \"" + res.text() + "\"");
        }
        if (e.has("headers")) {
            headers(r, "response", e.get("headers"), res::all, errors);
        }
        if (e.has("cache-status")) {
            cacheStatus(r, e.get("cache-status"), res, errors);
        }
        if (e.has("headers-as-request")) {
            sameHeaders(r, e.get("headers-as-request").asInt(), res, errors);
        }
        if (e.has("origin-requests")) {
            int want = e.get("origin-requests").asInt();
            // A background request (stale-while-revalidate) may still be on its way: wait for it, then insist.
            until(() -> r.origin.seen.size() >= want, r.origin.seen.size() < want ? 3_000 : 0);
            if (r.origin.seen.size() != want) {
                errors.add(want + " requests at the origin so far, it saw " + r.origin.seen.size() + " "
                        + r.origin.seen.stream().map(s -> s.method() + " " + s.uri()).toList());
            }
        }
        if (e.has("origin-request")) {
            JsonNode o = e.get("origin-request");
            if (r.origin.seen.isEmpty()) {
                errors.add("a request at the origin, it saw none");
            } else {
                ScriptedOrigin.Seen last = r.origin.seen.get(r.origin.seen.size() - 1);
                if (o.has("method") && !o.get("method").asText().equals(last.method())) {
                    errors.add("the origin's last request to be " + o.get("method").asText() + ", it was "
                            + last.method());
                }
                if (o.has("uri") && !r.resolve(o.get("uri").asText()).equals(last.uri())) {
                    errors.add("the origin's last request for " + o.get("uri").asText() + ", it was " + last.uri());
                }
                if (o.has("headers")) {
                    headers(r, "origin request", o.get("headers"), last::all, errors);
                }
            }
        }
    }

    private static void headers(Run r, String where, JsonNode specs, java.util.function.Function<String,
            List<String>> lines, List<String> errors) {
        for (Iterator<Map.Entry<String, JsonNode>> it = specs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            List<String> got = lines.apply(name);
            String joined = got.isEmpty() ? null : String.join(", ", got);
            JsonNode spec = f.getValue();
            if (spec.isObject()) {
                value(r, where + " " + name, spec, joined, got, errors);
            } else if (spec.isArray()) {
                List<String> want = new ArrayList<>();
                spec.forEach(v -> want.add(r.resolve(v.asText())));
                if (!want.equals(got)) {
                    errors.add(where + " " + name + " lines " + want + ", got " + got);
                }
            } else if (!r.resolve(spec.asText()).equals(joined)) {
                errors.add(where + " " + name + ": \"" + r.resolve(spec.asText()) + "\", got "
                        + (joined == null ? "none" : "\"" + joined + "\""));
            }
        }
    }

    /** A value spec: absent, present, equals, not, matches (whole value), min / max (a number). */
    private static void value(Run r, String what, JsonNode spec, String joined, List<String> lines,
            List<String> errors) {
        if (spec.path("absent").asBoolean(false) && joined != null) {
            errors.add(what + " absent, got \"" + joined + "\"");
        }
        if (spec.path("present").asBoolean(false) && joined == null) {
            errors.add(what + " present, it is absent");
        }
        if (spec.has("equals") && !r.resolve(spec.get("equals").asText()).equals(joined)) {
            errors.add(what + ": \"" + r.resolve(spec.get("equals").asText()) + "\", got " + quoted(joined));
        }
        if (spec.has("not") && r.resolve(spec.get("not").asText()).equals(joined)) {
            errors.add(what + " not \"" + joined + "\"");
        }
        if (spec.has("matches") && (joined == null
                || !Pattern.compile(r.resolve(spec.get("matches").asText())).matcher(joined).matches())) {
            errors.add(what + " matching /" + spec.get("matches").asText() + "/, got " + quoted(joined));
        }
        if (spec.has("min") || spec.has("max")) {
            if (lines.size() != 1 || !lines.get(0).trim().matches("-?\\d+")) {
                errors.add(what + " one integer, got " + lines);
            } else {
                long v = Long.parseLong(lines.get(0).trim());
                if (spec.has("min") && v < spec.get("min").asLong()) {
                    errors.add(what + " >= " + spec.get("min").asLong() + ", got " + v);
                }
                if (spec.has("max") && v > spec.get("max").asLong()) {
                    errors.add(what + " <= " + spec.get("max").asLong() + ", got " + v);
                }
            }
        }
    }

    /**
     * This cache's Cache-Status member (RFC 9211 §2): each parameter's spec. {@code true}/{@code false}: the boolean
     * parameter is set or not; text: the value; an object: a value spec. {@code fwd-status} defaults to the
     * response's status when {@code fwd} is present (§2.3).
     */
    private static void cacheStatus(Run r, JsonNode spec, WireClient.Response res, List<String> errors) {
        Map<String, String> params = cacheStatus(res);
        if (params == null) {
            errors.add("a Cache-Status member for " + CacheStatus.NAME + ", got " + quoted(res.get("Cache-Status")));
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            String got = params.get(name);
            if (name.equals("fwd-status") && got == null && params.containsKey("fwd")) {
                got = String.valueOf(res.status());
            }
            boolean set = got != null && !got.equals("?0");
            JsonNode want = f.getValue();
            String what = "Cache-Status " + name;
            if (want.isBoolean()) {
                if (want.asBoolean() != set) {
                    errors.add(what + (want.asBoolean() ? " set" : " not set") + ", got "
                            + quoted(res.get("Cache-Status")));
                }
            } else if (want.isObject()) {
                value(r, what, want, got, got == null ? List.of() : List.of(got), errors);
            } else if (!want.asText().equals(got)) {
                errors.add(what + "=" + want.asText() + ", got " + quoted(res.get("Cache-Status")));
            }
        }
    }

    /** This cache's member of Cache-Status (the last one named {@code gatehouse}): parameter to value, or null. */
    static Map<String, String> cacheStatus(WireClient.Response res) {
        String field = res.get("Cache-Status");
        if (field == null) {
            return null;
        }
        Map<String, String> mine = null;
        for (String member : split(field, ',')) {
            List<String> parts = split(member, ';');
            if (parts.get(0).trim().equalsIgnoreCase(CacheStatus.NAME)) {
                mine = new LinkedHashMap<>();
                for (String p : parts.subList(1, parts.size())) {
                    int eq = p.indexOf('=');
                    String k = (eq < 0 ? p : p.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
                    String v = eq < 0 ? "?1" : p.substring(eq + 1).trim();
                    if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) {
                        v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
                    }
                    mine.put(k, v);
                }
            }
        }
        return mine;
    }

    /** Splits at {@code sep} outside quoted strings. */
    private static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quoted && ch == '\\' && i + 1 < s.length()) {
                cur.append(ch).append(s.charAt(++i));
                continue;
            }
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == sep && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /**
     * The response's header lines equal those of the case's {@code index}-th response (1-based), in order, names
     * compared case-insensitively and values exactly, except the fields the proxy adds to every answer.
     */
    private static void sameHeaders(Run r, int index, WireClient.Response res, List<String> errors) {
        if (index < 1 || index > r.responses.size()) {
            errors.add("a response number " + index + " to compare with");
            return;
        }
        List<String> want = endToEnd(r.responses.get(index - 1));
        List<String> got = endToEnd(res);
        if (!want.equals(got)) {
            errors.add("the header lines of response " + index + " " + want + ", got " + got);
        }
    }

    private static List<String> endToEnd(WireClient.Response res) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> h : res.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!PROXY_ADDED.contains(name)) {
                out.add(name + ": " + h.getValue());
            }
        }
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static List<Map.Entry<String, String>> headerLines(JsonNode headers,
            java.util.function.UnaryOperator<String> resolve) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        if (headers == null) {
            return out;
        }
        headers.fields().forEachRemaining(f -> {
            if (f.getValue().isArray()) {
                f.getValue().forEach(v -> out.add(Map.entry(f.getKey(), resolve.apply(v.asText()))));
            } else {
                out.add(Map.entry(f.getKey(), resolve.apply(f.getValue().asText())));
            }
        });
        return out;
    }

    /** A body of {@code n} bytes: the 36 digits and letters over and over. */
    static String generated(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append("0123456789abcdefghijklmnopqrstuvwxyz".charAt(i % 36));
        }
        return b.toString();
    }

    private static String text(JsonNode n, String key) {
        return n.hasNonNull(key) ? n.get(key).asText() : null;
    }

    private static String quoted(String s) {
        return s == null ? "none" : "\"" + s + "\"";
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    private static String report(Run r, int step, List<String> errors, WireClient.Response res) {
        StringBuilder b = new StringBuilder();
        b.append(r.c.id()).append(" (").append(r.c.rfc()).append(": \"").append(r.c.quote().trim()).append("\")\n");
        b.append("  step ").append(step).append(": ").append(String.join("\n    and ", errors)).append('\n');
        if (res != null) {
            b.append("  response: ").append(res.status());
            for (Map.Entry<String, String> h : res.headers()) {
                b.append("\n    ").append(h.getKey()).append(": ").append(h.getValue());
            }
            b.append("\n    body: ").append(abbreviate(res.text())).append('\n');
        }
        b.append("  origin saw: ");
        for (ScriptedOrigin.Seen s : r.origin.seen) {
            b.append("\n    ").append(s.method()).append(' ').append(s.uri());
            for (Map.Entry<String, String> h : s.headers()) {
                String n = h.getKey().toLowerCase(Locale.ROOT);
                if (n.startsWith("if-") || n.equals("cache-control") || n.equals("range")) {
                    b.append(" [").append(h.getKey()).append(": ").append(h.getValue()).append(']');
                }
            }
        }
        return b.toString();
    }
}
