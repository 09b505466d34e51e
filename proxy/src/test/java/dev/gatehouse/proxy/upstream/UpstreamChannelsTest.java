package dev.gatehouse.proxy.upstream;

import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.balance.BackendPoolTest;

import dev.gatehouse.proxy.balance.Backend;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path's per-loop upstream pool against a real loopback backend on a real event loop: reuse, limits, the
 * pending queue, expiry, and the rule that a connection holding bytes past its response is never pooled.
 */
public class UpstreamChannelsTest {

    private static final String OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

    private static Vertx vertx;
    private static EventLoop loop;
    private static NetServer server;
    private static final AtomicInteger accepted = new AtomicInteger();
    private static final List<NetSocket> sockets = new CopyOnWriteArrayList<>();
    /** What the backend answers to each request it reads. */
    private static volatile String answer = OK;

    private UpstreamChannels channels;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        loop = ((VertxInternal) vertx).nettyEventLoopGroup().next();
        server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
                .connectHandler(s -> {
                    accepted.incrementAndGet();
                    sockets.add(s);
                    s.handler(b -> s.write(Buffer.buffer(answer)));
                });
        server.listen().await(5, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void setUp() throws Exception {
        accepted.set(0);
        sockets.clear();
        answer = OK;
        channels = onLoop(() -> new UpstreamChannels((VertxInternal) vertx, loop, 2));
    }

    @AfterEach
    void tearDown() throws Exception {
        onLoop(() -> {
            channels.close();
            return null;
        });
    }

    private static <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(2, TimeUnit.SECONDS);
    }

    private static BackendPool pool(String extra, int port) {
        return BackendPoolTest.pool(extra, "{ url: \"http://127.0.0.1:" + port + "\" }");
    }

    /** Records what the pool tells one request. */
    public static final class Waiter implements UpstreamChannels.Waiter {
        final CompletableFuture<UpstreamChannels.Connection> connection = new CompletableFuture<>();
        final CompletableFuture<Boolean> reused = new CompletableFuture<>();
        final CompletableFuture<Throwable> failed = new CompletableFuture<>();
        volatile boolean overloaded;

        @Override
        public void connected(UpstreamChannels.Connection c, boolean wasReused) {
            reused.complete(wasReused);
            connection.complete(c);
        }

        @Override
        public void connectFailed(Throwable cause) {
            failed.complete(cause);
        }

        @Override
        public void overloaded() {
            overloaded = true;
        }

        public UpstreamChannels.Connection await() throws Exception {
            return connection.get(2, TimeUnit.SECONDS);
        }

        public boolean settled() {
            return connection.isDone() || failed.isDone() || overloaded;
        }
    }

    /** Reads one response; like the fast path, it releases the connection from within the read of its last part. */
    static final class Owner implements UpstreamChannels.Connection.Owner {
        final UpstreamChannels.Connection connection;
        final List<Object> parts = new ArrayList<>();
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        /** Whether the channel was still open right after the release, in the same read. */
        volatile boolean openAfterRelease;

        Owner(UpstreamChannels.Connection connection) {
            this.connection = connection;
        }

        @Override
        public void upstreamRead(Object msg) {
            parts.add(msg instanceof HttpResponse r ? r.status().code() : msg.getClass().getSimpleName());
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                connection.release();
                openAfterRelease = connection.channel.isOpen();
                done.complete(parts.size());
            }
        }

        @Override
        public void upstreamReadComplete() {
        }

        @Override
        public void upstreamClosed() {
            closed.complete(null);
        }

        @Override
        public void upstreamWritable() {
        }
    }

    private Waiter acquire(BackendPool pool) throws Exception {
        Waiter w = new Waiter();
        onLoop(() -> {
            channels.acquire(pool, pool.backends.get(0), w);
            return null;
        });
        return w;
    }

    /** Sends one request on {@code c} and waits until its response was read and the connection released. */
    private static Owner exchange(UpstreamChannels.Connection c) throws Exception {
        Owner owner = new Owner(c);
        onLoop(() -> {
            c.own(owner);
            c.channel.writeAndFlush(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nhost: b\r\n\r\n", StandardCharsets.US_ASCII));
            return null;
        });
        owner.done.get(2, TimeUnit.SECONDS);
        return owner;
    }

    /**
     * The backend's socket of {@code c}, matched by port: a connection of an earlier test may be accepted late (on a
     * loaded machine) and land in {@link #sockets} after this test's setUp cleared it.
     */
    private static NetSocket backendSide(UpstreamChannels.Connection c) {
        int port = ((java.net.InetSocketAddress) c.channel.localAddress()).getPort();
        return org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).until(
                () -> sockets.stream().filter(s -> s.remoteAddress().port() == port).findFirst().orElse(null),
                java.util.Objects::nonNull);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aReleasedConnectionIsReusedForTheNextRequest() throws Exception {
        BackendPool pool = pool("", server.actualPort());
        Waiter first = acquire(pool);
        UpstreamChannels.Connection c = first.await();
        assertThat(first.reused.get()).isFalse();
        Owner owner = exchange(c);
        assertThat(owner.parts).containsExactly(200, "DefaultLastHttpContent");
        assertThat(owner.openAfterRelease).isTrue();

        Waiter second = acquire(pool);
        assertThat(second.await()).isSameAs(c);
        assertThat(second.reused.get()).isTrue();
        exchange(c);
        assertThat(accepted.get()).isEqualTo(1);
    }

    @Test
    void pastItsShareOfMaxConnectionsARequestWaitsAndPastThePendingLimitItIsRefused() throws Exception {
        // Two event loops: each gets half of max-connections (1) and of max-pending-requests (1).
        BackendPool pool = pool("max-connections: 2\ncircuit-breaker: { max-pending-requests: 2 }",
                server.actualPort());
        Waiter holder = acquire(pool);
        UpstreamChannels.Connection c = holder.await();
        Waiter queued = acquire(pool);
        Waiter refused = acquire(pool);
        assertThat(refused.overloaded).isTrue();
        assertThat(queued.settled()).isFalse();

        // The release hands the connection straight to the waiter.
        exchange(c);
        assertThat(queued.await()).isSameAs(c);
        assertThat(queued.reused.get()).isTrue();
        assertThat(accepted.get()).isEqualTo(1);
    }

    @Test
    void aCancelledWaiterIsNotServed() throws Exception {
        BackendPool pool = pool("max-connections: 2", server.actualPort());
        UpstreamChannels.Connection c = acquire(pool).await();
        Waiter gaveUp = acquire(pool);
        onLoop(() -> {
            channels.cancel(pool.backends.get(0), gaveUp);
            return null;
        });
        exchange(c);
        assertThat(gaveUp.settled()).isFalse();
        // The connection went idle instead: the next request reuses it.
        Waiter next = acquire(pool);
        assertThat(next.await()).isSameAs(c);
        assertThat(next.reused.get()).isTrue();
    }

    @Test
    void anIdleConnectionPastTheIdleTimeoutIsClosedNotReused() throws Exception {
        BackendPool pool = pool("idle-timeout: 1ms", server.actualPort());
        UpstreamChannels.Connection c = acquire(pool).await();
        exchange(c);
        NetSocket first = backendSide(c);
        // Let the 1 ms idle timeout pass (measured, not slept: nothing else is waited for).
        long released = System.nanoTime();
        while (System.nanoTime() - released < 2_000_000) {
            Thread.onSpinWait();
        }
        Waiter next = acquire(pool);
        UpstreamChannels.Connection fresh = next.await();
        assertThat(fresh).isNotSameAs(c);
        assertThat(next.reused.get()).isFalse();
        c.channel.closeFuture().get(2, TimeUnit.SECONDS);
        exchange(fresh);
        // Two connections of this test reached the backend (found by port: an earlier test's may be accepted late).
        assertThat(backendSide(fresh)).isNotNull().isNotSameAs(first);
    }

    @Test
    void anIdleConnectionTheBackendClosedIsNotReused() throws Exception {
        BackendPool pool = pool("", server.actualPort());
        UpstreamChannels.Connection c = acquire(pool).await();
        exchange(c);
        backendSide(c).close();
        c.channel.closeFuture().get(2, TimeUnit.SECONDS);
        Waiter next = acquire(pool);
        assertThat(next.await()).isNotSameAs(c);
        assertThat(next.reused.get()).isFalse();
    }

    @Test
    void bytesOnAnIdleConnectionCloseIt() throws Exception {
        BackendPool pool = pool("", server.actualPort());
        UpstreamChannels.Connection c = acquire(pool).await();
        exchange(c);
        // An answer nobody asked for: it would be taken for the next request's response.
        backendSide(c).write(Buffer.buffer(OK));
        c.channel.closeFuture().get(2, TimeUnit.SECONDS);
        Waiter next = acquire(pool);
        assertThat(next.await()).isNotSameAs(c);
        assertThat(next.reused.get()).isFalse();
    }

    @Test
    void aConnectionHoldingBytesPastItsResponseIsDiscardedNotPooled() throws Exception {
        BackendPool pool = pool("", server.actualPort());
        // One write: a complete response and the start of another. When the first ends, the rest is still buffered.
        answer = OK + "HTTP/1.1 200 OK\r\ncontent-le";
        UpstreamChannels.Connection c = acquire(pool).await();
        NetSocket first = backendSide(c);
        Owner owner = exchange(c);
        assertThat(owner.parts).containsExactly(200, "DefaultLastHttpContent");
        // Closed by the release itself, in the read that ended the response: it never reached the idle list.
        assertThat(owner.openAfterRelease).isFalse();
        c.channel.closeFuture().get(2, TimeUnit.SECONDS);

        answer = OK;
        Waiter next = acquire(pool);
        UpstreamChannels.Connection fresh = next.await();
        assertThat(fresh).isNotSameAs(c);
        assertThat(next.reused.get()).isFalse();
        exchange(fresh);
        // Two connections of this test reached the backend (found by port: an earlier test's may be accepted late).
        assertThat(backendSide(fresh)).isNotNull().isNotSameAs(first);
    }

    @Test
    void aDiscardedConnectionFreesItsSlotForAWaiter() throws Exception {
        BackendPool pool = pool("max-connections: 2", server.actualPort());
        UpstreamChannels.Connection c = acquire(pool).await();
        Waiter queued = acquire(pool);
        onLoop(() -> {
            c.discard();
            return null;
        });
        UpstreamChannels.Connection fresh = queued.await();
        assertThat(fresh).isNotSameAs(c);
        assertThat(queued.reused.get()).isFalse();
    }

    @Test
    void aFailedConnectIsReportedAndFreesItsSlotForTheNextWaiter() throws Exception {
        BackendPool pool = pool("max-connections: 2\nconnect-timeout: 1s", freePort());
        Waiter first = acquire(pool);
        Waiter queued = acquire(pool);
        assertThat(first.failed.get(2, TimeUnit.SECONDS)).isNotNull();
        // The queued waiter gets its own connect attempt, which fails the same way; nothing stays counted as open.
        assertThat(queued.failed.get(2, TimeUnit.SECONDS)).isNotNull();
        Waiter third = acquire(pool);
        assertThat(third.failed.get(2, TimeUnit.SECONDS)).isNotNull();
        assertThat(third.overloaded).isFalse();
    }

    @Test
    void theOwnerIsToldWhenTheBackendClosesMidResponse() throws Exception {
        BackendPool pool = pool("", server.actualPort());
        answer = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nok";
        UpstreamChannels.Connection c = acquire(pool).await();
        Owner owner = new Owner(c);
        onLoop(() -> {
            c.own(owner);
            c.channel.writeAndFlush(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nhost: b\r\n\r\n", StandardCharsets.US_ASCII));
            return null;
        });
        // Once the head arrived, the backend cuts the connection.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).until(() -> !owner.parts.isEmpty());
        backendSide(c).close();
        owner.closed.get(2, TimeUnit.SECONDS);
        assertThat(owner.done).isNotDone();
        Waiter next = acquire(pool);
        assertThat(next.await()).isNotSameAs(c);
    }
}
