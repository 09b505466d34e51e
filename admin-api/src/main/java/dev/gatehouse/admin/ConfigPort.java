package dev.gatehouse.admin;

import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;

import java.util.List;

/**
 * The versioned, cluster-wide shared configuration as the admin API sees it. Implemented by {@code app} on top of
 * the cluster store; every write is a compare-and-set on the version.
 *
 * <p>Methods are called on the admin server's event loop and must not block. Returned futures should complete
 * on the caller's context: bridge results from foreign threads (Hazelcast) with
 * {@code Future.fromCompletionStage(stage, context)}.
 */
public interface ConfigPort {

    /** The newest version this node knows. Never {@code null}. */
    VersionedConfig current();

    /**
     * Makes {@code next} the new version if the current version is still {@code expectedVersion}. The caller has
     * already validated {@code next}.
     *
     * @return the new version, once it is stored; fails with {@link StaleVersionException} when the version moved
     *         on, and with any other exception when the store failed (nothing was applied)
     */
    Future<VersionedConfig> apply(SharedConfig next, long expectedVersion, String author);

    /** The last versions kept, newest first (the current version included). */
    List<VersionedConfig> history();

    /**
     * Applies the configuration of an earlier {@code version} again, as a new version.
     *
     * @return the new version; fails with {@link UnknownVersionException} when {@code version} is not in the
     *         history
     */
    Future<VersionedConfig> rollback(long version, String author);
}
