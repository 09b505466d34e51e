package dev.gatehouse.proxy;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One client transport toward one proxy listener, behind one call shape, so a data-plane test states a behaviour once
 * and runs it over each: HTTP/1.1 on a raw socket (plain or TLS, one connection per call, so framing, interim answers
 * and closes are seen byte for byte) and HTTP/2 through a Vert.x client (h2c by prior knowledge, or TLS with ALPN).
 */
final class TransportClient implements AutoCloseable {

    /** How the client reaches the proxy. */
    enum Kind {
        H1(false, false), H1_TLS(true, false), H2C(false, true), H2_TLS(true, true);

        final boolean tls;
        final boolean h2;

        Kind(boolean tls, boolean h2) {
            this.tls = tls;
            this.h2 = h2;
        }
    }

    /** A response as the client saw it; trailers are empty when none came. */
    record Reply(int status, MultiMap headers, byte[] body, MultiMap trailers) {

        String header(String name) {
            return headers.get(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonObject json() {
            return new JsonObject(text());
        }

        /** The request headers the echo backend received (lower-case names). */
        JsonObject seen() {
            return json().getJsonObject("headers");
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + text();
        }
    }

    final Kind kind;
    final int port;
    private final SSLContext jdkTls;
    private final HttpClient h2;
    /**
     * The one context every HTTP/2 request runs on. Started from the test thread, a request's callbacks could run on
     * another context than its response's events, and a response that arrived whole before {@code body()} was asked
     * for was never completed (seen as a 20 s timeout while the frame log showed the whole response received).
     */
    private final io.vertx.core.Context h2Context;

    /**
     * @param caFile     the CA the proxy's certificate chains to (TLS kinds)
     * @param clientCert a client certificate to show (TLS kinds), or null
     */
    TransportClient(Kind kind, int port, Vertx vertx, Path caFile, TestCertificates.Written clientCert) {
        this.kind = kind;
        this.port = port;
        this.jdkTls = kind.tls && !kind.h2 ? TlsClients.context(caFile, clientCert == null ? null : clientCert.material())
                : null;
        if (kind.h2) {
            HttpClientOptions o = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false).setConnectTimeout(5_000).setIdleTimeout(30);
            if (kind.tls) {
                o.setSsl(true).setUseAlpn(true).setVerifyHost(false)
                        .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString()));
                if (clientCert != null) {
                    o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(clientCert.cert().toString())
                            .setKeyPath(clientCert.key().toString()));
                }
            }
            this.h2 = vertx.createHttpClient(o);
            this.h2Context = vertx.getOrCreateContext();
        } else {
            this.h2 = null;
            this.h2Context = null;
        }
    }

    Reply get(String path, String... headers) {
        return send("GET", path, null, false, headers);
    }

    /**
     * Sends one request and reads its whole response. {@code body} null: none. {@code streamed}: without a length, in
     * three pieces (HTTP/1.1 chunks, HTTP/2 DATA frames); else with a Content-Length. {@code headers}: name, value...;
     * a {@code Host} among them is the request's authority (default {@code localhost} on HTTP/1.1).
     */
    Reply send(String method, String path, byte[] body, boolean streamed, String... headers) {
        if (kind.h2) {
            io.vertx.core.Promise<Reply> reply = io.vertx.core.Promise.promise();
            h2Context.runOnContext(v -> h2Send(method, path, body, streamed, headers).onComplete(reply));
            return Await.result(reply.future());
        }
        try (H1 c = h1()) {
            c.write(h1Head(method, path, body, streamed, headers));
            if (body != null) {
                c.write(streamed ? chunked(body) : body);
            }
            return c.read(method.equals("HEAD"));
        }
    }

    private Future<Reply> h2Send(String method, String path, byte[] body, boolean streamed, String... headers) {
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(port).setMethod(HttpMethod.valueOf(method))
                .setURI(path).setIdleTimeout(15_000);
        for (int i = 0; i < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase("host")) {
                // HTTP/2 has no Host: the value becomes :authority (scheme's default port, so none is shown),
                // while the connection still goes to the proxy.
                o.setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1")).setHost(headers[i + 1])
                        .setPort(kind.tls ? 443 : 80);
            } else {
                o.addHeader(headers[i], headers[i + 1]);
            }
        }
        return h2.request(o).compose(req -> {
            if (body == null) {
                return req.send();
            }
            if (!streamed) {
                req.putHeader("content-length", String.valueOf(body.length));
                return req.send(Buffer.buffer(body));
            }
            req.setChunked(true);
            byte[][] parts = split(body);
            req.write(Buffer.buffer(parts[0]));
            req.write(Buffer.buffer(parts[1]));
            req.end(Buffer.buffer(parts[2]));
            return req.response();
        }).compose(res -> res.body().map(b -> {
            if (res.version() != HttpVersion.HTTP_2) {
                throw new IllegalStateException("answered over " + res.version());
            }
            MultiMap h = MultiMap.caseInsensitiveMultiMap().addAll(res.headers());
            MultiMap t = MultiMap.caseInsensitiveMultiMap().addAll(res.trailers());
            return new Reply(res.statusCode(), h, b.getBytes(), t);
        }));
    }

    /** The request line and headers of an HTTP/1.1 request with its framing. */
    static byte[] h1Head(String method, String path, byte[] body, boolean streamed, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (int i = 0; i < headers.length; i += 2) {
            host |= headers[i].equalsIgnoreCase("host");
        }
        if (!host) {
            sb.append("Host: localhost\r\n");
        }
        for (int i = 0; i < headers.length; i += 2) {
            sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (body != null) {
            sb.append(streamed ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code body} as three chunks and the last-chunk. */
    static byte[] chunked(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : split(body)) {
            out.writeBytes((Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(part);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[][] split(byte[] body) {
        int a = body.length / 3;
        int b = 2 * body.length / 3;
        return new byte[][] {Arrays.copyOfRange(body, 0, a), Arrays.copyOfRange(body, a, b),
                Arrays.copyOfRange(body, b, body.length)};
    }

    /** A new HTTP/1.1 connection (plain or TLS with ALPN http/1.1) to the listener; only for the HTTP/1.1 kinds. */
    H1 h1() {
        if (kind.h2) {
            throw new IllegalStateException(kind + " is not HTTP/1.1");
        }
        try {
            Socket s;
            if (kind.tls) {
                SSLSocket ssl = (SSLSocket) jdkTls.getSocketFactory().createSocket();
                ssl.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                SSLParameters p = ssl.getSSLParameters();
                p.setApplicationProtocols(new String[] {"http/1.1"});
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            } else {
                s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            }
            s.setSoTimeout(15_000);
            return new H1(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (h2 != null) {
            Await.result(h2.close());
        }
    }

    /** One HTTP/1.1 connection: bytes out as given, responses parsed with their trailers. Every read has a deadline. */
    static final class H1 implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        H1(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        H1 write(String s) {
            return write(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        H1 write(byte[] b) {
            try {
                out.write(b);
                out.flush();
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A status line and headers only (an interim 100, or the head of a body read no further). */
        Reply readHead() {
            try {
                String status = line();
                if (status == null) {
                    throw new IOException("connection closed before a response");
                }
                return new Reply(Integer.parseInt(status.split(" ")[1]), fields(), new byte[0],
                        MultiMap.caseInsensitiveMultiMap());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** One final response; {@code head}: the answer to a HEAD, which has no body whatever its headers say. */
        Reply read(boolean head) {
            try {
                Reply r = readHead();
                while (r.status() >= 100 && r.status() < 200) {
                    r = readHead();
                }
                if (head || r.status() == 204 || r.status() == 304) {
                    return r;
                }
                MultiMap trailers = MultiMap.caseInsensitiveMultiMap();
                String te = r.header("transfer-encoding");
                String cl = r.header("content-length");
                byte[] body;
                if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                    body = chunkedBody(trailers);
                } else if (cl != null) {
                    body = in.readNBytes(Integer.parseInt(cl.trim()));
                } else {
                    body = in.readAllBytes();
                }
                return new Reply(r.status(), r.headers(), body, trailers);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private MultiMap fields() throws IOException {
            MultiMap m = MultiMap.caseInsensitiveMultiMap();
            for (String l = line(); l != null && !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                m.add(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
            }
            return m;
        }

        private byte[] chunkedBody(MultiMap trailers) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = line();
                if (size == null) {
                    throw new IOException("connection closed inside a chunked body");
                }
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    trailers.addAll(fields());
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

        /** Whether the peer closes (or resets) within {@code within}; bytes before the close are skipped. */
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
                return true;
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
