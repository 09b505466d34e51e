package dev.gatehouse.loadtest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Response bodies for {@code /bytes/{n}}: read-only slices of one direct buffer, so a body costs no allocation or
 * copy per request and may be written by every event loop at once (Vert.x writes a fresh slice of it each time).
 */
final class Payloads {

    /** Bodies up to this size are served from memory in one write; larger ones are streamed. */
    static final int MAX_CACHED = 1 << 20;
    /** The write size when streaming. */
    static final int CHUNK = 16 * 1024;

    private static final int[] COMMON = {0, 1, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
            131072, 262144, 524288, 1048576};
    private static final int MAX_EXTRA_ENTRIES = 256;

    private final ByteBuf master;
    private final Map<Integer, Buffer> cache = new ConcurrentHashMap<>();

    Payloads() {
        byte[] pattern = "abcdefghijklmnopqrstuvwxyz0123456789\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuf buf = Unpooled.directBuffer(MAX_CACHED, MAX_CACHED);
        while (buf.isWritable()) {
            buf.writeBytes(pattern, 0, Math.min(pattern.length, buf.writableBytes()));
        }
        master = Unpooled.unreleasableBuffer(buf.asReadOnly());
        for (int n : COMMON) {
            cache.put(n, wrap(n));
        }
    }

    /** A body of exactly {@code n} bytes, {@code 0 <= n <= MAX_CACHED}. */
    Buffer of(int n) {
        if (n < 0 || n > MAX_CACHED) {
            throw new IllegalArgumentException("n: " + n + " (expected: 0.." + MAX_CACHED + ")");
        }
        Buffer cached = cache.get(n);
        if (cached != null) {
            return cached;
        }
        Buffer b = wrap(n);
        if (cache.size() < COMMON.length + MAX_EXTRA_ENTRIES) {
            cache.putIfAbsent(n, b);
        }
        return b;
    }

    private Buffer wrap(int n) {
        return BufferInternal.buffer(master.slice(0, n));
    }
}
