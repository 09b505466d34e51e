package dev.gatehouse.proxy.engine;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import javax.net.ssl.SSLSession;

/**
 * The client side of one request, as the {@link Exchange} engine sees it whatever protocol carries it: the parsed
 * request head, its body delivered piece by piece with backpressure, and a response written as a head, body pieces and
 * an end (or as one whole answer). Two transports implement it: {@link Http1Downstream}, the raw HTTP/1.1 codec that
 * takes every HTTP/1.1 request, and {@link VertxDownstream}, over Vert.x's server for HTTP/2 and for HTTP/1.x
 * connections handed to Vert.x (an upgrade, HTTP/1.0). Message framing (Content-Length, chunked, DATA frames,
 * Connection) is the transport's: the engine hands it end-to-end headers only.
 *
 * <p>Every call happens on the connection's event loop. Body pieces go to {@link Exchange#requestBody} and
 * writability to {@link Exchange#downstreamWritable}; a client that goes away calls {@link Exchange#clientClosed}.
 */
public interface Downstream {

    // ---- the request ----------------------------------------------------------------------------------------

    HttpMethod method();

    /** The request target as sent (origin, absolute or asterisk form). */
    String uri();

    /** {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2.0}, for the access log. */
    String protocol();

    /** The Via protocol token: {@code 1.1}, {@code 1.0} or {@code 2}. */
    String viaProtocol();

    /** An HTTP/1.0 client: no 1xx for it, no upgrade (RFC 9110 §15.2, §7.8). */
    default boolean http10() {
        return "1.0".equals(viaProtocol());
    }

    MultiMap headers();

    /** The authority as the client gave it (Host or :authority), or {@code null}. */
    String authority();

    /** The TCP peer: the one whose forwarding headers may be trusted. */
    String remotePeer();

    /** The client: the PROXY protocol source when enabled, else the TCP peer. */
    String clientAddress();

    /** The TLS session of a connection over TLS, else {@code null}. */
    SSLSession sslSession();

    /**
     * The TLS session when the client may have presented a certificate in it, else {@code null}. A transport that
     * knows its listener asks for none answers null: asking a session without one for its peer certificates costs
     * an exception with a stack trace, once per TLS connection.
     */
    default SSLSession peerCertificateSession() {
        return sslSession();
    }

    /** The declared body length; -1 when none was declared (a chunked or HTTP/2 body, or no body). */
    long contentLength();

    /** Whether a body follows the head; a problem with the framing the transport could not refuse itself is a 400. */
    boolean bodyFollows();

    /** Whether the framing contradicts itself (HTTP/2: Content-Length beside a body of another length is found later). */
    default String framingProblem() {
        return null;
    }

    /** Starts ({@code true}) or pauses delivery of body pieces to the exchange. */
    void readBody(boolean read);

    /**
     * Whether the transport is inside a read of the client connection and will call {@link Exchange#requestReadEnd}
     * at its end, so body pieces (and a head waiting for them) written upstream now may wait to be flushed together.
     */
    default boolean signalsReadEnd() {
        return false;
    }

    /** Sends {@code 100 Continue} (a client sent {@code Expect: 100-continue} and a backend is ready for the body). */
    void sendContinue();

    /**
     * Relays an informational response from the backend (103 Early Hints, 102...) before the final one: RFC 9110
     * §15.2, a proxy forwards 1xx it did not ask for. A transport that cannot carry one drops it.
     */
    default void interim(int status, HeadersMultiMap headers) {
    }

    // ---- the response ---------------------------------------------------------------------------------------

    ByteBufAllocator alloc();

    /**
     * The head of a relayed response. The transport may hold it until body bytes or the end follow, so that a backend
     * dying in between still gets the client a clean answer ({@link #headSent} stays false).
     */
    void head(int status, HeadersMultiMap headers, boolean bodiless);

    /** A piece of the response body; the transport owns (and releases) it. */
    void body(ByteBuf piece);

    /** The end of the response, with its last piece (possibly empty) and trailers (possibly empty). */
    void end(ByteBuf last, HttpHeaders trailers);

    /** The end of one upstream read: what was written since goes out in one flush. */
    void flush();

    boolean writable();

    /** Whether anything of the response went out: after that, a failure can only cut the response off. */
    boolean headSent();

    /** A whole answer of the proxy's own, replacing any head not yet sent; {@code close}: the connection ends. */
    void answer(int status, HeadersMultiMap headers, ByteBuf body, boolean close);

    /** Cuts the response off mid-way, so the client sees it incomplete (a reset stream or a closed connection). */
    void abort();

    /** The exchange is over; {@code close}: the connection must not carry another request. */
    void finished(Exchange exchange, boolean close);

    /** Opens a WebSocket tunnel for an upgrade request; false when this transport hands upgrades elsewhere. */
    default boolean tunnel(Exchange exchange) {
        return false;
    }
}
