import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The idle10k workload's client (bench/run.sh): opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on
 * each and reads its answer, holds them all open and idle, then sends a second GET on each to prove they are still
 * usable. One thread, one selector, JDK only: run as a single source file ({@code java bench/IdleConnections.java}),
 * no build.
 *
 * <p>Prints {@code held <answered> <failed>} once every connection has its first answer (or failed) and
 * {@code hold-end} when the hold is over, so the caller can read the server's memory with the connections held, then,
 * after the second requests, one JSON line with the counts. Exits 0 when every connection answered 200 twice and none was closed during the hold, else 1.
 */
public final class IdleConnections {

    private static final int CONNECTING_AT_ONCE = 200; // below every listen backlog: no SYN dropped, no 1 s retry
    private static final long PHASE_LIMIT_NANOS = 120_000_000_000L;

    /** What one connection is doing; its response parse state. */
    private static final class Conn {
        final SocketChannel channel;
        SelectionKey key;
        final StringBuilder head = new StringBuilder();
        int status;
        long bodyLeft = -1;       // bytes of body still to read; -1 until the head is complete
        boolean chunked;
        String chunkTail = "";    // the last bytes of a chunked body, to see its end
        boolean answered;
        boolean failed;
        boolean closed;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }

        void reset() {
            head.setLength(0);
            status = 0;
            bodyLeft = -1;
            chunked = false;
            chunkTail = "";
            answered = false;
        }
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        int count = 10_000;
        long holdMillis = 10_000;
        String path = "/bytes/1024";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--connections" -> count = Integer.parseInt(args[i + 1]);
                case "--hold" -> holdMillis = millis(args[i + 1]);
                case "--path" -> path = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (port <= 0 || count <= 0) {
            System.err.println("usage: java IdleConnections.java --port P [--connections 10000] [--hold 10s] [--path /bytes/1024]");
            System.exit(2);
        }
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: idle10k\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
        ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
        List<Conn> conns = new ArrayList<>(count);
        final int wanted = count;

        try (Selector selector = Selector.open()) {
            // 1. open and send the first request, at most CONNECTING_AT_ONCE connects in flight
            long start = System.nanoTime();
            int started = 0;
            int pending = 0;
            int done = 0;
            int connectErrors = 0;
            while (done < count && System.nanoTime() - start < PHASE_LIMIT_NANOS) {
                while (started < count && pending < CONNECTING_AT_ONCE) {
                    SocketChannel ch;
                    try {
                        ch = SocketChannel.open();   // fails at the file descriptor limit
                        ch.configureBlocking(false);
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    } catch (IOException e) {
                        System.err.println("idle10k: cannot open connection " + (started + 1) + ": " + e);
                        connectErrors += count - started;   // the rest count as errors
                        count = started;
                        break;
                    }
                    Conn c = new Conn(ch);
                    conns.add(c);
                    started++;
                    pending++;
                    try {
                        if (ch.connect(target)) {
                            c.key = ch.register(selector, SelectionKey.OP_READ, c);
                            send(c, request);
                        } else {
                            c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
                        }
                    } catch (IOException e) {
                        fail(c);
                        connectErrors++;
                        pending--;
                        done++;
                    }
                }
                selector.select(1000);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Conn c = (Conn) k.attachment();
                    if (k.isConnectable()) {
                        try {
                            c.channel.finishConnect();
                            k.interestOps(SelectionKey.OP_READ);
                            send(c, request);
                        } catch (IOException e) {
                            fail(c);
                            connectErrors++;
                            pending--;
                            done++;
                        }
                    } else if (k.isReadable()) {
                        boolean wasDone = c.answered || c.failed;
                        read(c, readBuffer);
                        if (!wasDone && (c.answered || c.failed)) {
                            pending--;
                            done++;
                        }
                    }
                }
            }
            double openSeconds = (System.nanoTime() - start) / 1e9;
            int firstOk = 0;
            for (Conn c : conns) {
                if (c.answered && c.status == 200 && !c.failed) {
                    firstOk++;
                }
            }
            System.out.println("held " + firstOk + " " + (wanted - firstOk));
            System.out.flush();

            // 2. hold: nothing is sent; anything readable now is the server closing (or talking out of turn)
            int closedDuringHold = 0;
            long holdEnd = System.nanoTime() + holdMillis * 1_000_000L;
            long left;
            while ((left = holdEnd - System.nanoTime()) > 0) {
                selector.select(Math.max(1, left / 1_000_000L));
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Conn c = (Conn) k.attachment();
                    if (c.failed || !k.isValid()) {
                        continue;
                    }
                    readBuffer.clear();
                    int n;
                    try {
                        n = c.channel.read(readBuffer);
                    } catch (IOException e) {
                        n = -1;
                    }
                    if (n != 0) {  // EOF, a reset, or bytes nobody asked for: the connection is no longer idle-usable
                        c.closed = true;
                        fail(c);
                        closedDuringHold++;
                    }
                }
            }

            System.out.println("hold-end");
            System.out.flush();

            // 3. a second request on every connection still open, as paced as the first (at most CONNECTING_AT_ONCE
            // in flight): this checks that each connection is still usable, not how the proxy takes a burst
            long second = System.nanoTime();
            int next = 0;
            int waiting = 0;
            while (System.nanoTime() - second < PHASE_LIMIT_NANOS) {
                while (next < conns.size() && waiting < CONNECTING_AT_ONCE) {
                    Conn c = conns.get(next++);
                    if (!c.failed) {
                        c.reset();
                        send(c, request);
                        if (!c.failed) {
                            waiting++;
                        }
                    }
                }
                if (waiting == 0 && next >= conns.size()) {
                    break;
                }
                selector.select(1000);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Conn c = (Conn) k.attachment();
                    if (c.failed || c.answered || !k.isValid()) {
                        continue;
                    }
                    read(c, readBuffer);
                    if (c.answered || c.failed) {
                        waiting--;
                    }
                }
            }
            double secondSeconds = (System.nanoTime() - second) / 1e9;
            int secondOk = 0;
            int secondNon200 = 0;
            for (Conn c : conns) {
                if (c.answered && c.status == 200 && !c.failed) {
                    secondOk++;
                } else if (c.answered && !c.failed) {
                    secondNon200++;
                }
                try {
                    c.channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            System.out.printf(Locale.ROOT, "{\"connections\":%d,\"first_ok\":%d,\"connect_errors\":%d,"
                            + "\"closed_during_hold\":%d,\"second_ok\":%d,\"second_non_200\":%d,\"errors\":%d,"
                            + "\"open_s\":%.2f,\"hold_s\":%.1f,\"second_s\":%.2f}%n",
                    wanted, firstOk, connectErrors, closedDuringHold, secondOk, secondNon200, wanted - secondOk,
                    openSeconds,
                    holdMillis / 1000.0, secondSeconds);
            System.exit(secondOk == wanted ? 0 : 1);
        }
    }

    private static void send(Conn c, byte[] request) {
        try {
            ByteBuffer b = ByteBuffer.wrap(request);
            while (b.hasRemaining()) {   // a few dozen bytes into an empty socket buffer: one write
                if (c.channel.write(b) == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            fail(c);
        }
    }

    private static void fail(Conn c) {
        c.failed = true;
        if (c.key != null) {
            c.key.cancel();
        }
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // already broken
        }
    }

    /** Reads what is there and advances the parse of the one response expected; marks answered at its end. */
    private static void read(Conn c, ByteBuffer buf) {
        buf.clear();
        int n;
        try {
            n = c.channel.read(buf);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            fail(c);
            return;
        }
        buf.flip();
        while (buf.hasRemaining() && c.bodyLeft < 0) {
            c.head.append((char) (buf.get() & 0xff));
            int len = c.head.length();
            if (len >= 4 && c.head.charAt(len - 1) == '\n' && c.head.charAt(len - 2) == '\r'
                    && c.head.charAt(len - 3) == '\n' && c.head.charAt(len - 4) == '\r') {
                parseHead(c);
            }
        }
        if (c.bodyLeft < 0) {
            return;
        }
        if (c.chunked) {
            byte[] rest = new byte[buf.remaining()];
            buf.get(rest);
            String tail = c.chunkTail + new String(rest, StandardCharsets.ISO_8859_1);
            c.chunkTail = tail.length() > 5 ? tail.substring(tail.length() - 5) : tail;
            if (c.chunkTail.equals("0\r\n\r\n")) {
                c.answered = true;
            }
        } else {
            c.bodyLeft -= buf.remaining();
            if (c.bodyLeft <= 0) {
                c.answered = true;
            }
        }
    }

    private static void parseHead(Conn c) {
        String[] lines = c.head.toString().split("\r\n");
        String[] statusLine = lines[0].split(" ");
        c.status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : 0;
        c.bodyLeft = 0;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                c.bodyLeft = Long.parseLong(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                c.chunked = true;
            }
        }
        if (!c.chunked && c.bodyLeft == 0) {
            c.answered = true;
        }
    }

    private static long millis(String d) {
        if (d.endsWith("ms")) {
            return Long.parseLong(d.substring(0, d.length() - 2));
        }
        if (d.endsWith("s")) {
            return Long.parseLong(d.substring(0, d.length() - 1)) * 1000;
        }
        if (d.endsWith("m")) {
            return Long.parseLong(d.substring(0, d.length() - 1)) * 60_000;
        }
        return Long.parseLong(d) * 1000;
    }
}
