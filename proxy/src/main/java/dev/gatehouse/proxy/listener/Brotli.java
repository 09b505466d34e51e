package dev.gatehouse.proxy.listener;

/** Whether the native brotli encoder loaded on this platform; gzip is always there. */
final class Brotli {

    private static final boolean AVAILABLE = check();

    private Brotli() {
    }

    static boolean available() {
        return AVAILABLE;
    }

    private static boolean check() {
        try {
            return io.netty.handler.codec.compression.Brotli.isAvailable();
        } catch (Throwable t) {
            return false;
        }
    }
}
