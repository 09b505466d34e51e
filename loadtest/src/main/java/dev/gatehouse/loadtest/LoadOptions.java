package dev.gatehouse.loadtest;

import io.vertx.core.http.HttpMethod;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one load test does, parsed from the command line by {@link #parse(String[])}.
 *
 * @param targets     the {@code --url}s, in order; requests go to them round-robin
 * @param rate        requests per second in open-loop mode; 0 in closed-loop mode
 * @param connections concurrent request loops in closed-loop mode; 0 in open-loop mode
 * @param warmup      how long to send, the same way, before measuring; what it measures is dropped
 * @param headers     extra request headers, in order
 * @param bodySize    request body bytes; 0 sends none
 * @param timeout     connect timeout, and the longest silence while waiting for a response
 * @param maxInFlight hard cap on requests outstanding at once (open loop: excess requests wait and count as late)
 * @param keys        how many keys the requests spread over (1..keys in each target's request target); 0: one
 *                    fixed request target
 * @param zipf        the Zipf exponent of the key mix (0: every key equally likely)
 * @param seed        seeds the key draws (each worker derives its own from it), so a run can be repeated
 * @param originCounters URLs read before and after the measured run for the origin's request count
 * @param progress    whether to print a live line each second: {@code --progress}, {@code --no-progress}, or decided
 *                    by {@link #showProgress(boolean)}
 */
record LoadOptions(List<Target> targets, double rate, int connections, Duration duration, Duration warmup, HttpMethod method,
                   List<Map.Entry<String, String>> headers, long bodySize, boolean http2, boolean json,
                   Duration timeout, int maxInFlight, boolean insecure, long keys, double zipf, long seed,
                   List<URI> originCounters, Progress progress) {

    /** {@code --progress}, {@code --no-progress}, or neither (a terminal decides). */
    enum Progress { AUTO, ON, OFF }

    static final int DEFAULT_CONNECTIONS = 16;
    static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    static final double MAX_RATE = 1_000_000;
    static final int MAX_CONNECTIONS = 10_000;
    static final int MAX_IN_FLIGHT_LIMIT = 100_000;
    static final long MAX_BODY = 64L << 20;
    static final Duration MAX_DURATION = Duration.ofHours(24);
    static final long MAX_KEYS = 1_000_000_000L;
    static final int MAX_URLS = 64;

    static final String USAGE = """
            usage: gatehouse loadtest --url URL [--url URL]... [--rate N/s | --connections N] [--duration 10s]
                                      [--warmup 1s] [--method GET] [--header K:V]... [--body-size 1KB] [--http2]
                                      [--timeout 5s] [--max-in-flight 1024] [--insecure] [--json]
                                      [--keys N [--zipf S] [--seed N]] [--origin-counter URL]...
                                      [--progress | --no-progress]
              --url URL          target; repeat it to spread requests round-robin over several (cluster nodes):
                                 the report then gives each one's throughput, errors and hit ratio
              --rate N/s         open loop: N requests per second at constant intervals; latency is measured
                                 from each request's intended send time (coordinated omission corrected)
              --connections N    closed loop: N connections, each sending its next request when the last
                                 one completes (default: 16 when neither --rate nor --connections is given)
              --duration D       how long to send (500ms, 10s, 1m; default 10s)
              --warmup D         send the same way for D first and drop what it measured (default 1s; 0s: none)
              --method M         HTTP method (default GET, or POST with --body-size)
              --header K:V       extra request header; repeatable
              --body-size S      request body of S bytes (512B, 1KB, 1MB)
              --http2            HTTP/2 (h2c with prior knowledge for http://, ALPN for https://)
              --timeout D        connect timeout and longest wait for response bytes (default 5s)
              --max-in-flight N  hard cap on outstanding requests (default 1024)
              --insecure         do not verify the server's TLS certificate
              --json             print the report as JSON instead of text
              --progress         print a live line each second (elapsed, rate over the last second, errors,
                                 p50/p99 so far), rewritten in place; the default on a terminal without --json
              --no-progress      no live line, only the report (the default when stdout is not a terminal)
              --keys N           spread requests over keys 1..N: each URL's {key} is replaced by the key, or
                                 /k/<key> is appended to its path; the report counts cache hits (a Cache-Status
                                 with a hit parameter, else an X-Cache-Status or X-Cache starting with HIT)
              --zipf S           Zipf exponent of the key mix: key k drawn with probability ~ 1/k^S
                                 (default 0: every key equally likely; 0.6..1.2 is typical of web traffic)
              --seed N           seed of the key draws (default: random, printed in the report)
              --origin-counter URL  read before and after the measured run: a JSON object with "requests", an
                                 nginx stub_status page or a bare number; repeatable (the counts are summed).
                                 The report gives the origin's requests/s and the share of requests it saw""";

    boolean openLoop() {
        return rate > 0;
    }

    /**
     * Whether to print the live progress line: as forced, else only on a terminal and not with {@code --json}, so
     * scripts that parse the output see the report alone.
     */
    boolean showProgress(boolean terminal) {
        return switch (progress) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> terminal && !json;
        };
    }

    /**
     * Parses the arguments after {@code loadtest}.
     *
     * @throws IllegalArgumentException with a message naming the offending flag and value
     */
    static LoadOptions parse(String[] args) {
        List<String> urls = new ArrayList<>();
        Long keys = null;
        Double zipf = null;
        Long seed = null;
        List<URI> originCounters = new ArrayList<>();
        Double rate = null;
        Integer connections = null;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(1);
        HttpMethod method = null;
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        long bodySize = 0;
        boolean http2 = false;
        boolean json = false;
        Duration timeout = Duration.ofSeconds(5);
        int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        boolean insecure = false;
        Progress progress = Progress.AUTO;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            switch (flag) {
                case "--http2" -> http2 = true;
                case "--json" -> json = true;
                case "--insecure" -> insecure = true;
                case "--progress", "--no-progress" -> {
                    Progress p = flag.equals("--progress") ? Progress.ON : Progress.OFF;
                    if (progress != Progress.AUTO && progress != p) {
                        throw new IllegalArgumentException("--progress and --no-progress exclude each other");
                    }
                    progress = p;
                }
                case "--url", "--rate", "--connections", "--duration", "--warmup", "--method", "--header",
                     "--body-size", "--timeout", "--max-in-flight", "--keys", "--zipf", "--seed",
                     "--origin-counter" -> {
                    String value;
                    if (inline != null) {
                        value = inline;
                    } else if (i + 1 < args.length) {
                        value = args[++i];
                    } else {
                        throw new IllegalArgumentException(flag + " needs a value");
                    }
                    switch (flag) {
                        case "--url" -> urls.add(value);
                        case "--keys" -> keys = parseWhole(flag, value, 1, MAX_KEYS);
                        case "--zipf" -> zipf = check(flag, value, () -> parseDecimal(value), 0,
                                ZipfSampler.MAX_EXPONENT);
                        case "--seed" -> seed = parseWhole(flag, value, Long.MIN_VALUE, Long.MAX_VALUE);
                        case "--origin-counter" -> originCounters.add(parseUrl(flag, value));
                        case "--rate" -> rate = check(flag, value, () -> Units.parseRate(value), 0.001, MAX_RATE);
                        case "--connections" -> connections = (int) parseWhole(flag, value, 1, MAX_CONNECTIONS);
                        case "--duration" -> duration = parseDuration(flag, value, Duration.ofMillis(100));
                        case "--warmup" -> warmup = parseDuration(flag, value, Duration.ZERO);
                        case "--method" -> method = parseMethod(value);
                        case "--header" -> headers.add(parseHeader(value));
                        case "--body-size" -> bodySize = (long) check(flag, value,
                                () -> (double) Units.parseSize(value), 0, MAX_BODY);
                        case "--timeout" -> timeout = parseDuration(flag, value, Duration.ofMillis(1));
                        default -> maxInFlight = (int) parseWhole(flag, value, 1, MAX_IN_FLIGHT_LIMIT);
                    }
                }
                default -> throw new IllegalArgumentException(arg.startsWith("-")
                        ? "unknown option " + flag
                        : "unexpected argument \"" + arg + "\" (options start with --)");
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("--url is required");
        }
        if (urls.size() > MAX_URLS) {
            throw new IllegalArgumentException("--url: " + urls.size() + " given (expected: at most " + MAX_URLS + ")");
        }
        if (keys == null && (zipf != null || seed != null)) {
            throw new IllegalArgumentException((zipf != null ? "--zipf" : "--seed") + " needs --keys");
        }
        if (originCounters.size() > MAX_URLS) {
            throw new IllegalArgumentException("--origin-counter: " + originCounters.size()
                    + " given (expected: at most " + MAX_URLS + ")");
        }
        boolean keyed = keys != null;
        List<Target> targets = urls.stream().map(u -> Target.parse(u, keyed)).toList();
        if (rate != null && connections != null) {
            throw new IllegalArgumentException("--rate and --connections exclude each other: pick open loop (--rate) "
                    + "or closed loop (--connections)");
        }
        int conns = rate == null ? (connections == null ? DEFAULT_CONNECTIONS : connections) : 0;
        if (conns > maxInFlight) {
            throw new IllegalArgumentException("--connections: " + conns + " (expected: <= --max-in-flight "
                    + maxInFlight + ")");
        }
        if (method == null) {
            method = bodySize > 0 ? HttpMethod.POST : HttpMethod.GET;
        }
        return new LoadOptions(targets, rate == null ? 0 : rate, conns, duration, warmup, method,
                List.copyOf(headers), bodySize, http2, json, timeout, maxInFlight, insecure, keyed ? keys : 0,
                zipf == null ? 0 : zipf, seed != null ? seed : new java.security.SecureRandom().nextLong(),
                List.copyOf(originCounters), progress);
    }

    /** The first target's URL. */
    URI url() {
        return targets.get(0).url();
    }

    boolean keyed() {
        return keys > 0;
    }

    private static double parseDecimal(String value) {
        try {
            double d = Double.parseDouble(value.trim());
            if (Double.isNaN(d) || Double.isInfinite(d) || !value.trim().matches("[0-9.]+")) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + value + "\" is not a number (expected e.g. 1.1)");
        }
    }

    private static URI parseUrl(String flag, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(flag + ": \"" + value + "\" is not a URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(
                    flag + ": \"" + value + "\" (expected: http://host[:port]/path or https://...)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException(flag + ": \"" + value + "\" has no host");
        }
        return uri;
    }

    private static HttpMethod parseMethod(String value) {
        if (!value.matches("[A-Za-z]+")) {
            throw new IllegalArgumentException(
                    "--method: \"" + value + "\" is not an HTTP method (expected e.g. GET, POST)");
        }
        return HttpMethod.valueOf(value.toUpperCase(Locale.ROOT));
    }

    private static Map.Entry<String, String> parseHeader(String value) {
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--header: \"" + value + "\" (expected: Name:value)");
        }
        String name = value.substring(0, colon).trim();
        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new IllegalArgumentException("--header: \"" + name + "\" is not a header name");
        }
        return Map.entry(name, value.substring(colon + 1).trim());
    }

    private static Duration parseDuration(String flag, String value, Duration min) {
        Duration d;
        try {
            d = Units.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
        }
        if (d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: " + min.toMillis() + "ms..24h)");
        }
        return d;
    }

    private static long parseWhole(String flag, String value, long min, long max) {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": \"" + value + "\" is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(flag + ": " + n + " (expected: " + min + ".." + max + ")");
        }
        return n;
    }

    private static double check(String flag, String value, java.util.function.DoubleSupplier parse,
                                double min, double max) {
        double n;
        try {
            n = parse.getAsDouble();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: " + fmt(min) + ".." + fmt(max) + ")");
        }
        return n;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
