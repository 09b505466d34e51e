package dev.gatehouse.proxy;

import io.vertx.core.Future;

import java.util.concurrent.TimeUnit;

/** Blocks a test thread (never an event loop) on a future, with a deadline. */
public final class Await {

    private Await() {
    }

    public static <T> T result(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new RuntimeException(e.getCause());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
