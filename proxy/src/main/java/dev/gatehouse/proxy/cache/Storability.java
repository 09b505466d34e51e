package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.util.Set;

/**
 * Whether a shared cache may store a response (RFC 9111 §3, §3.5), for this cache: only complete responses to GET
 * (a HEAD response only updates a stored GET, §4.3.5; a 206 is not stored since only full responses are kept).
 */
public final class Storability {

    /**
     * Status codes defined as heuristically cacheable (RFC 9110 §15.1): cacheable without explicit freshness.
     */
    static final Set<Integer> HEURISTICALLY_CACHEABLE = Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);

    /**
     * Status codes whose caching requirements this cache understands and implements (for {@code must-understand},
     * §5.2.2.3): the heuristically cacheable ones and the redirects cacheable only with explicit freshness.
     */
    static final Set<Integer> UNDERSTOOD = Set.of(200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501);

    /** Why a response is or is not stored; the wording goes into Cache-Status {@code detail}. */
    public enum Reason {
        STORABLE, METHOD, NOT_FINAL, PARTIAL, NOT_MODIFIED, REQUEST_NO_STORE, NO_STORE, MUST_UNDERSTAND, PRIVATE,
        AUTHORIZATION, SET_COOKIE, VARY_STAR, NOT_EXPLICITLY_CACHEABLE
    }

    /**
     * The verdict; {@code stripFields} are lower-case field names of a qualified {@code private} that must not be
     * stored (§5.2.2.7).
     */
    public record Decision(boolean storable, Reason reason, Set<String> stripFields) {
        static Decision no(Reason r) {
            return new Decision(false, r, Set.of());
        }
    }

    private final boolean storeSetCookie;

    /** {@code storeSetCookie}: whether responses carrying Set-Cookie may be stored (off by default: issue 11). */
    public Storability(boolean storeSetCookie) {
        this.storeSetCookie = storeSetCookie;
    }

    /** §3 in order; {@code response} is the directives chosen by {@link CacheControl#response}. */
    public Decision decide(String method, MultiMap requestHeaders, int status, MultiMap responseHeaders,
            CacheControl request, CacheControl response) {
        if (!"GET".equals(method)) {
            return Decision.no(Reason.METHOD); // §3: a method the cache understands as cacheable; HEAD only updates
        }
        if (status < 200) {
            return Decision.no(Reason.NOT_FINAL); // §3: the status code is final
        }
        if (status == 206) {
            return Decision.no(Reason.PARTIAL); // §3.3 allows storing partial content; this cache keeps full ones only
        }
        if (status == 304) {
            return Decision.no(Reason.NOT_MODIFIED); // §3: 304 updates a stored response (§4.3.4), never stored
        }
        if (request.noStore()) {
            return Decision.no(Reason.REQUEST_NO_STORE); // §5.2.1.5
        }
        boolean understood = UNDERSTOOD.contains(status);
        if (response.mustUnderstand() && !understood) {
            return Decision.no(Reason.MUST_UNDERSTAND); // §3, §5.2.2.3
        }
        if (response.noStore() && !(response.mustUnderstand() && understood)) {
            return Decision.no(Reason.NO_STORE); // §5.2.2.5; ignored with must-understand on an understood status
        }
        if (response.isPrivate()) {
            return Decision.no(Reason.PRIVATE); // §5.2.2.7: a shared cache must not store it
        }
        if (requestHeaders.contains("Authorization")
                && !(response.isPublic() || response.sMaxAge() != CacheControl.ABSENT || response.mustRevalidate())) {
            return Decision.no(Reason.AUTHORIZATION); // §3.5
        }
        if (!storeSetCookie && responseHeaders.contains("Set-Cookie")) {
            return Decision.no(Reason.SET_COOKIE); // one user's cookie never served to another
        }
        if (Vary.of(responseHeaders).star()) {
            return Decision.no(Reason.VARY_STAR); // §4.1: "*" never matches, so storing it could serve no one
        }
        boolean expires = !response.targeted() && responseHeaders.contains("Expires");
        boolean explicit = response.isPublic() || expires || response.maxAge() != CacheControl.ABSENT
                || response.sMaxAge() != CacheControl.ABSENT || HEURISTICALLY_CACHEABLE.contains(status);
        if (!explicit) {
            return Decision.no(Reason.NOT_EXPLICITLY_CACHEABLE); // §3: no freshness information and not heuristic
        }
        return new Decision(true, Reason.STORABLE, response.privateFields());
    }
}
