package dev.gatehouse.proxy.balance;

/**
 * Picks one backend from a fixed eligible list. Stateful (counters, rings) and shared by all event loops, so
 * implementations are thread-safe. Never sees health: the list it was built over is already the eligible set.
 */
public interface BackendSelector {

    /** A backend, or {@code null} when every backend is excluded or the list is empty. */
    Backend select(Selection selection);
}
