package dev.gatehouse.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * A TCP relay in front of one Hazelcast member's port, the member's advertised (public) address, so every
 * member-to-member connection to it passes through the test and can be cut: a network partition on loopback.
 *
 * <p>Which member opened a connection is found as {@code ss -p} finds it: the accepted socket's peer port names
 * a socket in {@code /proc/net/tcp6} (or {@code tcp}), whose inode one member process holds in
 * {@code /proc/<pid>/fd}. The relay listens only while the member's own port does (also read from {@code /proc}),
 * so a member that is down is refused through it as it would be directly. Linux only ({@link #supported}).
 */
final class ClusterRelay implements AutoCloseable {

    /** The member process ids by member index; an entry may change when the member restarts. */
    private final List<LongSupplier> pids;
    private final int target;
    private final int self;
    private final int port;
    /** Open while the member listens: a member that is down is refused, as it would be without the relay. */
    private volatile ServerSocket server;
    private volatile boolean closed;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cluster-relay");
        t.setDaemon(true);
        return t;
    });
    private final List<Link> links = new CopyOnWriteArrayList<>();
    /** Which source members may reach this one; null while the network is whole. */
    private volatile IntPredicate allowed;
    /** Connections whose opening member /proc did not name: cut while partitioned, so a count for failures. */
    private final java.util.concurrent.atomic.AtomicInteger unknown = new java.util.concurrent.atomic.AtomicInteger();

    /** One relayed connection and the member index that opened it (-1 unknown). */
    private record Link(Socket in, Socket out, int source) {
        void close() {
            closeQuietly(in);
            closeQuietly(out);
        }
    }

    ClusterRelay(int self, int targetPort, List<LongSupplier> pids) {
        this.self = self;
        this.target = targetPort;
        this.pids = pids;
        this.port = TestNodes.freePort();
        threads.execute(this::follow);
    }

    /** Listens exactly while the member's own port listens (read from /proc: no probe connection). */
    private void follow() {
        while (!closed) {
            boolean up = listening(target);
            ServerSocket s = server;
            if (up && s == null) {
                try {
                    ServerSocket next = new ServerSocket();
                    next.setReuseAddress(true);
                    next.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
                    server = next;
                    threads.execute(() -> accept(next));
                } catch (IOException e) {
                    // the port is in TIME_WAIT or briefly taken: try again on the next round
                }
            } else if (!up && s != null) {
                server = null;
                closeQuietly(s);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static boolean supported() {
        return Files.isReadable(Path.of("/proc/net/tcp")) && Files.isDirectory(Path.of("/proc/self/fd"));
    }

    int port() {
        return port;
    }

    /** Cuts every connection from a member outside {@code side} (when this member is in it, and the reverse). */
    void partition(Set<Integer> side) {
        boolean mine = side.contains(self);
        allowed = source -> source >= 0 && side.contains(source) == mine;
        for (Link l : links) {
            if (!allowed.test(l.source())) {
                l.close();
                links.remove(l);
            }
        }
    }

    void heal() {
        allowed = null;
    }

    /** For a failure message: the relayed links by source member (-1: the opener was not found in /proc). */
    String describe() {
        StringBuilder b = new StringBuilder("relay to member ").append(self).append(" (port ").append(port)
                .append(server != null ? ", listening" : ", not listening").append(
                        allowed != null ? ", partitioned" : "").append("): links from");
        links.forEach(l -> b.append(' ').append(l.source()));
        return b.append(", unknown openers so far ").append(unknown).toString();
    }

    private void accept(ServerSocket listening) {
        while (!listening.isClosed()) {
            Socket in;
            try {
                in = listening.accept();
            } catch (IOException e) {
                return;
            }
            threads.execute(() -> open(in));
        }
    }

    private void open(Socket in) {
        int source = sourceMember(in.getPort());
        IntPredicate rule = allowed;
        if (rule != null && !rule.test(source)) {
            closeQuietly(in);
            return;
        }
        Socket out = new Socket();
        try {
            out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2000);
            in.setTcpNoDelay(true);
            out.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(in);
            closeQuietly(out);
            return;
        }
        Link link = new Link(in, out, source);
        links.add(link);
        // A partition made while this link was being opened may have missed it: look at the rule again, now that
        // partition() would see the link (either it closes it or this does).
        IntPredicate now = allowed;
        if (now != null && !now.test(source)) {
            link.close();
            links.remove(link);
            return;
        }
        threads.execute(() -> pump(in, out, link));
        threads.execute(() -> pump(out, in, link));
    }

    private void pump(Socket from, Socket to, Link link) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
            for (int n; (n = i.read(buf)) >= 0; ) {
                o.write(buf, 0, n);
                o.flush();
            }
        } catch (IOException e) {
            // Closed by the other pump, by a cut or by the member: the link ends either way.
        } finally {
            link.close();
            links.remove(link);
        }
    }

    /** The index of the member process whose socket has local port {@code peerPort} towards this relay, or -1. */
    private int sourceMember(int peerPort) {
        int found = findSourceMember(peerPort);
        if (found < 0) {
            unknown.incrementAndGet();
        }
        return found;
    }

    private int findSourceMember(int peerPort) {
        String inode = inode(peerPort);
        if (inode == null) {
            return -1;
        }
        String link = "socket:[" + inode + "]";
        for (int i = 0; i < pids.size(); i++) {
            long pid = pids.get(i).getAsLong();
            if (pid <= 0) {
                continue;
            }
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    try {
                        if (Files.readSymbolicLink(fd).toString().equals(link)) {
                            return i;
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // that process is gone
            }
        }
        return -1;
    }

    /** Whether a socket listens on loopback port {@code port} (state 0A in /proc/net/tcp). */
    static boolean listening(int port) {
        String local = String.format(":%04X", port);
        for (String table : new String[] {"/proc/net/tcp6", "/proc/net/tcp"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(local) && f[3].equals("0A")) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // no such table
            }
        }
        return false;
    }

    /** The inode of the socket with local port {@code localPort} and remote port this relay's. */
    private String inode(int localPort) {
        String local = String.format(":%04X", localPort);
        String remote = String.format(":%04X", port());
        for (String table : new String[] {"/proc/net/tcp6", "/proc/net/tcp"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    // Inode 0: a socket no process holds any more (TIME_WAIT), whose ports loopback may reuse.
                    if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote) && !f[9].equals("0")) {
                        return f[9];
                    }
                }
            } catch (IOException e) {
                // no such table
            }
        }
        return null;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        ServerSocket s = server;
        if (s != null) {
            closeQuietly(s);
        }
        links.forEach(Link::close);
        threads.shutdownNow();
    }
}
