package dev.gatehouse.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the origin's request count from {@code --origin-counter} URLs, so a run can say how many requests got past
 * the caches: a JSON object with a numeric {@code requests} member, an nginx {@code stub_status} page (its handled
 * requests, which include the reads themselves: {@link Count#selfCounted}) or a bare number.
 */
final class OriginCounter {

    private static final Pattern STUB_STATUS = Pattern.compile("(?m)^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");
    private static final int MAX_BODY = 64 * 1024;

    private OriginCounter() {
    }

    /**
     * A reading: the sum of the counts, and how many of the answers counted the read that fetched them.
     */
    record Count(long requests, int selfCounted) {

        /** Origin requests between an earlier reading and this one, not counting this reading's own reads. */
        long since(Count earlier) {
            return requests - earlier.requests - selfCounted;
        }
    }

    /**
     * The sum of the counts behind {@code urls}; fails with a message naming the URL that could not be read. A reading
     * that fails or stalls is taken once more with a new client: a count read once a run is worth a second try.
     */
    static Future<Count> read(Vertx vertx, List<URI> urls, long timeoutMs) {
        return readOnce(vertx, urls, timeoutMs)
                .recover(first -> readOnce(vertx, urls, timeoutMs).recover(second -> Future.failedFuture(first)));
    }

    private static Future<Count> readOnce(Vertx vertx, List<URI> urls, long timeoutMs) {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setTrustAll(true).setVerifyHost(false));
        List<Future<Count>> counts = urls.stream().map(u -> readOne(client, u, timeoutMs)).toList();
        // Every read is bounded by its own timeouts, yet in about one test run in four on a loaded 2-core machine
        // one never completed (neither timeout fired; cause not found): this bound makes that a failed try.
        return Future.all(counts)
                .timeout(timeoutMs + 1_000, TimeUnit.MILLISECONDS)
                .map(all -> new Count(counts.stream().mapToLong(f -> f.result().requests()).sum(),
                        counts.stream().mapToInt(f -> f.result().selfCounted()).sum()))
                .eventually(() -> close(client));
    }

    /** Closes the client once the reads are done; referencing it here keeps it reachable until then. */
    private static Future<Void> close(HttpClientAgent client) {
        return client.close();
    }

    private static Future<Count> readOne(HttpClientAgent client, URI url, long timeoutMs) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        String uri = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost())
                .setPort(url.getPort() > 0 ? url.getPort() : tls ? 443 : 80).setSsl(tls).setURI(uri)
                .setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs);
        return client.request(request)
                .compose(req -> req.send())
                .compose(resp -> resp.statusCode() == 200
                        ? resp.body()
                        : Future.failedFuture("status " + resp.statusCode()))
                .map(body -> {
                    if (body.length() > MAX_BODY) {
                        throw new IllegalStateException("answer larger than " + MAX_BODY + " bytes");
                    }
                    return parse(body.toString());
                })
                .recover(e -> Future.failedFuture(new IllegalStateException(
                        "--origin-counter " + url + ": " + e.getMessage(), e)));
    }

    /** The count in one answer. */
    static Count parse(String body) {
        String text = body.trim();
        if (text.matches("\\d{1,18}")) {
            return new Count(Long.parseLong(text), 0);
        }
        if (text.startsWith("{")) {
            Object n = new JsonObject(text).getValue("requests");
            if (n instanceof Number number) {
                return new Count(number.longValue(), 0);
            }
            throw new IllegalArgumentException("no numeric \"requests\" member in the JSON answer");
        }
        if (text.startsWith("Active connections:")) {
            Matcher m = STUB_STATUS.matcher(text);
            if (m.find()) {
                return new Count(Long.parseLong(m.group(3)), 1);
            }
        }
        throw new IllegalArgumentException("not a count (expected a number, a JSON object with \"requests\" "
                + "or an nginx stub_status page)");
    }
}
