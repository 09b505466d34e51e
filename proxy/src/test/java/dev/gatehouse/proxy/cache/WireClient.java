package dev.gatehouse.proxy.cache;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request over a new plain socket to 127.0.0.1, and its response exactly as it came off the wire: every
 * header line in order, duplicates kept, names as sent. A conformance client must control every request field (Host
 * included) and see every response line, which library clients merge, reorder or refuse.
 */
final class WireClient {

    /** A response: status, header lines in wire order, body bytes. */
    record Response(int status, List<Map.Entry<String, String>> headers, byte[] body) {

        /** Every value of {@code name} (case-insensitive), in order. */
        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    out.add(h.getValue());
                }
            }
            return out;
        }

        /** The values of {@code name} joined with ", " (RFC 9110 §5.3), or null when absent. */
        String get(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? null : String.join(", ", all);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private WireClient() {
    }

    /**
     * Sends {@code method target} with {@code headers} (a Host line first, then these, then Connection: close) and
     * {@code body} (with its Content-Length when not null), and reads the response; every read has a deadline.
     */
    static Response exchange(int port, String method, String target, String host,
            List<Map.Entry<String, String>> headers, byte[] body) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(15_000);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(host).append("\r\n");
            for (Map.Entry<String, String> h : headers) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return read(s.getInputStream(), method.equals("HEAD"));
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + target + ": " + e.getMessage(), e);
        }
    }

    private static Response read(InputStream in, boolean head) throws IOException {
        String statusLine = line(in);
        while (statusLine != null && statusLine.startsWith("HTTP/1.1 1")) {
            // An interim response: skip its head.
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                // skipped
            }
            statusLine = line(in);
        }
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            headers.add(Map.entry(l.substring(0, colon).trim(), l.substring(colon + 1).trim()));
        }
        Response headOnly = new Response(status, headers, new byte[0]);
        if (head || status == 204 || status == 304) {
            return headOnly;
        }
        String te = headOnly.get("Transfer-Encoding");
        String cl = headOnly.get("Content-Length");
        byte[] body;
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in);
        } else if (cl != null) {
            body = in.readNBytes(Integer.parseInt(cl.trim()));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                throw new IOException("connection closed inside a chunked body");
            }
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                    // trailers are not part of this suite
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
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
}
