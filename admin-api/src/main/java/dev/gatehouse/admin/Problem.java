package dev.gatehouse.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.ConfigProblem;

import java.util.List;
import java.util.Map;

/**
 * An RFC 9457 problem: what the admin API answers for every failure. Thrown as a {@link ProblemException} and
 * rendered once, by the router's failure handler.
 *
 * @param slug    the last part of the {@code type} URI ({@code urn:gatehouse:problem:<slug>})
 * @param errors  located problems, e.g. {@code routes[0].pool}; empty when the failure has no location
 * @param headers extra response headers ({@code WWW-Authenticate}, {@code Allow})
 */
record Problem(int status, String slug, String title, String detail, List<ConfigProblem> errors,
               Map<String, String> headers) {

    static final String CONTENT_TYPE = "application/problem+json";

    Problem {
        errors = List.copyOf(errors);
        headers = Map.copyOf(headers);
    }

    static Problem of(int status, String slug, String title, String detail) {
        return new Problem(status, slug, title, detail, List.of(), Map.of());
    }

    static Problem invalid(List<ConfigProblem> errors) {
        String detail = errors.size() == 1 ? errors.get(0).toString()
                : errors.size() + " problems, the first: " + errors.get(0);
        return new Problem(400, "invalid-config", "The configuration is not valid", detail, errors, Map.of());
    }

    static Problem invalid(String path, String message) {
        return invalid(List.of(new ConfigProblem(path, message)));
    }

    static Problem badRequest(String detail) {
        return of(400, "bad-request", "Bad request", detail);
    }

    static Problem badRequest(String path, String message) {
        return new Problem(400, "bad-request", "Bad request", new ConfigProblem(path, message).toString(),
                List.of(new ConfigProblem(path, message)), Map.of());
    }

    static Problem notFound(String detail) {
        return of(404, "not-found", "Not found", detail);
    }

    static Problem conflict(String detail, List<ConfigProblem> errors) {
        return new Problem(409, "conflict", "Conflict", detail, errors, Map.of());
    }

    static Problem stale(String ifMatch, long current) {
        return of(412, "stale-version", "The configuration version has changed",
                "If-Match " + ifMatch + " does not match the current version " + Versions.etag(current)
                        + "; read the configuration again and retry");
    }

    Problem withHeader(String name, String value) {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.put(name, value);
        return new Problem(status, slug, title, detail, errors, h);
    }

    ProblemException exception() {
        return new ProblemException(this);
    }

    ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("type", "urn:gatehouse:problem:" + slug);
        o.put("title", title);
        o.put("status", status);
        if (detail != null) {
            o.put("detail", detail);
        }
        ArrayNode list = o.putArray("errors");
        for (ConfigProblem p : errors) {
            list.addObject().put("path", p.path()).put("message", p.message());
        }
        return o;
    }
}
