package dev.gatehouse.proxy.balance;

/**
 * What a selector may ask of the request it picks for. Implemented by the per-request exchange so that a pick
 * allocates nothing.
 */
public interface Selection {

    /** The consistent-hash key of this request, hashed to 64 bits; only called by hashing selectors. */
    long hashKey();

    /** True for backends already tried by this request (a retry must go elsewhere). */
    boolean excluded(Backend backend);
}
