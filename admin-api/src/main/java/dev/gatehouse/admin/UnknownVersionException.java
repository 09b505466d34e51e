package dev.gatehouse.admin;

/** A rollback named a configuration version that is not (or no longer) in the history. */
public final class UnknownVersionException extends RuntimeException {

    private final long version;

    public UnknownVersionException(long version) {
        super("configuration version " + version + " is not in the history", null, false, false);
        this.version = version;
    }

    public long version() {
        return version;
    }
}
