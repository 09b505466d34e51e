package dev.gatehouse.admin;

/** A compare-and-set write found that the configuration version had moved on; nothing was applied. */
public final class StaleVersionException extends RuntimeException {

    private final long expectedVersion;
    private final long currentVersion;

    public StaleVersionException(long expectedVersion, long currentVersion) {
        super("configuration version is " + currentVersion + " (expected: " + expectedVersion + ")", null, false,
                false);
        this.expectedVersion = expectedVersion;
        this.currentVersion = currentVersion;
    }

    /** The version the writer had read. */
    public long expectedVersion() {
        return expectedVersion;
    }

    /** The version found in the store. */
    public long currentVersion() {
        return currentVersion;
    }
}
