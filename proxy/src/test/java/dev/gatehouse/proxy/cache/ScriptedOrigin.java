package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A real origin on 127.0.0.1 and an ephemeral port that answers as a conformance case scripts it and records every
 * request it gets. The newest rule whose method and path match a request answers it; a rule may delay its answer,
 * close the connection without one, or act as a validating origin (304 to a matching If-None-Match or
 * If-Modified-Since). {@link #down()} closes the listening socket and every connection, as a crashed origin would.
 */
final class ScriptedOrigin {

    /**
     * One scripted answer; {@code method} and {@code path} null match any. Values may hold placeholders.
     * {@code datesOnly}: a validating origin that looks at If-Modified-Since only (one whose ETags differ per server).
     */
    record Rule(String method, String path, int status, List<Map.Entry<String, String>> headers, String body,
                long delayMillis, boolean validate, boolean close, boolean chunked, boolean datesOnly) {
    }

    /** A request as the origin received it. */
    record Seen(String method, String uri, List<Map.Entry<String, String>> headers) {

        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    out.add(h.getValue());
                }
            }
            return out;
        }
    }

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Vertx vertx;
    private final UnaryOperator<String> resolve;
    private final HttpServer server;
    private final int port;

    /** @param resolve expands placeholders (dates, the proxy's address) when an answer is written */
    ScriptedOrigin(Vertx vertx, UnaryOperator<String> resolve) {
        this.vertx = vertx;
        this.resolve = resolve;
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::handle);
        this.port = Await.result(server.listen()).actualPort();
    }

    int port() {
        return port;
    }

    void add(Rule rule) {
        rules.add(rule);
    }

    void down() {
        Await.result(server.close());
    }

    private void handle(HttpServerRequest req) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        req.headers().forEach(e -> headers.add(Map.entry(e.getKey(), e.getValue())));
        seen.add(new Seen(req.method().name(), req.uri(), List.copyOf(headers)));
        Rule rule = null;
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule r = rules.get(i);
            if ((r.method() == null || r.method().equals(req.method().name()))
                    && (r.path() == null || r.path().equals(req.path()))) {
                rule = r;
                break;
            }
        }
        Rule answer = rule;
        req.body().onComplete(ignored -> {
            if (answer == null) {
                req.response().setStatusCode(599).end("no scripted answer for " + req.method() + " " + req.uri());
            } else if (answer.delayMillis() > 0) {
                vertx.setTimer(answer.delayMillis(), t -> respond(req, answer));
            } else {
                respond(req, answer);
            }
        });
    }

    private void respond(HttpServerRequest req, Rule rule) {
        if (rule.close()) {
            req.connection().close();
            return;
        }
        HttpServerResponse res = req.response();
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Map.Entry<String, String> h : rule.headers()) {
            headers.add(Map.entry(h.getKey(), resolve.apply(h.getValue())));
        }
        boolean notModified = rule.validate() && notModified(req, headers, rule.datesOnly());
        res.setStatusCode(notModified ? 304 : rule.status());
        for (Map.Entry<String, String> h : headers) {
            res.headers().add(h.getKey(), h.getValue());
        }
        if (notModified || rule.status() == 304 || rule.status() == 204 || rule.body() == null) {
            res.end();
        } else if (rule.chunked()) {
            String body = resolve.apply(rule.body());
            res.setChunked(true);
            int half = body.length() / 2;
            res.write(body.substring(0, half));
            res.end(body.substring(half));
        } else {
            res.end(resolve.apply(rule.body()));
        }
    }

    /** A validating origin: If-None-Match against its ETag (weak comparison), else If-Modified-Since. */
    private static boolean notModified(HttpServerRequest req, List<Map.Entry<String, String>> headers,
                                       boolean datesOnly) {
        String etag = value(headers, "ETag");
        String lastModified = value(headers, "Last-Modified");
        String inm = req.headers().get("If-None-Match");
        if (inm != null && !datesOnly) {
            if (etag == null) {
                return false;
            }
            String opaque = strip(etag);
            for (String t : inm.split(",")) {
                if (t.trim().equals("*") || strip(t.trim()).equals(opaque)) {
                    return true;
                }
            }
            return false;
        }
        String ims = req.headers().get("If-Modified-Since");
        if (ims != null && lastModified != null) {
            Instant since = httpDate(ims);
            Instant modified = httpDate(lastModified);
            return since != null && modified != null && !modified.isAfter(since);
        }
        return false;
    }

    /** An HTTP-date (IMF-fixdate), or null. */
    private static Instant httpDate(String s) {
        try {
            return ZonedDateTime.parse(s.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String strip(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }

    private static String value(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }
}
