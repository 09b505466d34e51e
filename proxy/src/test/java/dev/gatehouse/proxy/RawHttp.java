package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket to 127.0.0.1, for what real clients refuse to send: smuggling attempts, hop-by-hop
 * headers, odd Host values, PROXY protocol preambles. Every read has a deadline, so a hang fails the test.
 */
final class RawHttp implements AutoCloseable {

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static RawHttp connect(int port) {
        return connect(port, -1);
    }

    /** @param receiveBuffer the socket's receive buffer in bytes, or -1 for the default */
    static RawHttp connect(int port, int receiveBuffer) {
        try {
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            return new RawHttp(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Over an already connected socket (e.g. a TLS one). */
    static RawHttp over(Socket s) {
        try {
            s.setSoTimeout(10_000);
            return new RawHttp(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request on a new connection, its response, and the connection closed. */
    static Response exchange(int port, String request) {
        try (RawHttp c = connect(port)) {
            return c.write(request).read();
        }
    }

    RawHttp write(String s) {
        return write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp write(byte[] b) {
        try {
            out.write(b);
            out.flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    InputStream input() {
        return in;
    }

    void timeout(Duration d) {
        try {
            socket.setSoTimeout((int) d.toMillis());
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    Response read() {
        return read(false);
    }

    /** Reads one response; {@code head} for the answer to a HEAD request, which has no body. */
    Response read(boolean head) {
        try {
            String statusLine = line();
            if (statusLine == null) {
                throw new IOException("connection closed before a response");
            }
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            List<Map.Entry<String, String>> headers = readHeaders();
            Response headOnly = new Response(statusLine, status, headers, new byte[0]);
            if (head || status < 200 || status == 204 || status == 304) {
                return headOnly;
            }
            byte[] body;
            String te = headOnly.header("transfer-encoding");
            String cl = headOnly.header("content-length");
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = chunked();
            } else if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl.trim()));
            } else {
                body = in.readAllBytes();
            }
            return new Response(statusLine, status, headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads just a status line and headers (e.g. 100 Continue, or the head of a body to be read by hand). */
    Response readHead() {
        try {
            String statusLine = line();
            if (statusLine == null) {
                throw new IOException("connection closed before a response");
            }
            return new Response(statusLine, Integer.parseInt(statusLine.split(" ")[1]), readHeaders(), new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Map.Entry<String, String>> readHeaders() throws IOException {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.add(Map.entry(l.substring(0, colon).trim(), l.substring(colon + 1).trim()));
        }
        return headers;
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            if (size == null) {
                throw new IOException("connection closed inside a chunked body");
            }
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String l = line(); l != null && !l.isEmpty(); l = line()) {
                    // trailers are ignored
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length < n) {
                throw new IOException("connection closed inside a chunk");
            }
            body.write(chunk);
            line();
        }
    }

    /** A CRLF-terminated line without its terminator, or null at end of stream. */
    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * True when the peer closes (or resets) the connection within about {@code within} (bytes before the close
     * are skipped); false when it is still open at the deadline.
     */
    boolean closedWithin(Duration within) {
        try {
            socket.setSoTimeout((int) within.toMillis());
            byte[] buf = new byte[8192];
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                if (in.read(buf) == -1) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            // Connection reset: closed as well.
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    record Response(String statusLine, int status, List<Map.Entry<String, String>> headers, byte[] body) {

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

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonObject json() {
            return new JsonObject(text());
        }

        /** The headers the echo backend received. */
        JsonObject seen() {
            return json().getJsonObject("headers");
        }
    }
}
