package dev.gatehouse.admin;

import dev.gatehouse.config.SharedConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link ConfigPort} in memory: compare-and-set on an {@link AtomicReference}. {@code applyDelayMs} completes
 * writes later, so two requests can read the same version before either applies (a real race).
 */
final class InMemoryConfigPort implements ConfigPort {

    private static final int KEEP = 10;

    private final Vertx vertx;
    private final long applyDelayMs;
    private final AtomicReference<VersionedConfig> current;
    private final Deque<VersionedConfig> history = new ArrayDeque<>();
    /** When set, writes fail as on the minority side of a split cluster (no quorum). */
    volatile String unavailable;

    InMemoryConfigPort(Vertx vertx, SharedConfig initial, long applyDelayMs) {
        this.vertx = vertx;
        this.applyDelayMs = applyDelayMs;
        VersionedConfig first = new VersionedConfig(1, initial, Instant.now(), "seed");
        this.current = new AtomicReference<>(first);
        history.addFirst(first);
    }

    @Override
    public VersionedConfig current() {
        return current.get();
    }

    @Override
    public Future<VersionedConfig> apply(SharedConfig next, long expectedVersion, String author) {
        Future<Void> later = applyDelayMs > 0 ? vertx.timer(applyDelayMs, TimeUnit.MILLISECONDS)
                : Future.succeededFuture();
        return later.compose(v -> {
            if (unavailable != null) {
                return Future.failedFuture(new WritesUnavailableException(unavailable));
            }
            VersionedConfig now = current.get();
            if (now.version() != expectedVersion) {
                return Future.failedFuture(new StaleVersionException(expectedVersion, now.version()));
            }
            VersionedConfig applied = new VersionedConfig(expectedVersion + 1, next, Instant.now(), author);
            if (!current.compareAndSet(now, applied)) {
                return Future.failedFuture(new StaleVersionException(expectedVersion, current.get().version()));
            }
            synchronized (history) {
                history.addFirst(applied);
                while (history.size() > KEEP) {
                    history.removeLast();
                }
            }
            return Future.succeededFuture(applied);
        });
    }

    @Override
    public List<VersionedConfig> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    @Override
    public Future<VersionedConfig> rollback(long version, String author) {
        return history().stream().filter(v -> v.version() == version).findFirst()
                .map(v -> apply(v.config(), current().version(), author))
                .orElseGet(() -> Future.failedFuture(new UnknownVersionException(version)));
    }
}
