package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Stored header fields and validation (RFC 9111 §3.1, §3.2, §4.3): what is kept of a response, the conditional
 * request that revalidates it, whether a 304 selects it, and how a 304 (or HEAD response) updates it.
 */
public final class Validators {

    /**
     * Fields not stored (§3.1): the connection-specific ones of RFC 9110 §7.6.1 and the proxy authentication fields
     * that concern only the next hop (§11.7).
     */
    static final Set<String> NOT_STORED = Set.of("connection", "proxy-connection", "keep-alive", "te",
            "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authentication-info", "proxy-authorization");

    /** A client's own preconditions, which concern the client's copy and not the cache's (§4.3.1). */
    static final List<String> CLIENT_CONDITIONALS =
            List.of("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range");

    private Validators() {
    }

    /**
     * The fields to store of a response (§3.1): all but the connection-specific ones, those Connection names, and
     * those a qualified {@code private} names ({@code privateFields}, lower-case, §5.2.2.7). Order is kept.
     */
    public static MultiMap storedHeaders(MultiMap response, Set<String> privateFields) {
        Set<String> drop = excluded(response);
        drop.addAll(privateFields);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> e : response) {
            if (!drop.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                out.add(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static Set<String> excluded(MultiMap headers) {
        Set<String> drop = new HashSet<>(NOT_STORED);
        for (String option : Fields.listMembers(headers, "Connection")) {
            drop.add(option.toLowerCase(Locale.ROOT));
        }
        return drop;
    }

    /**
     * The validators a revalidation request carries (§4.3.1): If-None-Match with the stored entity tag, and
     * If-Modified-Since with the stored Last-Modified (never a Date: RFC 9110 §13.1.3).
     */
    public static MultiMap revalidationHeaders(MultiMap stored) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        EntityTag etag = EntityTag.parse(stored.get("ETag"));
        if (etag != null) {
            out.add("If-None-Match", etag.toString());
        }
        String lastModified = stored.get("Last-Modified");
        if (lastModified != null) {
            out.add("If-Modified-Since", Fields.trimOws(lastModified));
        }
        return out;
    }

    /** Removes the client's preconditions and Range from a request the cache sends for itself (§4.3.1). */
    public static void stripClientConditionals(MultiMap request) {
        for (String name : CLIENT_CONDITIONALS) {
            request.remove(name);
        }
    }

    /** Whether the stored response can be revalidated at all: it has an entity tag or a Last-Modified (§4.3.1). */
    public static boolean hasValidator(MultiMap stored) {
        return EntityTag.parse(stored.get("ETag")) != null || stored.contains("Last-Modified");
    }

    /**
     * §4.3.4 (and §4.3.5 for a HEAD response): whether a 304 identifies this stored response for update. A strong entity tag must match strongly; a
     * weak one weakly, or an equal Last-Modified; a 304 without validators selects a stored response without any.
     */
    public static boolean selects(MultiMap stored, MultiMap notModified) {
        EntityTag newTag = EntityTag.parse(notModified.get("ETag"));
        EntityTag storedTag = EntityTag.parse(stored.get("ETag"));
        String newLm = notModified.get("Last-Modified");
        String storedLm = stored.get("Last-Modified");
        if (newTag != null && !newTag.weak()) {
            return newTag.strongMatch(storedTag);
        }
        if (newTag != null) {
            return newTag.weakMatch(storedTag);
        }
        if (newLm != null) {
            return storedLm != null && Fields.trimOws(newLm).equals(Fields.trimOws(storedLm));
        }
        return storedTag == null && storedLm == null;
    }

    /**
     * §3.2 (for a 304, §4.3.4; for a HEAD response, §4.3.5): the stored fields with each field of {@code update}
     * replacing all stored lines of that name, except Content-Length and the fields not stored (§3.1).
     */
    public static MultiMap merge(MultiMap stored, MultiMap update) {
        Set<String> skip = excluded(update);
        skip.add("content-length");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Set<String> replaced = new HashSet<>();
        for (Map.Entry<String, String> e : update) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!skip.contains(name)) {
                replaced.add(name);
            }
        }
        for (Map.Entry<String, String> e : stored) {
            if (!replaced.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                out.add(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, String> e : update) {
            if (replaced.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                out.add(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
