package dev.gatehouse.proxy.filter;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The threads that run password hashes (bcrypt), one pool per node. It is separate from Vert.x's worker pool so that
 * a flood of guesses cannot queue in front of config writes and other blocking work, and its queue is bounded: when
 * it is full a check is refused at once ({@link #submit} answers {@code null}) and the caller sheds the request.
 * Idle threads end after a while, so a node without Basic auth keeps none.
 */
public final class BcryptPool {

    private final ThreadPoolExecutor executor;
    final LongAdder shed = new LongAdder();

    BcryptPool(int threads, int queue) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "gatehouse-bcrypt-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), factory, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
    }

    /** Half the cores, 1 to 4 threads, and a queue of 16 checks per thread. */
    public static BcryptPool forNode() {
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
        return new BcryptPool(threads, 16 * threads);
    }

    /**
     * Runs {@code task} on the pool. The future completes on {@code context} (the caller's event loop), or on the
     * pool thread when {@code context} is {@code null}.
     *
     * @return the result to come, or {@code null} when the pool is saturated and the task was not accepted
     */
    <T> Future<T> submit(Context context, Callable<T> task) {
        Promise<T> promise = Promise.promise();
        try {
            executor.execute(() -> {
                T result;
                try {
                    result = task.call();
                } catch (Exception | Error e) {
                    complete(context, () -> promise.fail(e));
                    return;
                }
                complete(context, () -> promise.complete(result));
            });
        } catch (RejectedExecutionException e) {
            shed.increment();
            return null;
        }
        return promise.future();
    }

    private static void complete(Context context, Runnable r) {
        if (context == null) {
            r.run();
        } else {
            context.runOnContext(v -> r.run());
        }
    }

    /** The executor itself, for tests that need to fill it. */
    public ThreadPoolExecutor executor() {
        return executor;
    }

    void close() {
        executor.shutdownNow();
    }
}
