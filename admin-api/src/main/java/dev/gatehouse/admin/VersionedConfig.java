package dev.gatehouse.admin;

import dev.gatehouse.config.SharedConfig;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * One version of the cluster-wide shared configuration.
 *
 * @param version   increases by one with every applied change; the admin API's {@code ETag}
 * @param config    the shared configuration of this version
 * @param appliedAt when this version was applied
 * @param author    who applied it: an admin token's name, or a component such as {@code seed}
 */
public record VersionedConfig(long version, SharedConfig config, Instant appliedAt, String author) {

    public VersionedConfig {
        requireNonNull(config, "config");
        requireNonNull(appliedAt, "appliedAt");
        requireNonNull(author, "author");
    }
}
