package dev.gatehouse.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A raw HTTP/2 client over a blocking socket, for sending what no well-behaved client library would: frames are
 * written byte by byte as the test says, and header blocks are HPACK literals without indexing (so any name or value
 * bytes, CR, LF and NUL included, go out as given). Responses are decoded with Netty's HPACK decoder. One thread.
 */
final class RawH2 implements AutoCloseable {

    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int PRIORITY = 2;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PING = 6;
    static final int GOAWAY = 7;
    static final int WINDOW_UPDATE = 8;
    static final int CONTINUATION = 9;
    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;

    static final int PROTOCOL_ERROR = 0x1;
    static final int FLOW_CONTROL_ERROR = 0x3;
    static final int STREAM_CLOSED = 0x5;
    static final int FRAME_SIZE_ERROR = 0x6;
    static final int COMPRESSION_ERROR = 0x9;
    static final int ENHANCE_YOUR_CALM = 0xb;

    /** How the client reached HTTP/2. */
    enum Mode { PRIOR_KNOWLEDGE, UPGRADE, TLS }

    /** A frame read from the server. */
    record Frame(int type, int flags, int streamId, byte[] payload) {
        int errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xff) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }
    }

    /**
     * How a stream ended: {@code RST_STREAM} or {@code GOAWAY} with its error code, a response with its status (and
     * body), or {@code CLOSED} when the connection ended without either.
     */
    record Outcome(String kind, int code, String body) {
        static Outcome closed() {
            return new Outcome("CLOSED", -1, "");
        }

        @Override
        public String toString() {
            return kind + "(" + code + ")";
        }
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersDecoder hpack = new DefaultHttp2HeadersDecoder(false);
    /** The first stream id this client has not used yet. */
    int nextStream = 1;

    private RawH2(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5_000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** A plain TCP connection, nothing written yet. */
    static RawH2 plain(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setTcpNoDelay(true);
        return new RawH2(s);
    }

    /** A TLS connection whose handshake agreed on ALPN {@code h2}, nothing written yet. */
    static RawH2 tls(SSLContext ctx, int port) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(p);
        s.startHandshake();
        if (!"h2".equals(s.getApplicationProtocol())) {
            s.close();
            throw new IOException("ALPN chose " + s.getApplicationProtocol());
        }
        return new RawH2(s);
    }

    /**
     * A connection in HTTP/2 after the preface and an empty SETTINGS: by prior knowledge, by an HTTP/1.1 Upgrade
     * (whose request becomes stream 1, answered and ended before this returns), or over TLS.
     */
    static RawH2 open(Mode mode, int port, SSLContext tls) throws IOException {
        RawH2 c = mode == Mode.TLS ? tls(tls, port) : plain(port);
        try {
            if (mode == Mode.UPGRADE) {
                c.upgrade();
            }
            c.write(PREFACE);
            c.frame(SETTINGS, 0, 0, new byte[0]);
            if (mode == Mode.UPGRADE) {
                Outcome first = c.await(1);
                if (!first.kind().equals("STATUS")) {
                    throw new IOException("upgrade request ended " + first);
                }
                c.nextStream = 3;
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void upgrade() throws IOException {
        upgrade("Upgrade: h2c\r\n");
    }

    /** Sends an h2c Upgrade request with {@code upgradeLines} and reads the 101 head. */
    void upgrade(String upgradeLines) throws IOException {
        write(("GET /upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + upgradeLines + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        // The 101 head, read byte by byte so nothing after it is consumed.
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed during the upgrade: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("no upgrade: " + head);
        }
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Writes one frame. */
    void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        write(frameBytes(type, flags, streamId, payload));
    }

    static byte[] frameBytes(int type, int flags, int streamId, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (streamId >>> 24);
        f[6] = (byte) (streamId >>> 16);
        f[7] = (byte) (streamId >>> 8);
        f[8] = (byte) streamId;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    /** A new client stream id. */
    int stream() {
        int id = nextStream;
        nextStream += 2;
        return id;
    }

    /** HEADERS with END_HEADERS (and END_STREAM when {@code end}) carrying {@code fields} (name, value, ...). */
    void headers(int streamId, boolean end, String... fields) throws IOException {
        frame(HEADERS, END_HEADERS | (end ? END_STREAM : 0), streamId, block(fields));
    }

    /** The usual request pseudo-headers for GET {@code path} followed by {@code extra} (name, value, ...). */
    static String[] get(String path, String... extra) {
        String[] f = new String[8 + extra.length];
        String[] base = {":method", "GET", ":scheme", "http", ":path", path, ":authority", "localhost"};
        System.arraycopy(base, 0, f, 0, 8);
        System.arraycopy(extra, 0, f, 8, extra.length);
        return f;
    }

    /** An HPACK block of literal fields without indexing, new names, no Huffman: the bytes go out exactly. */
    static byte[] block(String... fields) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < fields.length; i += 2) {
            b.write(0x00);
            string(b, fields[i]);
            string(b, fields[i + 1]);
        }
        return b.toByteArray();
    }

    private static void string(ByteArrayOutputStream b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        integer(b, bytes.length, 7, 0);
        b.writeBytes(bytes);
    }

    /** RFC 7541 §5.1 integer with an {@code prefix}-bit prefix. */
    static void integer(ByteArrayOutputStream b, int value, int prefix, int firstByteBits) {
        int max = (1 << prefix) - 1;
        if (value < max) {
            b.write(firstByteBits | value);
            return;
        }
        b.write(firstByteBits | max);
        value -= max;
        while (value >= 128) {
            b.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        b.write(value);
    }

    /** The next frame from the server, answering SETTINGS and PING on the way; {@code null} at end of stream. */
    Frame read() throws IOException {
        while (true) {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int length = (b0 << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int streamId = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == SETTINGS && (flags & ACK) == 0) {
                answer(SETTINGS, payload.length == 0 ? payload : new byte[0]);
                continue;
            }
            if (type == PING && (flags & ACK) == 0) {
                answer(PING, payload);
                continue;
            }
            return new Frame(type, flags, streamId, payload);
        }
    }

    /** An ACK; the server may have closed already after a GOAWAY still to be read, so a failed write is ignored. */
    private void answer(int type, byte[] payload) {
        try {
            frame(type, ACK, 0, payload);
        } catch (IOException ignored) {
            // the frames already received are still read
        }
    }

    /**
     * Reads until {@code streamId} ends: reset, the connection sent GOAWAY or closed, or a whole response (status and
     * body) arrived. Header blocks of every stream are decoded to keep the HPACK table in step.
     */
    Outcome await(int streamId) throws IOException {
        int status = -1;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            Frame f;
            try {
                f = read();
            } catch (EOFException | java.net.SocketException e) {
                return Outcome.closed();
            } catch (SocketTimeoutException e) {
                return new Outcome("TIMEOUT", -1, "");
            }
            if (f == null) {
                return Outcome.closed();
            }
            if (f.type() == GOAWAY) {
                return new Outcome("GOAWAY", f.errorCode(), "");
            }
            if (f.type() == HEADERS || f.type() == CONTINUATION) {
                Http2Headers h = decode(f);
                if (f.streamId() == streamId && h != null && h.status() != null) {
                    status = Integer.parseInt(h.status().toString());
                }
            }
            if (f.streamId() != streamId) {
                continue;
            }
            if (f.type() == RST_STREAM) {
                return new Outcome("RST_STREAM", f.errorCode(), "");
            }
            if (f.type() == DATA) {
                body.writeBytes(f.payload());
                if (f.payload().length > 0) {
                    // Keep the connection window open for long answers.
                    frame(WINDOW_UPDATE, 0, 0, int32(f.payload().length));
                }
            }
            if ((f.type() == DATA || f.type() == HEADERS) && (f.flags() & END_STREAM) != 0 && status > 0) {
                return new Outcome("STATUS", status, body.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** Reads until the server sends GOAWAY or closes; returns the GOAWAY's code, or -1 for a close without one. */
    int awaitGoAway() throws IOException {
        while (true) {
            Frame f;
            try {
                f = read();
            } catch (EOFException | java.net.SocketException e) {
                return -1;
            }
            if (f == null) {
                return -1;
            }
            if (f.type() == HEADERS) {
                decode(f);
            }
            if (f.type() == GOAWAY) {
                return f.errorCode();
            }
        }
    }

    /** Whether the server closes the connection (after anything it still sends) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            while (read() != null) {
                // drain
            }
            return true;
        } catch (EOFException | java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private Http2Headers decode(Frame f) {
        // Header blocks here are never split over CONTINUATION by the proxy for these small responses.
        byte[] p = f.payload();
        int from = 0;
        int to = p.length;
        if (f.type() == HEADERS) {
            if ((f.flags() & 0x8) != 0) {
                int pad = p[0] & 0xff;
                from = 1;
                to -= pad;
            }
            if ((f.flags() & 0x20) != 0) {
                from += 5;
            }
        }
        try {
            return hpack.decodeHeaders(f.streamId(), Unpooled.wrappedBuffer(p, from, to - from));
        } catch (Exception e) {
            throw new IllegalStateException("undecodable header block", e);
        }
    }

    static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** A SETTINGS payload of (identifier, value) pairs. */
    static byte[] settings(int... pairs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < pairs.length; i += 2) {
            b.write(pairs[i] >>> 8);
            b.write(pairs[i]);
            b.writeBytes(int32(pairs[i + 1]));
        }
        return b.toByteArray();
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
