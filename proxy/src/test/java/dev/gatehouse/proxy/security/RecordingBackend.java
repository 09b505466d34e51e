package dev.gatehouse.proxy.security;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backend on a raw socket that parses HTTP/1.1 itself, strictly (RFC 9112: CRLF lines, token names, no obs-fold,
 * no CTLs, one framing header, canonical chunked syntax), and records every request it parses with its connection
 * and arrival order. Anything it cannot parse exactly is recorded as evidence of smuggling and the connection is
 * closed: a proxy must never emit it. Each request is answered with {@code X-Echo-Id} naming the request (its
 * {@code X-Case} header, else the {@code t-<id>} segment of its target) so a crossed response is detectable.
 * Optional behaviour per request: {@code X-Delay: ms} (or {@code delay=ms} in the query) delays the answer,
 * {@code X-Early: 1} answers right after the head, before reading the body; {@code Upgrade: websocket} on a target
 * containing {@code ws426} is answered 426.
 */
final class RecordingBackend implements AutoCloseable {

    static final Pattern ID = Pattern.compile("t-([cd]\\d{5}(?:r\\d+|s))");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern CHUNK_LINE = Pattern.compile(
            "([0-9A-Fa-f]{1,15})((?:;[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|\"[^\"\\\\]*\"))?)*)");
    private static final Pattern DELAY = Pattern.compile("[?&]delay=(\\d+)");

    /** One request as parsed. */
    record Recorded(int connection, int order, String method, String target, String version,
                    List<Map.Entry<String, String>> headers, byte[] body, boolean chunked,
                    List<Map.Entry<String, String>> trailers) {

        String header(String name) {
            for (Map.Entry<String, String> e : headers) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
            return null;
        }

        List<String> all(String name) {
            return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        /** The request's id: its X-Case header, else the id in its target, else null. */
        String id() {
            return idOf(header("X-Case"), target);
        }

        @Override
        public String toString() {
            return "#" + order + " conn " + connection + " " + method + " " + target + " " + headers
                    + " body[" + body.length + "]=" + RecordingBackend.printable(bodyText(), 200);
        }
    }

    /** Bytes the strict parser refused, and why. */
    record Evidence(int connection, String reason, String bytes) {
        @Override
        public String toString() {
            return "conn " + connection + ": " + reason + ": " + bytes;
        }
    }

    final List<Recorded> requests = new CopyOnWriteArrayList<>();
    final List<Evidence> suspicious = new CopyOnWriteArrayList<>();
    /** Requests whose body the proxy stopped sending (connection closed inside it): not smuggling, only noted. */
    final AtomicInteger abortedBodies = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    /** The ids of the requests being read or answered now (a request without an id as "?"). */
    private final Map<Object, String> inFlightIds = new ConcurrentHashMap<>();
    private final AtomicInteger order = new AtomicInteger();
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-backend");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private RecordingBackend(ServerSocket server) {
        this.server = server;
    }

    static RecordingBackend start() {
        try {
            RecordingBackend b = new RecordingBackend(new ServerSocket(0, 1024, InetAddress.getByName("127.0.0.1")));
            b.threads.execute(b::acceptLoop);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String idOf(String caseHeader, String target) {
        if (caseHeader != null && !caseHeader.isBlank()) {
            return caseHeader.trim();
        }
        Matcher m = ID.matcher(target == null ? "" : target);
        return m.find() ? m.group(1) : null;
    }

    /** True when a request whose id starts with {@code prefix} is being read or answered. */
    boolean busyWith(String prefix) {
        return inFlightIds.values().stream().anyMatch(id -> id.startsWith(prefix));
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    void clear() {
        requests.clear();
        suspicious.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                int conn = connections.incrementAndGet();
                open.add(s);
                threads.execute(() -> serve(s, conn));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Thrown when the input is not exactly HTTP/1.1. */
    private static final class Bad extends Exception {
        Bad(String reason) {
            super(reason, null, false, false);
        }
    }

    /** End of stream inside a body. */
    private static final class Aborted extends Exception {
        Aborted() {
            super(null, null, false, false);
        }
    }

    /** An input stream that keeps the bytes of the current request for the evidence. */
    private static final class Capture {
        final InputStream in;
        final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        Capture(InputStream in) {
            this.in = in;
        }

        int read() throws IOException {
            int c = in.read();
            if (c >= 0 && seen.size() < 4096) {
                seen.write(c);
            }
            return c;
        }

        String evidence() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(seen.toByteArray());
            try {
                // What follows the offending bytes, as far as it has already arrived.
                int n = Math.min(in.available(), 1024);
                all.writeBytes(in.readNBytes(n));
            } catch (IOException e) {
                // nothing more
            }
            return printable(all.toString(StandardCharsets.ISO_8859_1), 1500);
        }
    }

    private void serve(Socket s, int conn) {
        try (s) {
            s.setSoTimeout(10_000);
            Capture in = new Capture(new BufferedInputStream(s.getInputStream(), 16 * 1024));
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            while (true) {
                in.seen.reset();
                boolean close;
                try {
                    close = one(in, out, conn);
                } catch (Bad bad) {
                    suspicious.add(new Evidence(conn, bad.getMessage(), in.evidence()));
                    return;
                } catch (Aborted aborted) {
                    abortedBodies.incrementAndGet();
                    return;
                }
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            // the proxy closed or reset the connection
        } finally {
            open.remove(s);
        }
    }

    /** Parses and answers one request; true when the connection is to be closed (also at a clean end). */
    private boolean one(Capture in, OutputStream out, int conn) throws IOException, Bad, Aborted {
        String requestLine = line(in, true);
        if (requestLine == null) {
            return true;
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3) {
            throw new Bad("request line not three parts");
        }
        if (!TOKEN.matcher(parts[0]).matches()) {
            throw new Bad("method not a token");
        }
        for (int i = 0; i < parts[1].length(); i++) {
            char c = parts[1].charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new Bad("target byte 0x" + Integer.toHexString(c));
            }
        }
        if (parts[1].isEmpty()) {
            throw new Bad("empty target");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new Bad("version " + parts[2]);
        }
        List<Map.Entry<String, String>> headers = fields(in, true);
        List<String> te = values(headers, "transfer-encoding");
        List<String> cl = values(headers, "content-length");
        boolean chunked = false;
        long length = 0;
        if (!te.isEmpty()) {
            if (!cl.isEmpty()) {
                throw new Bad("Content-Length with Transfer-Encoding");
            }
            if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked")) {
                throw new Bad("Transfer-Encoding " + te);
            }
            chunked = true;
        } else if (!cl.isEmpty()) {
            if (cl.size() != 1 || !cl.get(0).matches("[0-9]{1,18}")) {
                throw new Bad("Content-Length " + cl);
            }
            length = Long.parseLong(cl.get(0));
        }
        Recorded head = new Recorded(conn, 0, parts[0], parts[1], parts[2], headers, new byte[0], chunked, List.of());
        String id = head.id();
        boolean early = head.header("X-Early") != null;
        Object key = new Object();
        inFlightIds.put(key, id == null ? "?" : id);
        inFlight.incrementAndGet();
        try {
            if ((chunked || length > 0) && "100-continue".equalsIgnoreCase(String.valueOf(head.header("Expect")))) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            if (early) {
                respond(out, head, id, 0);
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            List<Map.Entry<String, String>> trailers = List.of();
            if (chunked) {
                trailers = chunkedBody(in, body);
            } else {
                for (long i = 0; i < length; i++) {
                    int c = in.in.read();
                    if (c < 0) {
                        throw new Aborted();
                    }
                    body.write(c);
                }
            }
            Recorded r = new Recorded(conn, order.incrementAndGet(), parts[0], parts[1], parts[2], headers,
                    body.toByteArray(), chunked, trailers);
            requests.add(r);
            if (!early) {
                respond(out, r, id, delay(r));
            }
            String connection = String.join(",", values(headers, "connection")).toLowerCase(Locale.ROOT);
            return connection.contains("close") || parts[2].equals("HTTP/1.0") && !connection.contains("keep-alive");
        } finally {
            inFlight.decrementAndGet();
            inFlightIds.remove(key);
        }
    }

    private static long delay(Recorded r) {
        String h = r.header("X-Delay");
        if (h != null && h.matches("\\d{1,4}")) {
            return Long.parseLong(h);
        }
        Matcher m = DELAY.matcher(r.target());
        return m.find() ? Math.min(Long.parseLong(m.group(1)), 2000) : 0;
    }

    private static void respond(OutputStream out, Recorded r, String id, long delayMillis) throws IOException {
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String echo = id == null ? "none" : id;
        boolean ws426 = r.target().contains("ws426")
                && String.valueOf(r.header("Upgrade")).toLowerCase(Locale.ROOT).contains("websocket");
        String status = ws426 ? "426 Upgrade Required" : "200 OK";
        byte[] body = ("echo " + echo + " " + r.method() + " " + r.body().length + "\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String head = "HTTP/1.1 " + status + "\r\nX-Echo-Id: " + echo + "\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        if (!r.method().equals("HEAD")) {
            out.write(body);
        }
        out.flush();
    }

    private static List<Map.Entry<String, String>> chunkedBody(Capture in, ByteArrayOutputStream body)
            throws IOException, Bad, Aborted {
        while (true) {
            String sizeLine = line(in, false);
            if (sizeLine == null) {
                throw new Aborted();
            }
            Matcher m = CHUNK_LINE.matcher(sizeLine);
            if (!m.matches()) {
                throw new Bad("chunk size line \"" + printable(sizeLine, 80) + "\"");
            }
            long size = Long.parseLong(m.group(1), 16);
            if (size == 0) {
                List<Map.Entry<String, String>> trailers = fields(in, false);
                for (Map.Entry<String, String> t : trailers) {
                    String n = t.getKey().toLowerCase(Locale.ROOT);
                    if (n.equals("content-length") || n.equals("transfer-encoding") || n.equals("host")) {
                        throw new Bad("framing field in trailer: " + t.getKey());
                    }
                }
                return trailers;
            }
            for (long i = 0; i < size; i++) {
                int c = in.in.read();
                if (c < 0) {
                    throw new Aborted();
                }
                body.write(c);
            }
            String end = line(in, false);
            if (end == null) {
                throw new Aborted();
            }
            if (!end.isEmpty()) {
                throw new Bad("chunk data not followed by CRLF");
            }
        }
    }

    private static List<Map.Entry<String, String>> fields(Capture in, boolean inHead) throws IOException, Bad, Aborted {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        while (true) {
            String l = line(in, false);
            if (l == null) {
                if (inHead) {
                    throw new Bad("end of stream inside the head");
                }
                throw new Aborted();
            }
            if (l.isEmpty()) {
                return out;
            }
            if (out.size() > 1000) {
                throw new Bad("more than 1000 fields");
            }
            if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
                throw new Bad("obs-fold");
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new Bad("field line without a name");
            }
            String name = l.substring(0, colon);
            if (!TOKEN.matcher(name).matches()) {
                throw new Bad("field name not a token: \"" + printable(name, 80) + "\"");
            }
            String value = l.substring(colon + 1).strip();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                // NUL is never allowed (RFC 9110 §5.5); CR and LF cannot occur inside a line here.
                if (c == 0) {
                    throw new Bad("NUL in the value of " + name);
                }
            }
            out.add(Map.entry(name, value));
        }
    }

    private static List<String> values(List<Map.Entry<String, String>> headers, String name) {
        return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    /**
     * One CRLF-terminated line without it; null at a clean end of stream before any byte of it when
     * {@code atStart}, else an end of stream inside it is null too (the caller decides). A bare CR or LF is
     * refused.
     */
    private static String line(Capture in, boolean atStart) throws IOException, Bad {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (sb.length() > 0) {
                    throw new Bad("end of stream inside a line");
                }
                return null;
            }
            if (c == '\r') {
                int n = in.read();
                if (n != '\n') {
                    throw new Bad("bare CR");
                }
                return sb.toString();
            }
            if (c == '\n') {
                throw new Bad("bare LF");
            }
            if (sb.length() > 256 * 1024) {
                throw new Bad("line longer than 256 KiB");
            }
            sb.append((char) c);
        }
    }

    static String printable(String s, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return s.length() > max ? sb + "..." : sb.toString();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
