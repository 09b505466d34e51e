package dev.gatehouse.proxy.cache;

import io.vertx.core.Future;

import java.util.List;

/**
 * Where the cache keeps responses: a cluster-wide map from a primary key (method and target, as the engine builds
 * it) to the stored variants of that resource, one per combination of the request headers its {@code Vary} names.
 * The engine decides what is stored and what a variant may answer (RFC 9111); the store only keeps, finds and drops,
 * and it never serves an entry it cannot authenticate.
 *
 * <p>Every method may be called on an event loop and never blocks it: futures complete on the caller's context when
 * there is one. A failed future means the store could not be reached or refused the call; a cache treats both as a
 * miss (or as "not stored") and goes on with the origin.
 */
public interface ResponseStore {

    /**
     * All live variants stored under {@code primaryKey} (not past their {@link StoredResponse#keepUntil()}), newest
     * first; an empty list on a miss. Choosing the variant whose {@link StoredResponse#vary()} matches the request
     * is the caller's part.
     */
    Future<List<StoredResponse>> get(String primaryKey);

    /**
     * Stores {@code response} under {@code primaryKey}, replacing the variant with the same {@link
     * StoredResponse#vary()} values and keeping the others. The entry lives until the latest {@code keepUntil} of
     * its variants. Completes when the cluster holds it (owner and backup); callers never make a client wait for
     * it. Fails with {@link Refused} when the entry is larger than {@link #maxEntryBytes()}.
     */
    Future<Void> put(String primaryKey, StoredResponse response);

    /**
     * Drops every variant under {@code primaryKey} (RFC 9111 §4.4 invalidation); true if there was one. Other nodes'
     * near caches learn of it through the cluster's own invalidation, within milliseconds but without waiting for
     * them; {@link #purgeKey} waits for every node.
     */
    Future<Boolean> remove(String primaryKey);

    /** Drops the entry under exactly {@code primaryKey}, from the map and every member's near cache. */
    Future<Purge> purgeKey(String primaryKey);

    /** Drops every entry whose primary key starts with {@code prefix}, from the map and every near cache. */
    Future<Purge> purgePrefix(String prefix);

    /** Drops every entry one of whose variants carries {@code tag}, from the map and every near cache. */
    Future<Purge> purgeTag(String tag);

    /**
     * The largest entry stored, in bytes of its stored form (all its variants, headers and bodies, plus a few dozen
     * bytes of framing). A response whose body alone exceeds it is never buffered for the store: it streams through.
     */
    long maxEntryBytes();

    /**
     * What a purge did: how many entries went, and the members (by name) that acknowledged dropping them from
     * their near caches. A purge completes only when every member still in the cluster has acknowledged.
     */
    record Purge(long removed, List<String> acknowledgedBy) {
        public Purge {
            acknowledgedBy = List.copyOf(acknowledgedBy);
        }
    }

    /** A response the store will not keep (too large for {@link #maxEntryBytes()}). */
    final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }
}
