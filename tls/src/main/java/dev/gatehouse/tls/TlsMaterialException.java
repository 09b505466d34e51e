package dev.gatehouse.tls;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A certificate, key, password or trust file that cannot be used. The message names the file first and then says
 * what is wrong, e.g. {@code certs/site.pem: certificate expired on 2025-01-01T00:00:00Z}, so it can be shown to an
 * operator as is. Unchecked because it crosses lambdas (reload callbacks) and Vert.x futures unchanged.
 */
public final class TlsMaterialException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    TlsMaterialException(Path file, String problem) {
        this(file, problem, null);
    }

    TlsMaterialException(Path file, String problem, Throwable cause) {
        super(file == null ? problem : file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in; empty when the problem is not about one file (e.g. an unset variable). */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }
}
