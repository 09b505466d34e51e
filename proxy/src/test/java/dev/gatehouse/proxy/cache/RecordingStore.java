package dev.gatehouse.proxy.cache;

import io.vertx.core.Future;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node-local store behind the proxy under test, counting writes so the conformance runner can wait for the
 * asynchronous store (the client's response never waits for it, issue 11) before the next step, instead of sleeping.
 * It observes the storage contract only; what is stored and served stays the engine's decision.
 */
final class RecordingStore implements ResponseStore {

    final AtomicInteger putsStarted = new AtomicInteger();
    final AtomicInteger putsDone = new AtomicInteger();
    final AtomicInteger removesStarted = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    private final ResponseStore delegate;

    RecordingStore(ResponseStore delegate) {
        this.delegate = delegate;
    }

    private <T> Future<T> track(Future<T> f) {
        return f.andThen(r -> inFlight.decrementAndGet());
    }

    @Override
    public Future<List<StoredResponse>> get(String primaryKey) {
        return delegate.get(primaryKey);
    }

    @Override
    public Future<Void> put(String primaryKey, StoredResponse response) {
        inFlight.incrementAndGet();
        putsStarted.incrementAndGet();
        return track(delegate.put(primaryKey, response).andThen(r -> putsDone.incrementAndGet()));
    }

    @Override
    public Future<Boolean> remove(String primaryKey) {
        inFlight.incrementAndGet();
        removesStarted.incrementAndGet();
        return track(delegate.remove(primaryKey));
    }

    @Override
    public Future<Purge> purgeKey(String primaryKey) {
        return delegate.purgeKey(primaryKey);
    }

    @Override
    public Future<Purge> purgePrefix(String prefix) {
        return delegate.purgePrefix(prefix);
    }

    @Override
    public Future<Purge> purgeTag(String tag) {
        return delegate.purgeTag(tag);
    }

    @Override
    public long maxEntryBytes() {
        return delegate.maxEntryBytes();
    }
}
