package dev.gatehouse.proxy.security;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A client connection on a raw socket for what real clients refuse to send. Every read has an absolute deadline:
 * {@link #read} says whether a response came, the connection closed, the deadline passed, or the bytes were no
 * HTTP response at all.
 */
final class Wire implements AutoCloseable {

    enum Kind { RESPONSE, CLOSED, TIMEOUT, GARBLED }

    /** One response, or why there is none. */
    record Resp(Kind kind, int status, String statusLine, List<Map.Entry<String, String>> headers, byte[] body,
                String problem) {

        String header(String name) {
            for (Map.Entry<String, String> e : headers) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
            return null;
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return kind == Kind.RESPONSE ? statusLine + " " + headers : kind + (problem == null ? "" : " " + problem);
        }
    }

    private static final class Timeout extends Exception {
        Timeout() {
            super(null, null, false, false);
        }
    }

    private static final class Garbled extends Exception {
        Garbled(String m) {
            super(m, null, false, false);
        }
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private long deadline;

    private Wire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static Wire connect(int port) {
        try {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return new Wire(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes; false when the peer has already closed (a valid answer to a refused request). */
    boolean send(byte[] b) {
        try {
            out.write(b);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    boolean send(String s) {
        return send(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response (skipping nothing: a 1xx is returned too) before {@code deadlineNanos}. */
    Resp read(long deadlineNanos, boolean head) {
        this.deadline = deadlineNanos;
        try {
            int first = next();
            if (first < 0) {
                return new Resp(Kind.CLOSED, 0, null, List.of(), new byte[0], null);
            }
            String statusLine = (char) first + line();
            if (!statusLine.matches("HTTP/1\\.[01] [1-5][0-9][0-9]( .*)?")) {
                throw new Garbled("status line \"" + RecordingBackend.printable(statusLine, 80) + "\"");
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            for (String l = line(); !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                if (colon <= 0) {
                    throw new Garbled("header line \"" + RecordingBackend.printable(l, 80) + "\"");
                }
                headers.add(Map.entry(l.substring(0, colon).trim(), l.substring(colon + 1).trim()));
            }
            Resp r = new Resp(Kind.RESPONSE, status, statusLine, headers, new byte[0], null);
            if (head || status < 200 || status == 204 || status == 304) {
                return r;
            }
            String te = r.header("transfer-encoding");
            String cl = r.header("content-length");
            byte[] body;
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = chunked();
            } else if (cl != null) {
                body = bytes(Integer.parseInt(cl.trim()));
            } else {
                body = untilClose();
            }
            return new Resp(Kind.RESPONSE, status, statusLine, headers, body, null);
        } catch (Timeout t) {
            return new Resp(Kind.TIMEOUT, 0, null, List.of(), new byte[0], null);
        } catch (Garbled g) {
            return new Resp(Kind.GARBLED, 0, null, List.of(), new byte[0], g.getMessage());
        } catch (NumberFormatException e) {
            return new Resp(Kind.GARBLED, 0, null, List.of(), new byte[0], e.toString());
        }
    }

    /** True when the connection ends (or resets) before the deadline; bytes before the end are skipped. */
    boolean closedBefore(long deadlineNanos) {
        this.deadline = deadlineNanos;
        try {
            while (next() >= 0) {
                // skip
            }
            return true;
        } catch (Timeout t) {
            return false;
        }
    }

    /** True when any byte arrives or the connection ends before the deadline. */
    boolean anythingBefore(long deadlineNanos) {
        this.deadline = deadlineNanos;
        try {
            next();
            return true;
        } catch (Timeout t) {
            return false;
        }
    }

    private int next() throws Timeout {
        try {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                if (in.available() > 0) {
                    return in.read();
                }
                throw new Timeout();
            }
            socket.setSoTimeout((int) Math.max(1, left));
            return in.read();
        } catch (SocketTimeoutException e) {
            throw new Timeout();
        } catch (IOException e) {
            return -1; // reset: closed as well
        }
    }

    private String line() throws Timeout, Garbled {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = next();
            if (c < 0) {
                throw new Garbled("closed inside a response head");
            }
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            if (sb.length() > 64 * 1024) {
                throw new Garbled("response line over 64 KiB");
            }
            sb.append((char) c);
        }
    }

    private byte[] bytes(int n) throws Timeout, Garbled {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = next();
            if (c < 0) {
                throw new Garbled("closed inside a response body");
            }
            b[i] = (byte) c;
        }
        return b;
    }

    private byte[] untilClose() throws Timeout {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = next(); c >= 0; c = next()) {
            b.write(c);
        }
        return b.toByteArray();
    }

    private byte[] chunked() throws Timeout, Garbled {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            int semi = size.indexOf(';');
            int n;
            try {
                n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            } catch (NumberFormatException e) {
                throw new Garbled("chunk size \"" + RecordingBackend.printable(size, 40) + "\"");
            }
            if (n == 0) {
                for (String l = line(); !l.isEmpty(); l = line()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.writeBytes(bytes(n));
            line();
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
