package dev.gatehouse.admin;

import io.vertx.ext.web.RoutingContext;

import java.util.HashSet;
import java.util.Set;

/** Configuration versions as HTTP entity tags: {@code ETag: "7"}, {@code If-Match: "7"}. */
final class Versions {

    private Versions() {
    }

    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /**
     * The {@code If-Match} precondition of a request.
     *
     * @param present  the header was sent (a version or {@code *})
     * @param header   the header as sent, for messages
     * @param versions the versions named; empty (without {@code *}) = nothing can match
     */
    record IfMatch(boolean present, String header, Set<Long> versions) {

        static final IfMatch ABSENT = new IfMatch(false, null, Set.of());

        /** {@code If-Match: *}: any current version; a concurrent change is retried as without the header. */
        boolean any() {
            return present && versions == null;
        }

        /** Whether a version that moved on during the write must be answered with 412 rather than retried. */
        boolean pinsVersion() {
            return present && versions != null;
        }

        static IfMatch of(RoutingContext ctx) {
            String header = ctx.request().getHeader("If-Match");
            if (header == null || header.isBlank()) {
                return ABSENT;
            }
            Set<Long> versions = new HashSet<>();
            for (String part : header.split(",")) {
                String tag = part.trim();
                if (tag.equals("*")) {
                    return new IfMatch(true, "*", null);
                }
                if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
                    tag = tag.substring(1, tag.length() - 1);
                }
                try {
                    versions.add(Long.parseLong(tag));
                } catch (NumberFormatException e) {
                    // An entity tag we never issued (weak, or not a number) cannot match: 412 below.
                }
            }
            return new IfMatch(true, header.trim(), Set.copyOf(versions));
        }

        /** Throws 412 unless absent or naming {@code current}. */
        void check(long current) {
            if (pinsVersion() && !versions.contains(current)) {
                throw Problem.stale(header, current).exception();
            }
        }
    }
}
