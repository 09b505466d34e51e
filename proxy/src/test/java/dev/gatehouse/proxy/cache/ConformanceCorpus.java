package dev.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The HTTP caching conformance corpus under {@code src/test/resources/cache-conformance/}: one YAML file per class of
 * rules, each a list of cases (one per rule) with the RFC section, a short quote of the requirement, a script of
 * origin answers, client requests and waits, and what the client and the origin must see. Every key is checked here,
 * so a misspelt expectation fails the corpus instead of silently checking nothing. The format is described in
 * {@code docs/cache-conformance.md}.
 */
final class ConformanceCorpus {

    static final String DIR = "cache-conformance";

    /** One case: {@code file} is its class of rules (the YAML file's name without extension). */
    record Case(String file, String id, String rule, String rfc, String quote, JsonNode route, String routeTimeout,
                JsonNode cache, String knownFailure, List<JsonNode> steps) {
    }

    static final Set<String> CASE_KEYS = Set.of("id", "rule", "rfc", "quote", "route", "route-timeout", "cache",
            "known-failure", "steps");
    static final Set<String> CACHE_KEYS = Set.of("max-entry-size", "keep", "collapse-wait");
    static final Set<String> ROUTE_KEYS = Set.of("default-ttl", "store-set-cookie", "strip-cdn-cache-control");
    static final Set<String> STEP_KINDS = Set.of("origin", "request", "wait", "await", "origin-down");
    static final Set<String> ORIGIN_KEYS = Set.of("method", "path", "status", "headers", "body", "body-size", "delay",
            "validate", "close", "chunked");
    static final Set<String> REQUEST_KEYS = Set.of("method", "path", "host", "headers", "body", "repeat", "parallel");
    static final Set<String> AWAIT_KEYS = Set.of("origin-requests", "stores");
    static final Set<String> EXPECT_KEYS = Set.of("status", "status-in", "body", "body-not", "body-length", "headers",
            "cache-status", "origin-requests", "origin-request", "headers-as-request", "any-of");
    static final Set<String> ORIGIN_REQUEST_KEYS = Set.of("method", "uri", "headers");
    static final Set<String> HEADER_SPEC_KEYS = Set.of("absent", "present", "equals", "not", "matches", "min", "max");
    static final Set<String> CACHE_STATUS_KEYS = Set.of("hit", "fwd", "fwd-status", "ttl", "stored", "collapsed",
            "key", "detail");

    private ConformanceCorpus() {
    }

    /** Every case, files in name order, cases in file order. */
    static List<Case> load() {
        Path dir;
        try {
            dir = Path.of(ConformanceCorpus.class.getResource("/" + DIR).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<Case> cases = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                String file = f.getFileName().toString().replaceFirst("\\.yaml$", "");
                JsonNode root = yaml.readTree(f.toFile());
                if (!root.isArray()) {
                    throw new IllegalArgumentException(file + ": expected a list of cases");
                }
                for (JsonNode c : root) {
                    Case parsed = parse(file, c);
                    if (!ids.add(parsed.id())) {
                        throw new IllegalArgumentException(file + ": duplicate case id " + parsed.id());
                    }
                    cases.add(parsed);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }

    private static Case parse(String file, JsonNode c) {
        String where = file + ": " + c.path("id").asText("(no id)");
        keys(where, c, CASE_KEYS);
        for (String required : List.of("id", "rule", "rfc", "quote", "steps")) {
            if (!c.hasNonNull(required)) {
                throw new IllegalArgumentException(where + ": missing " + required);
            }
        }
        if (c.has("route")) {
            keys(where + ".route", c.get("route"), ROUTE_KEYS);
        }
        if (c.has("cache")) {
            keys(where + ".cache", c.get("cache"), CACHE_KEYS);
        }
        List<JsonNode> steps = new ArrayList<>();
        int i = 0;
        for (JsonNode s : c.get("steps")) {
            i++;
            String sw = where + ".steps[" + i + "]";
            List<String> kinds = new ArrayList<>();
            s.fieldNames().forEachRemaining(n -> {
                if (STEP_KINDS.contains(n)) {
                    kinds.add(n);
                }
            });
            if (kinds.size() != 1) {
                throw new IllegalArgumentException(sw + ": expected exactly one of " + STEP_KINDS);
            }
            String kind = kinds.get(0);
            keys(sw, s, kind.equals("request") ? Set.of("request", "expect") : Set.of(kind));
            switch (kind) {
                case "origin" -> {
                    keys(sw + ".origin", s.get("origin"), ORIGIN_KEYS);
                    textValues(sw + ".origin.headers", s.get("origin").get("headers"));
                }
                case "request" -> {
                    keys(sw + ".request", s.get("request"), REQUEST_KEYS);
                    textValues(sw + ".request.headers", s.get("request").get("headers"));
                    if (s.has("expect")) {
                        expect(sw + ".expect", s.get("expect"));
                    }
                }
                case "await" -> keys(sw + ".await", s.get("await"), AWAIT_KEYS);
                case "wait" -> {
                    if (!s.get("wait").isNumber() || s.get("wait").asDouble() > 3.2) {
                        throw new IllegalArgumentException(sw + ".wait: seconds, at most 3.2");
                    }
                }
                default -> {
                }
            }
            steps.add(s);
        }
        return new Case(file, c.get("id").asText(), c.get("rule").asText(), c.get("rfc").asText(),
                c.get("quote").asText(), c.get("route"), c.hasNonNull("route-timeout") ? c.get("route-timeout").asText() : null,
                c.get("cache"), c.hasNonNull("known-failure")
                ? c.get("known-failure").asText() : null, List.copyOf(steps));
    }

    private static void expect(String where, JsonNode e) {
        keys(where, e, EXPECT_KEYS);
        if (e.has("headers")) {
            headerSpecs(where + ".headers", e.get("headers"));
        }
        if (e.has("cache-status")) {
            JsonNode cs = e.get("cache-status");
            keys(where + ".cache-status", cs, CACHE_STATUS_KEYS);
            cs.fields().forEachRemaining(f -> {
                if (f.getValue().isObject()) {
                    keys(where + ".cache-status." + f.getKey(), f.getValue(), HEADER_SPEC_KEYS);
                }
            });
        }
        if (e.has("origin-request")) {
            keys(where + ".origin-request", e.get("origin-request"), ORIGIN_REQUEST_KEYS);
            if (e.get("origin-request").has("headers")) {
                headerSpecs(where + ".origin-request.headers", e.get("origin-request").get("headers"));
            }
        }
        if (e.has("any-of")) {
            int i = 0;
            for (JsonNode alt : e.get("any-of")) {
                expect(where + ".any-of[" + ++i + "]", alt);
            }
        }
    }

    private static void headerSpecs(String where, JsonNode headers) {
        headers.fields().forEachRemaining(f -> {
            if (f.getValue().isObject()) {
                keys(where + "." + f.getKey(), f.getValue(), HEADER_SPEC_KEYS);
            }
        });
    }

    /** YAML reads yes, no, on, off as booleans: a header value must have been written as text. */
    private static void textValues(String where, JsonNode headers) {
        if (headers == null) {
            return;
        }
        headers.fields().forEachRemaining(f -> {
            for (JsonNode v : f.getValue().isArray() ? f.getValue() : List.of(f.getValue())) {
                if (v.isBoolean() || v.isNull() || v.isContainerNode()) {
                    throw new IllegalArgumentException(where + "." + f.getKey() + ": quote the value (" + v + ")");
                }
            }
        });
    }

    private static void keys(String where, JsonNode node, Set<String> allowed) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown key " + k + " (expected one of "
                        + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    /** The conformance table (Markdown): per class of rules, one row per case: rule, RFC section, test id. */
    static String table(List<Case> cases) {
        StringBuilder b = new StringBuilder();
        b.append("# HTTP caching conformance (end to end through the proxy)\n\n");
        b.append("Generated from `proxy/src/test/resources/cache-conformance/*.yaml` by `CacheConformanceTableTest`; do not\n");
        b.append("edit by hand. Each row is one case of `CacheConformanceIT`, which starts a real origin and a fresh\n");
        b.append("Gatehouse with a caching route for it, plays its script (origin answers, client requests over a raw\n");
        b.append("socket, real waits) and checks what the client and the origin saw. Run it with\n\n");
        b.append("```\n./mvnw -q -B -o verify -pl proxy -am -Dtest=none -Dit.test='CacheConformanceIT' \\\n");
        b.append("    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false\n```\n\n");
        b.append("Regenerate this file with `./mvnw -q -B -o test -pl proxy -am -Dtest=CacheConformanceTableTest ");
        b.append("-Dconformance.write=true -Dsurefire.failIfNoSpecifiedTests=false`. Add `-Dconformance.only=13-` to\n");
        b.append("`CacheConformanceIT` to run only the files whose name starts with that prefix.\n\n");
        b.append(FORMAT);
        long known = cases.stream().filter(c -> c.knownFailure() != null).count();
        b.append(cases.size()).append(" cases");
        if (known > 0) {
            b.append(", ").append(known).append(" marked as known failures of the proxy (see the last column)");
        }
        b.append(".\n");
        String file = null;
        for (Case c : cases) {
            if (!c.file().equals(file)) {
                file = c.file();
                b.append("\n## ").append(title(file)).append("\n\n");
                b.append("| Rule | RFC section | Test id | Known failure |\n|---|---|---|---|\n");
            }
            b.append("| ").append(cell(c.rule())).append(" | ").append(cell(c.rfc())).append(" | `")
                    .append(c.id()).append("` | ")
                    .append(c.knownFailure() == null ? "" : cell(c.knownFailure()))
                    .append(" |\n");
        }
        return b.toString();
    }

    /** How a case is written, for whoever adds one. */
    static final String FORMAT = """
            ## Writing a case

            Each file under `proxy/src/test/resources/cache-conformance/` is a YAML list of cases, one per rule:

            ```yaml
            - id: store-get-200-max-age            # unique, kebab-case; the dynamic test's name
              rule: A 200 response to GET with max-age is stored and reused
              rfc: RFC 9111 §3                     # the section the rule comes from
              quote: "A cache MUST NOT store ..."  # a short quote of the requirement
              route: { default-ttl: 60s }          # optional: the route's cache settings (store-set-cookie, ...)
              route-timeout: 1s                    # optional: the route's timeout (default 30s)
              cache: { max-entry-size: 2KB }       # optional: the global cache section
              known-failure: "..."                 # optional: a proxy failure not fixed yet (skipped; fails once it passes)
              steps:
                - origin: { status: 200, headers: { Cache-Control: max-age=60 }, body: hello }
                - request: { path: /a }
                  expect: { status: 200, body: hello, origin-requests: 1 }
                - wait: 1.3                        # seconds of real time (at most 3.2)
                - request: { path: /a, headers: { Cache-Control: max-stale=60 } }
                  expect: { origin-requests: 1, cache-status: { hit: true } }
            ```

            Steps, in order:

            - `origin`: from now on the origin answers requests matching `method` and `path` (both optional) with
              `status`, `headers` (a list value sends several lines), `body` or `body-size` (generated bytes),
              after `delay` seconds; `validate: true` makes it answer 304 to a matching If-None-Match /
              If-Modified-Since (`validate: if-modified-since`: to a matching If-Modified-Since only, whatever the
              If-None-Match); `chunked: true` sends the body chunked; `close: true` closes the connection
              without answering. The newest matching rule answers.
            - `origin-down: true`: the origin stops listening and closes its connections.
            - `request`: `method` (GET), `path`, `host` (the Host field; default the proxy's address), `headers`,
              `body`, `repeat` (send it n times, checking each), `parallel` (n at once, checking each); then
              `expect`.
            - `wait`: seconds; `await`: `{origin-requests: n, stores: n}` waits (at most 5 s) for background work.

            Expectations: `status`, `status-in`, `body`, `body-not`, `body-length`; `headers` (text: the lines
            joined with ", " equal it; a list: exactly these lines; or `{absent, present, equals, not, matches, min,
            max}`); `cache-status` (this cache's member: `hit`/`stored`/... true or false, `fwd: uri-miss`, or a
            value spec; `fwd-status` defaults to the response's status when `fwd` is present, RFC 9211 §2.3);
            `origin-requests` (how many requests the origin has seen, waiting up to 3 s for a background one);
            `origin-request` (`method`, `uri`, `headers` of the last request the origin saw); `headers-as-request: n`
            (the same header lines as the case's n-th response, except Age, Via, Cache-Status, X-Request-Id,
            Connection, Keep-Alive); `any-of` (a list of expectations, one of which must hold).

            Placeholders in values: `${port}`, `${authority}`, `${origin}` (the proxy as the client sees it),
            `${date}`, `${date+N}`, `${date-N}` (an IMF-fixdate N seconds from now, taken when the value is sent).
            Quote values YAML would read as booleans (`"yes"`).

            """;

    private static String title(String file) {
        String name = file.replaceFirst("^\\d+-", "").replace('-', ' ');
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ").trim();
    }
}
