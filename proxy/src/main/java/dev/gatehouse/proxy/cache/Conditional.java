package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.time.Instant;
import java.util.List;

/**
 * A client's conditional GET or HEAD answered from a stored response (RFC 9111 §4.3.2, RFC 9110 §13.1.2, §13.1.3,
 * §13.2.2): If-None-Match first, compared weakly; If-Modified-Since only without If-None-Match. When the condition
 * holds, the answer is 304 with the fields of §15.4.5.
 */
public final class Conditional {

    /** Fields a 304 carries when a 200 would have (RFC 9110 §15.4.5). */
    static final List<String> NOT_MODIFIED_FIELDS =
            List.of("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary");

    private Conditional() {
    }

    /**
     * Whether the request's preconditions make the answer 304 Not Modified.
     *
     * @param storedResponseTime when the stored response was received: its modification date when it has neither
     *                           Last-Modified nor Date (§4.3.2)
     */
    public static boolean notModified(String method, MultiMap request, MultiMap stored, Instant storedResponseTime) {
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return false;
        }
        List<String> inm = request.getAll("If-None-Match");
        if (!inm.isEmpty()) {
            return noneMatchFails(inm, stored);
        }
        List<String> ims = request.getAll("If-Modified-Since");
        if (ims.size() != 1) {
            return false; // absent, or more than one member: ignored (§13.1.3)
        }
        Instant since = HttpDate.parse(ims.get(0), storedResponseTime);
        if (since == null) {
            return false; // not a valid HTTP-date: ignored (§13.1.3)
        }
        Instant modified = HttpDate.parse(stored.get("Last-Modified"), storedResponseTime);
        if (modified == null) {
            modified = HttpDate.parse(stored.get("Date"), storedResponseTime);
        }
        if (modified == null) {
            modified = storedResponseTime;
        }
        return !modified.isAfter(since);
    }

    /** §13.1.2: "*" matches any stored representation; else a weak match of any listed tag. Invalid: no match. */
    private static boolean noneMatchFails(List<String> lines, MultiMap stored) {
        if (lines.size() == 1 && Fields.trimOws(lines.get(0)).equals("*")) {
            return true;
        }
        List<EntityTag> tags = EntityTag.parseList(lines);
        EntityTag current = EntityTag.parse(stored.get("ETag"));
        if (tags == null || current == null) {
            return false;
        }
        for (EntityTag t : tags) {
            if (t.weakMatch(current)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The header fields of a 304 made from a stored response (RFC 9110 §15.4.5): those a 200 would carry among
     * Cache-Control, Content-Location, Date, ETag, Expires and Vary, plus Last-Modified when there is no ETag, as it
     * then guides cache updates. The caller adds Age and Cache-Status.
     */
    public static MultiMap notModifiedHeaders(MultiMap stored) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (String name : NOT_MODIFIED_FIELDS) {
            List<String> values = stored.getAll(name);
            if (!values.isEmpty()) {
                out.add(name, values);
            }
        }
        if (!stored.contains("ETag") && stored.contains("Last-Modified")) {
            out.add("Last-Modified", stored.getAll("Last-Modified"));
        }
        return out;
    }
}
