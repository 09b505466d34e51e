package dev.gatehouse.admin;

/**
 * A configuration write refused because this node cannot safely store one now (its side of a split cluster lacks
 * the quorum); nothing was applied. Answered 503 with {@code Retry-After}: the same write succeeds once it heals.
 */
public final class WritesUnavailableException extends RuntimeException {

    public WritesUnavailableException(String message) {
        super(message, null, false, false);
    }
}
