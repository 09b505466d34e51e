package dev.gatehouse.proxy.engine;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import javax.net.ssl.SSLSession;

/**
 * The client side of a background refresh (stale-while-revalidate, RFC 5861 §3): the request of the client whose
 * stale hit started it, a bodiless GET, with no one to answer. The response goes into the cache and nowhere else.
 */
final class RefreshDownstream implements Downstream {

    private final String uri;
    private final String authority;
    private final String remotePeer;
    private final String clientAddress;
    private final MultiMap headers;
    private final Runnable onFinished;

    RefreshDownstream(Downstream client, MultiMap clientHeaders, Runnable onFinished) {
        this.uri = client.uri();
        this.authority = client.authority();
        this.remotePeer = client.remotePeer();
        this.clientAddress = client.clientAddress();
        HeadersMultiMap h = HeadersMultiMap.httpHeaders();
        h.addAll(clientHeaders);
        // The refresh asks for the whole response whatever the client asked; no body follows.
        h.remove(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH);
        h.remove(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
        h.remove(io.vertx.core.http.HttpHeaders.EXPECT);
        this.headers = h;
        this.onFinished = onFinished;
    }

    @Override
    public HttpMethod method() {
        return HttpMethod.GET;
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public String protocol() {
        return "HTTP/1.1";
    }

    @Override
    public String viaProtocol() {
        return "1.1";
    }

    @Override
    public MultiMap headers() {
        return headers;
    }

    @Override
    public String authority() {
        return authority;
    }

    @Override
    public String remotePeer() {
        return remotePeer;
    }

    @Override
    public String clientAddress() {
        return clientAddress;
    }

    @Override
    public SSLSession sslSession() {
        return null;
    }

    @Override
    public long contentLength() {
        return -1;
    }

    @Override
    public boolean bodyFollows() {
        return false;
    }

    @Override
    public void readBody(boolean read) {
    }

    @Override
    public void sendContinue() {
    }

    @Override
    public ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    public void head(int status, HeadersMultiMap headers, boolean bodiless) {
    }

    @Override
    public void body(ByteBuf piece) {
        piece.release();
    }

    @Override
    public void end(ByteBuf last, HttpHeaders trailers) {
        last.release();
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public boolean headSent() {
        return false;
    }

    @Override
    public void answer(int status, HeadersMultiMap headers, ByteBuf body, boolean close) {
        body.release();
    }

    @Override
    public void abort() {
    }

    @Override
    public void finished(Exchange exchange, boolean close) {
        onFinished.run();
    }
}
