package dev.gatehouse.proxy.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * The generated corpus: malformed and borderline HTTP/1.1 requests by class, each case with a unique token that
 * every request it holds carries (an {@code X-Case} header and a {@code t-<id>} path segment), so the recording
 * backend can attribute what arrives. Deterministic: a fixed seed drives every random choice.
 *
 * <p>Expectations: {@code ACCEPT} (every request answered by the backend, in order), {@code REJECT} (after
 * {@code mustServe} valid requests, a 4xx/501/505 or a closed connection, and nothing more reaches the backend),
 * {@code EITHER} (served correctly or refused), {@code RAW} (not HTTP/1.1: only the backend invariants and no hang).
 */
final class Corpus {

    static final long SEED = 0x5EC_0009L;
    static final String HOST = "adv.test";

    enum Expect { ACCEPT, REJECT, EITHER, RAW }

    /** A request of a case that may reach the backend: its id, method and the bodies it may arrive with. */
    record Legit(String id, String method, Set<String> bodies) {
    }

    record Case(String token, String prefix, String kind, String label, List<byte[]> parts, List<Legit> legit,
                int mustServe, int requestCount, Expect expect, boolean mustClose, boolean allow101,
                Set<Integer> extraStatuses) {

        String describe() {
            StringBuilder sb = new StringBuilder();
            for (byte[] p : parts) {
                sb.append(new String(p, StandardCharsets.ISO_8859_1));
            }
            return token + " " + prefix + " [" + kind + "] " + label + " " + expect + ": "
                    + RecordingBackend.printable(sb.toString(), 300);
        }
    }

    /** The same case under another token: its first letter replaced by {@code letter} in every byte. */
    static Case retoken(Case c, char letter) {
        String from = c.token();
        String to = letter + from.substring(1);
        List<byte[]> parts = new ArrayList<>();
        for (byte[] p : c.parts()) {
            parts.add(new String(p, StandardCharsets.ISO_8859_1).replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
        }
        List<Legit> legit = c.legit().stream()
                .map(l -> new Legit(l.id().replace(from, to), l.method(),
                        l.bodies().stream().map(b -> b.replace(from, to)).collect(java.util.stream.Collectors.toSet())))
                .toList();
        return new Case(to, c.prefix(), c.kind(), c.label() + " (run again)", parts, legit, c.mustServe(),
                c.requestCount(), c.expect(), c.mustClose(), c.allow101(), c.extraStatuses());
    }

    private final List<Case> cases = new ArrayList<>();
    private final Random rnd = new Random(SEED);
    private int next;
    private final String prefix;

    private Corpus(String prefix, int firstToken) {
        this.prefix = prefix;
        this.next = firstToken;
    }

    /** The corpus for routes under {@code prefix} ({@code /fast} or {@code /full}), tokens from {@code first}. */
    static List<Case> generate(String prefix, int first, int reps) {
        Corpus c = new Corpus(prefix, first);
        for (int r = 0; r < reps; r++) {
            c.framing();
            c.contentLength();
            c.chunkSyntax();
            c.headerSyntax();
            c.requestLines();
            c.host();
            c.connectionNominated();
            c.expect();
            c.encodings();
            c.pipelining();
            c.lineEndings();
            c.upgrades();
        }
        return c.cases;
    }

    // ---------------------------------------------------------------- building blocks

    /** One case under construction. */
    final class B {
        final String token = String.format("c%05d", next++);
        final List<byte[]> parts = new ArrayList<>();
        final List<Legit> legit = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        final String body;

        B() {
            int n = 1 + rnd.nextInt(24);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.append((char) ('a' + rnd.nextInt(26)));
            }
            body = sb.toString();
        }

        String id(int i) {
            return token + "r" + i;
        }

        String sid() {
            return token + "s";
        }

        String target(int i) {
            return prefix + "/t-" + id(i);
        }

        String hex() {
            return Integer.toHexString(body.length());
        }

        /** The body as one valid chunk and the last chunk. */
        String chunkedBody() {
            return hex() + "\r\n" + body + "\r\n0\r\n\r\n";
        }

        /** A header name in a random (valid) letter case. */
        String n(String name) {
            return switch (rnd.nextInt(4)) {
                case 0 -> name.toLowerCase(Locale.ROOT);
                case 1 -> name.toUpperCase(Locale.ROOT);
                default -> name;
            };
        }

        /** The id header and sometimes a delay, so responses from pooled connections interleave. */
        String mark(int i) {
            String delay = rnd.nextInt(8) == 0 ? "X-Delay: " + (5 + rnd.nextInt(40)) + "\r\n" : "";
            return "X-Case: " + id(i) + "\r\n" + delay;
        }

        /** A request the backend must never see: no X-Case, slow, so a poisoned queue shows. */
        String smuggled() {
            String t = prefix + "/t-" + sid();
            return switch (rnd.nextInt(4)) {
                case 0 -> "GET " + t + "?delay=300 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";
                case 1 -> "POST " + t + "?delay=300 HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 3\r\n\r\nabc";
                case 2 -> "GET /admin/t-" + sid() + " HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n";
                default -> "DELETE " + t + " HTTP/1.1\r\nHost: " + HOST + "\r\nX-Client-Cert-Subject: CN=admin\r\n\r\n";
            };
        }

        String get(int i) {
            return "GET " + target(i) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + mark(i) + "\r\n";
        }

        String post(int i, String b) {
            return "POST " + target(i) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + mark(i) + n("Content-Length") + ": "
                    + b.length() + "\r\n\r\n" + b;
        }

        B send(String s) {
            current.append(s);
            return this;
        }

        /** Ends the current write: what follows is sent after a short pause. */
        B pause() {
            parts.add(current.toString().getBytes(StandardCharsets.ISO_8859_1));
            current.setLength(0);
            return this;
        }

        B legit(int i, String method, String... bodies) {
            legit.add(new Legit(id(i), method, Set.of(bodies)));
            return this;
        }

        void done(String kind, String label, Expect expect, int mustServe, int requestCount, boolean mustClose,
                  boolean allow101, Integer... extra) {
            if (current.length() > 0 || parts.isEmpty()) {
                pause();
            }
            cases.add(new Case(token, prefix, kind, label, List.copyOf(parts), List.copyOf(legit), mustServe,
                    requestCount, expect, mustClose, allow101, Set.of(extra)));
        }

        /** A malformed request: refused (and closed when {@code close}), the smuggled tail never forwarded. */
        void reject(String kind, String label, String request, boolean close) {
            send(request).send(smuggled()).done(kind, label, Expect.REJECT, 0, 1, close, false);
        }

        /** A request refused whose framing is clear: refused, and the valid GET pipelined after it served. */
        void rejectKeepAlive(String kind, String label, String request) {
            legit(1, "GET", "").send(request).send(get(1)).done(kind, label, Expect.REJECT, 0, 2, false, false);
        }

        /** One request that may be served with one of {@code bodies}, then a valid pipelined GET. */
        void either(String kind, String label, String method, String request, String... bodies) {
            legit(0, method, bodies).legit(1, "GET", "").send(request).send(get(1))
                    .done(kind, label, Expect.EITHER, 0, 2, false, false);
        }

        void accept(String kind, String label, String method, String request, String body) {
            legit(0, method, body).legit(1, "GET", "").send(request).send(get(1))
                    .done(kind, label, Expect.ACCEPT, 2, 2, false, false);
        }
    }

    private B b() {
        return new B();
    }

    private record Variant(String value, Expect expect) {
    }

    private static Variant a(String v) {
        return new Variant(v, Expect.ACCEPT);
    }

    private static Variant e(String v) {
        return new Variant(v, Expect.EITHER);
    }

    private static Variant r(String v) {
        return new Variant(v, Expect.REJECT);
    }

    // ---------------------------------------------------------------- framing: Transfer-Encoding and CL+TE

    private static final List<Variant> TE = List.of(
            a("chunked"), e("Chunked"), e("CHUNKED"), e(" chunked"), e("chunked "), e("\tchunked"), e("chunked\t"),
            r("identity, chunked"), r("chunked, identity"), r("xchunked"), r("chunkedx"), r("chunked;q=1"),
            r("chunked, chunked"), r("gzip, chunked"), r("chunked , chunked"), r("\"chunked\""), r("chunked\u000b"),
            r("ch unked"), r("identity"), r(""), r("chunked\u0000"), e(",chunked"), e("chunked,"), r("chunk"),
            r("x-chunked, chunked"), r("chunked\r\n X-Fold: 1"), r("cHuNkEd, gzip"), r("deflate"));

    private void framing() {
        for (Variant v : TE) {
            B b = b();
            String head = "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0)
                    + b.n("Transfer-Encoding") + ": " + v.value + "\r\n\r\n";
            if (v.expect == Expect.REJECT) {
                b.reject("framing", "TE " + v.value, head + b.chunkedBody(), true);
            } else if (v.expect == Expect.ACCEPT) {
                b.accept("framing", "TE " + v.value, "POST", head + b.chunkedBody(), b.body);
            } else {
                b.either("framing", "TE " + v.value, "POST", head + b.chunkedBody(), b.body);
            }
            // Next to a Content-Length, in both orders: always refused, the connection closed.
            for (int order = 0; order < 2; order++) {
                B c = b();
                String cl = c.n("Content-Length") + ": " + (4 + rnd.nextInt(3)) + "\r\n";
                String te = c.n("Transfer-Encoding") + ": " + v.value + "\r\n";
                c.reject("framing", "CL+TE " + v.value, "POST " + c.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                        + c.mark(0) + (order == 0 ? cl + te : te + cl) + "\r\n" + c.chunkedBody(), true);
            }
            // On HTTP/1.0 (where chunked does not exist).
            B d = b();
            String h10 = "POST " + d.target(0) + " HTTP/1.0\r\nHost: " + HOST + "\r\n" + d.mark(0)
                    + "Transfer-Encoding: " + v.value + "\r\n\r\n" + d.chunkedBody();
            if (v.expect == Expect.REJECT) {
                d.reject("framing", "HTTP/1.0 TE " + v.value, h10, true);
            } else {
                d.legit(0, "POST", d.body).send(h10).done("framing", "HTTP/1.0 TE " + v.value, Expect.EITHER, 0, 1,
                        false, false);
            }
        }
        // Transfer-Encoding on two lines, and look-alike names.
        String[][] twoLines = {{"identity", "chunked"}, {"chunked", "identity"}, {"chunked", "chunked"},
                {"gzip", "chunked"}, {"chunked", ""}};
        for (String[] t : twoLines) {
            B b = b();
            b.reject("framing", "TE lines " + String.join("|", t), "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST
                    + "\r\n" + b.mark(0) + "Transfer-Encoding: " + t[0] + "\r\nTransfer-Encoding: " + t[1] + "\r\n\r\n"
                    + b.chunkedBody(), true);
        }
        for (String name : List.of("Transfer-Encoding ", "Transfer-Encoding\t", " Transfer-Encoding",
                "Transfer-Encoding\u0000", "Transfer-\u0000Encoding")) {
            B b = b();
            b.reject("framing", "TE name [" + name + "]", "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                    + b.mark(0) + "Content-Length: " + b.chunkedBody().length() + "\r\n" + name + ": chunked\r\n\r\n"
                    + b.chunkedBody(), true);
        }
        // Not a Transfer-Encoding at all: the Content-Length frames the body.
        for (String name : List.of("Transfer_Encoding", "X-Transfer-Encoding", "Transfer-Encodings")) {
            B b = b();
            String body = b.chunkedBody();
            b.either("framing", "look-alike " + name, "POST", "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST
                    + "\r\n" + b.mark(0) + name + ": chunked\r\nContent-Length: " + body.length() + "\r\n\r\n" + body,
                    body);
        }
    }

    // ---------------------------------------------------------------- Content-Length

    private static final List<Variant> CL = List.of(
            a("%d"), e(" %d"), e("%d "), e("0%d"), e("00%d"), e("%d\t"), e("%d, %d"), e("%d,%d"),
            r("+%d"), r("-%d"), r("0x%x"), r("%d.0"), r("%de0"), r("%d %d"), r(""), r("abc"), r("%d, 99"),
            r("99999999999999999999"), r("18446744073709551621"), r("9223372036854775808"), r("-0"), r("%d;"),
            r("\u000b%d"), r("%d\u0000"), r("%d\u00a0"), r("1_%d"), r("%d,"), r(",%d"), r("%da"));

    private void contentLength() {
        for (Variant v : CL) {
            for (String version : List.of("HTTP/1.1", "HTTP/1.0")) {
                B b = b();
                int len = b.body.length();
                String value = v.value.replace("%d", Integer.toString(len)).replace("%x", Integer.toHexString(len));
                String req = "POST " + b.target(0) + " " + version + "\r\nHost: " + HOST + "\r\n" + b.mark(0)
                        + (version.equals("HTTP/1.0") ? "Connection: keep-alive\r\n" : "")
                        + b.n("Content-Length") + ": " + value + "\r\n\r\n" + b.body;
                String label = "CL [" + value + "] " + version;
                if (v.expect == Expect.REJECT) {
                    b.reject("framing", label, req, true);
                } else if (v.expect == Expect.ACCEPT && version.equals("HTTP/1.1")) {
                    b.accept("framing", label, "POST", req, b.body);
                } else {
                    b.either("framing", label, "POST", req, b.body);
                }
            }
        }
        for (String version : List.of("HTTP/1.1", "HTTP/1.0")) {
            B same = b();
            int len = same.body.length();
            same.either("framing", "two equal CL " + version, "POST", "POST " + same.target(0) + " " + version
                    + "\r\nHost: " + HOST + "\r\n" + same.mark(0) + "Connection: keep-alive\r\nContent-Length: " + len
                    + "\r\nContent-Length: " + len + "\r\n\r\n" + same.body, same.body);
            B diff = b();
            int l2 = diff.body.length();
            diff.reject("framing", "two different CL " + version, "POST " + diff.target(0) + " " + version + "\r\nHost: "
                    + HOST + "\r\n" + diff.mark(0) + "Content-Length: " + l2 + "\r\nContent-Length: " + (l2 + 30)
                    + "\r\n\r\n" + diff.body, true);
            B diff2 = b();
            int l3 = diff2.body.length();
            diff2.reject("framing", "two different CL (larger first) " + version, "POST " + diff2.target(0) + " "
                    + version + "\r\nHost: " + HOST + "\r\n" + diff2.mark(0) + "Content-Length: " + (l3 + 30)
                    + "\r\nContent-Length: " + l3 + "\r\n\r\n" + diff2.body, true);
        }
        // A body on a GET: forwarded as a body, never as the next request.
        B get = b();
        get.either("framing", "CL on GET", "GET", "GET " + get.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + get.mark(0) + "Content-Length: " + get.body.length() + "\r\n\r\n" + get.body, get.body, "");
        B get0 = b();
        get0.accept("framing", "CL 0 on GET", "GET", "GET " + get0.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + get0.mark(0) + "Content-Length: 0\r\n\r\n", "");
        B smuggleBody = b();
        String inner = smuggleBody.smuggled();
        smuggleBody.either("framing", "CL on GET with a request as body", "GET", "GET " + smuggleBody.target(0)
                + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + smuggleBody.mark(0) + "Content-Length: " + inner.length()
                + "\r\n\r\n" + inner, inner);
        // A Content-Length shorter than what follows: the rest is the next (malformed) request.
        B shorter = b();
        String full = shorter.body + "XX";
        shorter.legit(0, "POST", shorter.body).send("POST " + shorter.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + shorter.mark(0) + "Content-Length: " + shorter.body.length() + "\r\n\r\n" + full + "\r\n")
                .done("framing", "CL shorter than the data", Expect.EITHER, 0, 2, false, false);
    }

    // ---------------------------------------------------------------- chunk syntax

    private static final List<Variant> SIZE = List.of(
            a("%s"), e("%s;ext=1"), e("%s;ext=\"q\""), e("%s;a;b=c"), e("%s ;ext"), e("%s; ext=1"), e("0%s"),
            e("000%s"), e("%s;ext=\"a;b\""), e("%S"),
            r("%s "), r("%s\t"), r(" %s"), r("0x%s"), r("-%s"), r("+%s"), r("%s;=x"), r("%s;ext=a b"),
            r("%s;ext=\"open"), r("%s\u0000"), r("g"), r(""), r("ffffffffffffffff%s"), r("1000000000000000%s"),
            r("%s\u000b"), r("%s;\u0000"), r("%s,1"), r("%s;ext=\u0001"));

    private void chunkSyntax() {
        for (Variant v : SIZE) {
            B b = b();
            String size = v.value.replace("%s", b.hex()).replace("%S", b.hex().toUpperCase(Locale.ROOT));
            String req = "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0)
                    + b.n("Transfer-Encoding") + ": chunked\r\n\r\n" + size + "\r\n" + b.body + "\r\n0\r\n\r\n";
            String label = "chunk size [" + size + "]";
            switch (v.expect) {
                case REJECT -> b.reject("chunk", label, req, true);
                case ACCEPT -> b.accept("chunk", label, "POST", req, b.body);
                default -> b.either("chunk", label, "POST", req, b.body);
            }
        }
        // Data and terminators: f builds the chunked body from (hex size, data).
        record Body(String label, Function<B, String> f, Expect expect) {
        }
        List<Body> bodies = List.of(
                new Body("no CRLF after data", x -> x.hex() + "\r\n" + x.body + "X\r\n0\r\n\r\n", Expect.REJECT),
                new Body("last chunk glued to data", x -> x.hex() + "\r\n" + x.body + "0\r\n\r\n", Expect.REJECT),
                new Body("CR CR LF after data", x -> x.hex() + "\r\n" + x.body + "\r\r\n0\r\n\r\n", Expect.REJECT),
                new Body("size too small", x -> Integer.toHexString(Math.max(0, x.body.length() - 1)) + "\r\n"
                        + x.body + "\r\n0\r\n\r\n", Expect.REJECT),
                new Body("size too large by 2", x -> Integer.toHexString(x.body.length() + 2) + "\r\n" + x.body
                        + "\r\n0\r\n\r\n", Expect.REJECT),
                new Body("bare LF after data", x -> x.hex() + "\r\n" + x.body + "\n0\r\n\r\n", Expect.EITHER),
                new Body("bare LF after size", x -> x.hex() + "\n" + x.body + "\r\n0\r\n\r\n", Expect.EITHER),
                new Body("bare LF last chunk", x -> x.hex() + "\r\n" + x.body + "\r\n0\n\n", Expect.EITHER),
                new Body("bare CR after size", x -> x.hex() + "\r" + x.body + "\r\n0\r\n\r\n", Expect.REJECT),
                new Body("trailer", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nX-Trailer: 1\r\n\r\n", Expect.EITHER),
                new Body("trailer Content-Length", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nContent-Length: 50\r\n\r\n",
                        Expect.EITHER),
                new Body("trailer Transfer-Encoding", x -> x.hex() + "\r\n" + x.body
                        + "\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", Expect.EITHER),
                new Body("trailer Host", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nHost: evil.test\r\n\r\n", Expect.EITHER),
                new Body("trailer obs-fold", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nX-T: a\r\n b\r\n\r\n", Expect.EITHER),
                new Body("trailer bad name", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nX T: 1\r\n\r\n", Expect.EITHER),
                new Body("trailer NUL", x -> x.hex() + "\r\n" + x.body + "\r\n0\r\nX-T: a\u0000b\r\n\r\n", Expect.EITHER),
                new Body("many one-byte chunks", x -> "1\r\na\r\n".repeat(200) + "0\r\n\r\n", Expect.EITHER),
                new Body("empty body", x -> "0\r\n\r\n", Expect.EITHER),
                new Body("long extension", x -> x.hex() + ";e=" + "x".repeat(20_000) + "\r\n" + x.body + "\r\n0\r\n\r\n",
                        Expect.EITHER),
                new Body("many extensions", x -> x.hex() + ";a=1".repeat(3000) + "\r\n" + x.body + "\r\n0\r\n\r\n",
                        Expect.EITHER),
                new Body("last chunk 000", x -> x.hex() + "\r\n" + x.body + "\r\n000\r\n\r\n", Expect.EITHER),
                new Body("last chunk with extension", x -> x.hex() + "\r\n" + x.body + "\r\n0;end=1\r\n\r\n",
                        Expect.EITHER),
                new Body("request as chunk data", x -> {
                    String s = x.smuggled();
                    return Integer.toHexString(s.length()) + "\r\n" + s + "\r\n0\r\n\r\n";
                }, Expect.EITHER));
        for (Body body : bodies) {
            B b = b();
            String chunked = body.f.apply(b);
            String req = "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0)
                    + "Transfer-Encoding: chunked\r\n\r\n" + chunked;
            String expectBody = body.label.equals("many one-byte chunks") ? "a".repeat(200)
                    : body.label.equals("empty body") ? ""
                    : body.label.equals("request as chunk data") ? chunked.substring(chunked.indexOf("\r\n") + 2,
                    chunked.lastIndexOf("\r\n0\r\n\r\n")) : b.body;
            if (body.expect == Expect.REJECT) {
                b.reject("chunk", body.label, req, true);
            } else {
                b.either("chunk", body.label, "POST", req, expectBody);
            }
        }
    }

    // ---------------------------------------------------------------- header syntax

    private static final List<Variant> FIELDS = List.of(
            r(": empty-name"), r(":"), r("X-A : 1"), r("X-A\t: 1"), r("X-A: a\u0000b"), r("X-A: a\rb"), r("X(A): 1"),
            r("X A: 1"), r("X@A: 1"), r("X\"A: 1"), r("X/A: 1"), r("X\u0080A: 1"), r("X[A]: 1"), r("X{A}: 1"),
            r("X=A: 1"), r("X,A: 1"), r("X;A: 1"), r("X?A: 1"), r("X\\A: 1"), r("NoColon"), r("X\u0000A: 1"),
            r("X-A\u0001: 1"), r("\u0001: 1"), e("X-" + "n".repeat(10_000) + ": 1"),
            e("X-A: a\r\n b"), e("X-A: a\r\n\tb"), e("X-A: a\u0001b"), e("X-A: a\u007fb"), e("X-A: a\u00ffb"),
            e("X-A: " + "v".repeat(10_000)), e("X-A: a\nX-B: b"), e("X-A:: ok"), e("X-A:"), e("X-A:\tv\t"),
            e("x-a: v"), e("X_A: underscore"), e("Content_Length: 99"), e("X-A: a\u000bb"), e("X-A: a\u000cb"),
            e("X-A: \"quoted\\\" string\""), e("X-A: a,,b"), e("X-A: " + "x, ".repeat(1000)));

    private void headerSyntax() {
        for (Variant v : FIELDS) {
            B b = b();
            String req = "GET " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0) + v.value + "\r\n\r\n";
            String label = "field [" + RecordingBackend.printable(v.value, 40) + "]";
            if (v.expect == Expect.REJECT) {
                b.reject("header", label, req, true);
            } else {
                b.either("header", label, "GET", req, "");
            }
        }
        // A field line starting with whitespace right after the request line.
        B lead = b();
        lead.reject("header", "leading whitespace first field", "GET " + lead.target(0) + " HTTP/1.1\r\n X-Lead: 1\r\nHost: "
                + HOST + "\r\n" + lead.mark(0) + "\r\n", true);
        // Many fields.
        B many = b();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append("X-H").append(i).append(": v\r\n");
        }
        many.either("header", "300 fields", "GET", "GET " + many.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + many.mark(0) + sb + "\r\n", "");
        // Hop-by-hop and identity headers a client must not get through.
        for (String h : List.of("X-Client-Cert-Subject: CN=admin", "X_Client_Cert_Subject: CN=admin",
                "x_client_cert_fingerprint: 00", "X-Client-Cert-Fingerprint: 00", "Keep-Alive: 1",
                "Proxy-Authorization: Basic YTpi", "TE: trailers", "Proxy-Connection: keep-alive")) {
            B b = b();
            b.either("header", "hop/identity " + h, "GET", "GET " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                    + b.mark(0) + h + "\r\n\r\n", "");
        }
    }

    // ---------------------------------------------------------------- request lines

    private void requestLines() {
        List<Function<String, String>> reject = List.of(
                t -> "GET\t" + t + " HTTP/1.1", t -> "GET " + t + "\tHTTP/1.1", t -> "GET  " + t + " HTTP/1.1",
                t -> "GET " + t + "  HTTP/1.1", t -> " GET " + t + " HTTP/1.1", t -> "GET " + t + " HTTP/1.1 ",
                t -> "GET " + t, t -> "GET " + t + " HTTP/0.9", t -> "GET " + t + " HTTP/2.0",
                t -> "GET " + t + " HTTP/3.0", t -> "GET " + t + " http/1.1", t -> "GET " + t + " HTTP/1.1x",
                t -> "GET " + t + " HTTP/11", t -> "GET " + t + " HTTP/1", t -> "GET " + t + " HTTPS/1.1",
                t -> "GET " + t + " HTTP/1.10", t -> "GET " + t + "\u0001x HTTP/1.1",
                t -> "GET " + t + " x HTTP/1.1", t -> "GET " + t + "\u0000 HTTP/1.1", t -> "G(T " + t + " HTTP/1.1",
                t -> "GET " + t + "/" + "a".repeat(9000) + " HTTP/1.1", t -> "GET " + t + "\u007f HTTP/1.1",
                t -> "GET\u000b" + t + " HTTP/1.1", t -> "GET " + t + " HTTP/1.1\u0000", t -> "GET", t -> "",
                t -> "GET " + t + " HTTP/ 1.1", t -> "GET " + t + "\u00e9 HTTP/1.1", t -> "GET " + t + " HTTP/1.1\t",
                t -> "GET " + t + "\u000b HTTP/1.1", t -> "GET\u0000" + t + " HTTP/1.1");
        int i = 0;
        for (Function<String, String> f : reject) {
            B b = b();
            String line = f.apply(b.target(0));
            b.reject("request-line", "line#" + i++ + " [" + RecordingBackend.printable(line, 40) + "]", line + "\r\nHost: "
                    + HOST + "\r\n" + b.mark(0) + "\r\n", true);
        }
        // Valid syntax, but a form only CONNECT or OPTIONS may use: refused, the connection usable.
        for (String line : List.of("GET * HTTP/1.1", "GET " + HOST + ":80 HTTP/1.1", "DELETE " + HOST + ":80 HTTP/1.1")) {
            B b = b();
            b.rejectKeepAlive("request-line", "form [" + line + "]", line + "\r\nHost: " + HOST + "\r\n" + b.mark(0)
                    + "\r\n");
        }
        List<Function<String, String>> either = List.of(
                t -> "GET " + t + " HTTP/1.2", t -> "get " + t + " HTTP/1.1", t -> "FOO " + t + " HTTP/1.1",
                t -> "GET " + t + "#frag HTTP/1.1", t -> "GET " + t + "?a=b#c HTTP/1.1",
                t -> "GET http://" + HOST + t + " HTTP/1.1", t -> "GET http://other.test" + t + " HTTP/1.1",
                t -> "GET https://" + HOST + t + " HTTP/1.1", t -> "GET http://user@" + HOST + t + " HTTP/1.1",
                t -> "GET http://" + HOST + ":abc" + t + " HTTP/1.1", t -> "GET HTTP://" + HOST + t + " HTTP/1.1",
                t -> "GET ftp://" + HOST + t + " HTTP/1.1", t -> "OPTIONS * HTTP/1.1",
                t -> "CONNECT " + HOST + ":443 HTTP/1.1", t -> "\r\nGET " + t + " HTTP/1.1",
                t -> "\r\n\r\nGET " + t + " HTTP/1.1", t -> "TRACE " + t + " HTTP/1.1", t -> "GET /" + t + " HTTP/1.1",
                t -> "GET " + t + "?q=" + "a".repeat(500) + " HTTP/1.1", t -> "PRI " + t + " HTTP/1.1",
                t -> "GET " + t + "?x=\"<>\" HTTP/1.1", t -> "GET " + t + "\\ HTTP/1.1");
        for (Function<String, String> f : either) {
            B b = b();
            String line = f.apply(b.target(0));
            String method = line.strip().split(" ")[0];
            b.either("request-line", "line [" + RecordingBackend.printable(line, 40) + "]", method, line + "\r\nHost: "
                    + HOST + "\r\n" + b.mark(0) + "\r\n", "");
        }
    }

    // ---------------------------------------------------------------- Host

    private void host() {
        List<String> reject = List.of("", "Host: " + HOST + "\r\nHost: " + HOST, "Host: " + HOST + "\r\nHost: evil.test",
                "Host: user@" + HOST, "Host: " + HOST + ":abc", "Host: a b", "Host: " + HOST + "/x", "Host: [::1",
                "Host: " + HOST + "\u0000", "Host: ," + HOST, "Host: " + HOST + ", evil.test", "Host: " + HOST + ":-1",
                "Host: " + HOST + ":80:80", "Host: user:pw@" + HOST, "Host:" + HOST + "\r\nhost: evil.test",
                "Host: " + HOST + "?x", "Host: " + HOST + "#x");
        for (String h : reject) {
            B b = b();
            b.reject("host", "host [" + RecordingBackend.printable(h, 40) + "]", "GET " + b.target(0) + " HTTP/1.1\r\n"
                    + (h.isEmpty() ? "" : h + "\r\n") + b.mark(0) + "\r\n", true);
        }
        List<String> either = List.of("Host: " + HOST + ":99999", "Host: " + HOST + ":", "Host:", "Host: ADV.TEST",
                "Host: " + HOST + ".", "Host: [::1]:80", "Host: 127.0.0.1", "Host: " + HOST + ":0080",
                "Host: xn--80ak6aa92e.test", "Host: " + "h".repeat(300) + ".test");
        for (String h : either) {
            B b = b();
            b.either("host", "host [" + RecordingBackend.printable(h, 40) + "]", "GET", "GET " + b.target(0)
                    + " HTTP/1.1\r\n" + h + "\r\n" + b.mark(0) + "\r\n", "");
        }
        B h10 = b();
        h10.legit(0, "GET", "").send("GET " + h10.target(0) + " HTTP/1.0\r\n" + h10.mark(0) + "\r\n")
                .done("host", "HTTP/1.0 without Host", Expect.EITHER, 0, 1, false, false);
        B abs = b();
        abs.either("host", "absolute-form with another Host", "GET", "GET http://other.test" + abs.target(0)
                + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + abs.mark(0) + "\r\n", "");
    }

    // ---------------------------------------------------------------- Connection nominating end-to-end headers

    private void connectionNominated() {
        List<String> names = List.of("Content-Length", "content-length", "close, Content-Length",
                "keep-alive, Content-Length, Host", "Host", "X-Forwarded-For", "X-Request-Id", "Via", "Forwarded",
                "X-Real-IP", "X-Forwarded-Proto", "X-Forwarded-Host", "Transfer-Encoding", "X-Case", "Cookie",
                "Authorization", "Upgrade", "Expect");
        for (String nominated : names) {
            boolean close = nominated.startsWith("close");
            // A body that looks like a request: it must arrive as a body, with its Content-Length.
            B b = b();
            String inner = b.smuggled();
            String req = "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0) + "Connection: "
                    + nominated + "\r\nX-Forwarded-For: 6.6.6.6\r\nContent-Length: " + inner.length() + "\r\n\r\n"
                    + inner;
            if (close) {
                b.legit(0, "POST", inner).send(req).done("connection", "Connection: " + nominated + " (CL body)",
                        Expect.ACCEPT, 1, 1, false, false);
            } else {
                b.accept("connection", "Connection: " + nominated + " (CL body)", "POST", req, inner);
            }
            // The same nomination on a second Connection line, with a chunked body.
            B c = b();
            String inner2 = c.smuggled();
            String req2 = "POST " + c.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + c.mark(0)
                    + "Connection: keep-alive\r\nConnection: " + nominated + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(inner2.length()) + "\r\n" + inner2 + "\r\n0\r\n\r\n";
            if (close) {
                c.legit(0, "POST", inner2).send(req2).done("connection", "2nd Connection line: " + nominated
                        + " (chunked body)", Expect.ACCEPT, 1, 1, false, false);
            } else {
                c.accept("connection", "2nd Connection line: " + nominated + " (chunked body)", "POST", req2, inner2);
            }
        }
    }

    // ---------------------------------------------------------------- Expect

    private void expect() {
        for (String v : List.of("100-continue", "100-Continue", "100-continue, foo", "foo", "", "100-continue\u0001",
                "100-continue;x=1")) {
            B b = b();
            String req = "POST " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0) + "Expect: " + v
                    + "\r\nContent-Length: " + b.body.length() + "\r\n\r\n" + b.body;
            if (v.equals("100-continue")) {
                b.accept("expect", "Expect " + v, "POST", req, b.body);
            } else {
                b.either("expect", "Expect [" + RecordingBackend.printable(v, 30) + "]", "POST", req, b.body);
            }
        }
        B get = b();
        get.either("expect", "Expect on GET", "GET", "GET " + get.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n"
                + get.mark(0) + "Expect: 100-continue\r\n\r\n", "");
        B chunked = b();
        chunked.either("expect", "Expect with chunked", "POST", "POST " + chunked.target(0) + " HTTP/1.1\r\nHost: " + HOST
                + "\r\n" + chunked.mark(0) + "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunked.chunkedBody(), chunked.body);
    }

    // ---------------------------------------------------------------- encodings

    private void encodings() {
        List<String> paths = List.of("/%2e%2e/t-ID", "/a/../t-ID", "/./t-ID", "//t-ID", "/%2Ft-ID", "/%252e/t-ID",
                "/%c0%ae%c0%ae/t-ID", "/%00/t-ID", "/t-ID%00", "/%/t-ID", "/%zz/t-ID", "/\\..\\t-ID", "/t-ID;x=1",
                "/%u002e/t-ID", "/t-ID?%00", "/..;/t-ID", "/%e2%80%ae/t-ID", "/t-ID/..%2f..%2fadmin", "/t-ID%0d%0aX-I:%201",
                "/t-ID%20HTTP/1.1%0d%0aHost:%20x", "/%C3%A9/t-ID", "/%ff/t-ID", "/%2e/t-ID", "/t-ID/%2e%2e/%2e%2e/x");
        for (String p : paths) {
            B b = b();
            String target = prefix + p.replace("ID", b.id(0));
            b.either("encoding", "path " + p, "GET", "GET " + target + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0)
                    + "\r\n", "");
        }
    }

    // ---------------------------------------------------------------- pipelining

    private void pipelining() {
        for (int n : new int[] {2, 3, 5, 10, 20, 50}) {
            B b = b();
            for (int i = 0; i < n; i++) {
                b.legit(i, "GET", "").send(b.get(i));
            }
            b.done("pipelining", n + " GETs", Expect.ACCEPT, n, n, false, false);
        }
        // Bodies behind an in-flight (slow) request, sent in pieces.
        B bodies = b();
        String p1 = bodies.body + "-one";
        String p2 = bodies.body + "-two";
        String post1 = bodies.post(1, p1);
        bodies.legit(0, "GET", "").legit(1, "POST", p1).legit(2, "POST", p2).legit(3, "GET", "")
                .send("GET " + bodies.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + bodies.id(0)
                        + "\r\nX-Delay: 150\r\n\r\n")
                .send(post1.substring(0, post1.length() - 3)).pause()
                .send(p1.substring(p1.length() - 3)).send(bodies.post(2, p2)).pause().send(bodies.get(3))
                .done("pipelining", "CL bodies behind a slow GET", Expect.ACCEPT, 4, 4, false, false);
        B chunks = b();
        chunks.legit(0, "GET", "").legit(1, "POST", chunks.body).legit(2, "GET", "")
                .send("GET " + chunks.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + chunks.id(0)
                        + "\r\nX-Delay: 100\r\n\r\n")
                .send("POST " + chunks.target(1) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + chunks.mark(1)
                        + "Transfer-Encoding: chunked\r\n\r\n" + chunks.hex() + "\r\n").pause()
                .send(chunks.body + "\r\n0\r\n\r\n" + chunks.get(2))
                .done("pipelining", "chunked body behind a slow GET", Expect.ACCEPT, 3, 3, false, false);
        // Valid, then malformed: the first is served, the second refused, nothing else forwarded.
        List<String> bad = List.of(
                "POST %t HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST %t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
                "POST %t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                "POST %t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
                "POST %t HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                "GET %t HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", "GET %t HTTP/1.1\r\n: x\r\nHost: h\r\n\r\n",
                "GET\t%t HTTP/1.1\r\nHost: h\r\n\r\n", "GET %t HTTP/1.1\r\nX A: 1\r\nHost: h\r\n\r\n",
                "GET %t HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", "GET %t HTTP/2.0\r\nHost: h\r\n\r\n",
                "GET %t\r\nHost: h\r\n\r\n", "POST %t HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc",
                "POST %t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
                "GET %t HTTP/1.1\r\nHost: h\r\nX-A: a\u0000b\r\n\r\n");
        for (String m : bad) {
            B b = b();
            b.legit(0, "GET", "").send("GET " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\nX-Case: " + b.id(0)
                            + "\r\nX-Delay: " + (rnd.nextInt(3) * 40) + "\r\n\r\n")
                    .send(m.replace("%t", b.target(1)).replace("Host: h", "Host: " + HOST + "\r\nX-Case: " + b.id(1)))
                    .send(b.smuggled())
                    .done("pipelining", "valid then [" + RecordingBackend.printable(m, 50) + "]", Expect.REJECT, 1, 2,
                            true, false);
        }
        // HTTP/1.0 keep-alive pipeline.
        B h10 = b();
        h10.legit(0, "GET", "").legit(1, "GET", "")
                .send("GET " + h10.target(0) + " HTTP/1.0\r\nHost: " + HOST + "\r\nConnection: keep-alive\r\n"
                        + h10.mark(0) + "\r\n")
                .send("GET " + h10.target(1) + " HTTP/1.0\r\nHost: " + HOST + "\r\n" + h10.mark(1) + "\r\n")
                .done("pipelining", "HTTP/1.0 keep-alive", Expect.EITHER, 0, 2, false, false);
    }

    // ---------------------------------------------------------------- line endings

    private void lineEndings() {
        B cr = b();
        cr.reject("line-ending", "CR only", "GET " + cr.target(0) + " HTTP/1.1\rHost: " + HOST + "\rX-Case: " + cr.id(0)
                + "\r\r", true);
        B crcr = b();
        crcr.reject("line-ending", "CR CR LF", "GET " + crcr.target(0) + " HTTP/1.1\r\r\nHost: " + HOST + "\r\nX-Case: "
                + crcr.id(0) + "\r\n\r\n", true);
        B lf = b();
        lf.either("line-ending", "LF only", "GET", "GET " + lf.target(0) + " HTTP/1.1\nHost: " + HOST + "\nX-Case: "
                + lf.id(0) + "\n\n", "");
        B mixed = b();
        mixed.either("line-ending", "mixed", "GET", "GET " + mixed.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\nX-Case: "
                + mixed.id(0) + "\r\n\n", "");
        B lfBody = b();
        lfBody.either("line-ending", "LF only with a body", "POST", "POST " + lfBody.target(0) + " HTTP/1.1\nHost: "
                + HOST + "\nX-Case: " + lfBody.id(0) + "\nContent-Length: " + lfBody.body.length() + "\n\n"
                + lfBody.body, lfBody.body);
        B crInValue = b();
        crInValue.reject("line-ending", "CR inside a field line", "GET " + crInValue.target(0) + " HTTP/1.1\r\nHost: "
                + HOST + "\r\nX-Case: " + crInValue.id(0) + "\r\nX-A: 1\rContent-Length: 5\r\n\r\nhello", true);
    }

    // ---------------------------------------------------------------- upgrades and HTTP/2 over HTTP/1

    private void upgrades() {
        String settings = "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n";
        List<String> h2c = List.of(
                "Upgrade: h2c\r\n" + settings + "Connection: Upgrade, HTTP2-Settings\r\n",
                "Upgrade: h2c\r\n" + settings,
                "Upgrade: h2c\r\n" + settings + "Connection: Upgrade\r\n",
                "Upgrade: H2C\r\n" + settings + "Connection: upgrade, http2-settings\r\n",
                "Upgrade: h2c, websocket\r\n" + settings + "Connection: Upgrade, HTTP2-Settings\r\n",
                "Connection: HTTP2-Settings\r\n" + settings,
                "Upgrade: h2\r\nConnection: Upgrade\r\n");
        for (String u : h2c) {
            B b = b();
            b.legit(0, "GET", "").legit(1, "GET", "")
                    .send("GET " + b.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0) + u + "\r\n")
                    .send(b.get(1))
                    .done("upgrade", "h2c [" + RecordingBackend.printable(u, 60) + "]", Expect.EITHER, 0, 2, false, true);
            B post = b();
            post.legit(0, "POST", post.body).legit(1, "GET", "")
                    .send("POST " + post.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + post.mark(0) + u
                            + "Content-Length: " + post.body.length() + "\r\n\r\n" + post.body)
                    .send(post.get(1))
                    .done("upgrade", "h2c POST [" + RecordingBackend.printable(u, 60) + "]", Expect.EITHER, 0, 2, false,
                            true);
        }
        for (String version : List.of("13", "1337")) {
            B b = b();
            String target = prefix + "/ws426/t-" + b.id(0);
            b.legit(0, "GET", "").legit(1, "GET", "")
                    .send("GET " + target + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + b.mark(0)
                            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            + "Sec-WebSocket-Version: " + version + "\r\n\r\n")
                    .send(b.get(1))
                    .done("upgrade", "websocket to a non-websocket backend v" + version, Expect.EITHER, 0, 2, false,
                            false, 502, 503);
            B plain = b();
            plain.legit(0, "GET", "").legit(1, "GET", "")
                    .send("GET " + plain.target(0) + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + plain.mark(0)
                            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            + "Sec-WebSocket-Version: " + version + "\r\n\r\n")
                    .send(plain.get(1))
                    .done("upgrade", "websocket answered 200 v" + version, Expect.EITHER, 0, 2, false, false, 502, 503);
        }
        // HTTP/2 prior knowledge on an HTTP/1.1 listener, and HTTP/1.1 bytes after it.
        byte[] frames = {0, 0, 0, 4, 0, 0, 0, 0, 0};
        B pri = b();
        pri.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + new String(frames, StandardCharsets.ISO_8859_1))
                .done("upgrade", "h2 preface", Expect.RAW, 0, 1, false, true);
        B priThen = b();
        priThen.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + priThen.smuggled())
                .done("upgrade", "h2 preface then HTTP/1.1", Expect.RAW, 0, 1, false, true);
        B h10 = b();
        h10.legit(0, "GET", "").send("GET " + h10.target(0) + " HTTP/1.0\r\nHost: " + HOST + "\r\n" + h10.mark(0)
                        + "Upgrade: h2c\r\n" + settings + "Connection: Upgrade, HTTP2-Settings\r\n\r\n")
                .done("upgrade", "h2c on HTTP/1.0", Expect.EITHER, 0, 1, false, true);
    }
}
