package dev.gatehouse.proxy.upstream;

import dev.gatehouse.proxy.Await;
import dev.gatehouse.proxy.balance.BackendPool;
import dev.gatehouse.proxy.balance.BackendPoolTest;
import dev.gatehouse.proxy.LogCapture;
import dev.gatehouse.proxy.TestCertificates;

import dev.gatehouse.proxy.TestCertificates.KeyFormat;
import dev.gatehouse.proxy.TestCertificates.Written;
import dev.gatehouse.tls.KeyType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-loop upstream pool against real loopback TLS backends: a connection is handed out only after a verified
 * handshake (the pool's CA, the host name or {@code server-name}, SNI for names only, a client certificate when the
 * backend asks), a backend that cannot be verified is a failed connect that frees its slot, and a TLS connection is
 * pooled and reused like a plain one.
 */
class UpstreamChannelsTlsTest {

    private static final long WAIT_SECONDS = 10;

    @TempDir
    static Path dir;
    private static Vertx vertx;
    private static EventLoop loop;
    private static TestCertificates backendPki;
    private static TestCertificates otherPki;
    private static TestCertificates clientPki;
    private static Written client;
    private static TlsBackend localhost;
    private static TlsBackend otherName;
    private static TlsBackend internal;
    private static TlsBackend mtls;
    /** Each used by one test only, which counts its connections: no late accept of another test's can land there. */
    private static TlsBackend reuse;
    private static TlsBackend untouched;
    private static NetServer silent;

    private UpstreamSsl ssl;
    private UpstreamChannels channels;

    /** A loopback TLS backend that answers each request with the SNI name and the client certificate it saw. */
    private record TlsBackend(NetServer server, AtomicInteger accepted) {
        int port() {
            return server.actualPort();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        loop = ((VertxInternal) vertx).nettyEventLoopGroup().next();
        backendPki = TestCertificates.in(dir, "Backend CA");
        otherPki = TestCertificates.in(dir, "Other CA");
        clientPki = TestCertificates.in(dir, "Proxy Client CA");
        // An encrypted key: the password file is read as for listeners.
        client = clientPki.leaf("proxy-client", "gatehouse-proxy", KeyType.EC_P256, KeyFormat.ENCRYPTED_PKCS8);
        localhost = backend(backendPki.leaf("backend-localhost", "localhost"), false);
        otherName = backend(backendPki.leaf("backend-other", "other.test"), false);
        internal = backend(backendPki.leaf("backend-internal", "api.internal"), false);
        mtls = backend(backendPki.leaf("backend-mtls", "localhost"), true);
        reuse = backend(backendPki.leaf("backend-reuse", "localhost"), false);
        untouched = backend(backendPki.leaf("backend-untouched", "localhost"), false);
        // Accepts TCP and never answers: a handshake that does not finish.
        silent = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
                .connectHandler(s -> { });
        silent.listen().await(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static TlsBackend backend(Written cert, boolean requireClientCertificate) throws Exception {
        NetServerOptions options = new NetServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true).setSni(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString())
                        .setKeyPath(cert.key().toString()));
        if (requireClientCertificate) {
            options.setClientAuth(ClientAuth.REQUIRED)
                    .setTrustOptions(new PemTrustOptions().addCertPath(clientPki.caFile.toString()));
        }
        AtomicInteger accepted = new AtomicInteger();
        NetServer server = vertx.createNetServer(options).connectHandler(s -> {
            accepted.incrementAndGet();
            s.handler(request -> s.write(Buffer.buffer(answer(s))));
        });
        server.listen().await(WAIT_SECONDS, TimeUnit.SECONDS);
        return new TlsBackend(server, accepted);
    }

    private static String answer(NetSocket s) {
        String clientName = null;
        try {
            var peer = s.peerCertificates();
            if (peer != null && !peer.isEmpty()) {
                clientName = ((X509Certificate) peer.get(0)).getSubjectX500Principal().getName();
            }
        } catch (Exception e) {
            // no client certificate
        }
        String body = "sni=" + s.indicatedServerName() + ";client=" + clientName;
        return "HTTP/1.1 200 OK\r\ncontent-length: " + body.length() + "\r\n\r\n" + body;
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @BeforeEach
    void setUp() throws Exception {
        ssl = new UpstreamSsl(vertx);
        channels = onLoop(() -> new UpstreamChannels((VertxInternal) vertx, loop, 2, ssl));
    }

    @AfterEach
    void tearDown() throws Exception {
        onLoop(() -> {
            channels.close();
            return null;
        });
    }

    private static <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** A pool of one https backend at {@code url} with the given {@code tls} section ("" for none). */
    private static BackendPool pool(String url, String tls) {
        return BackendPoolTest.pool("max-connections: 2\nconnect-timeout: 5s\n" + tls, "{ url: \"" + url + "\" }");
    }

    private static String ca(TestCertificates pki) {
        return "tls: { ca: \"" + pki.caFile + "\" }";
    }

    private UpstreamChannelsTest.Waiter acquire(BackendPool pool) throws Exception {
        UpstreamChannelsTest.Waiter w = new UpstreamChannelsTest.Waiter();
        onLoop(() -> {
            channels.acquire(pool, pool.backends.get(0), w);
            return null;
        });
        return w;
    }

    private static UpstreamChannels.Connection connected(UpstreamChannelsTest.Waiter w) throws Exception {
        return w.connection.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static Throwable failed(UpstreamChannelsTest.Waiter w) throws Exception {
        Throwable cause = w.failed.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(w.connection).isNotDone();
        return cause;
    }

    /** Sends one GET on {@code c} and returns the response body once the connection was released. */
    private static String exchange(UpstreamChannels.Connection c) throws Exception {
        CompletableFuture<String> body = new CompletableFuture<>();
        StringBuilder read = new StringBuilder();
        UpstreamChannels.Connection.Owner owner = new UpstreamChannels.Connection.Owner() {
            @Override
            public void upstreamRead(Object msg) {
                if (msg instanceof HttpResponse r) {
                    read.append(r.status().code()).append(' ');
                }
                if (msg instanceof HttpContent content) {
                    ByteBuf b = content.content();
                    read.append(b.toString(StandardCharsets.US_ASCII));
                }
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    c.release();
                    body.complete(read.toString());
                }
            }

            @Override
            public void upstreamReadComplete() {
            }

            @Override
            public void upstreamClosed() {
                body.completeExceptionally(new IllegalStateException("closed after: " + read));
            }

            @Override
            public void upstreamWritable() {
            }
        };
        onLoop(() -> {
            c.own(owner);
            if (!c.channel.isActive()) {
                // Closed between the handout on the loop and this test thread taking it (a backend's TLS alert can
                // be that fast): no close will reach the owner any more. The engine owns a connection at handout.
                body.completeExceptionally(new IllegalStateException("closed before the request"));
                return null;
            }
            c.channel.writeAndFlush(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nhost: b\r\n\r\n",
                    StandardCharsets.US_ASCII));
            return null;
        });
        return body.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aVerifiedBackendIsHandedOutAfterItsHandshakeAndAnswers() throws Exception {
        BackendPool pool = pool("https://localhost:" + localhost.port(), ca(backendPki));
        UpstreamChannelsTest.Waiter w = acquire(pool);
        UpstreamChannels.Connection c = connected(w);
        assertThat(w.reused.get()).isFalse();
        assertThat(c.tls()).isTrue();
        SslHandler handler = c.channel.pipeline().get(SslHandler.class);
        assertThat(c.channel.pipeline().first()).isSameAs(handler);
        assertThat(handler.handshakeFuture().isSuccess()).isTrue();
        assertThat(handler.engine().getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        assertThat(handler.applicationProtocol()).isNull(); // no ALPN: HTTP/1.1
        assertThat(exchange(c)).isEqualTo("200 sni=localhost;client=null");
    }

    @Test
    void aPlainBackendsConnectionIsNotTls() throws Exception {
        BackendPool pool = BackendPoolTest.pool("", "{ url: \"http://127.0.0.1:" + silent.actualPort() + "\" }");
        UpstreamChannels.Connection c = connected(acquire(pool));
        assertThat(c.tls()).isFalse();
        assertThat(c.channel.pipeline().get(SslHandler.class)).isNull();
    }

    @Test
    void aReleasedTlsConnectionIsReused() throws Exception {
        BackendPool pool = pool("https://localhost:" + reuse.port(), ca(backendPki));
        UpstreamChannels.Connection c = connected(acquire(pool));
        exchange(c);

        UpstreamChannelsTest.Waiter second = acquire(pool);
        assertThat(connected(second)).isSameAs(c);
        assertThat(second.reused.get()).isTrue();
        assertThat(exchange(c)).isEqualTo("200 sni=localhost;client=null");
        assertThat(reuse.accepted().get()).isEqualTo(1);
    }

    @Test
    void aBackendSignedByAnUntrustedCaIsAFailedConnectThatFreesItsSlot() throws Exception {
        // The JVM's CAs do not know the test CA, nor does another CA's bundle.
        for (BackendPool pool : List.of(pool("https://localhost:" + localhost.port(), ""),
                pool("https://localhost:" + localhost.port(), ca(otherPki)))) {
            // The loop's share of max-connections is 1: were a failure left counted as open, the second would queue.
            for (int i = 0; i < 2; i++) {
                UpstreamChannelsTest.Waiter w = acquire(pool);
                assertThat(failed(w)).isInstanceOf(SSLHandshakeException.class);
                assertThat(w.overloaded).isFalse();
            }
        }
    }

    @Test
    void aCertificateForAnotherHostIsAFailedConnect() throws Exception {
        BackendPool pool = pool("https://localhost:" + otherName.port(), ca(backendPki));
        Throwable cause = failed(acquire(pool));
        assertThat(cause).isInstanceOf(SSLHandshakeException.class);
        assertThat(rootMessage(cause)).contains("localhost");
    }

    @Test
    void anIpBackendIsVerifiedAgainstItsAddressAndGetsNoSni() throws Exception {
        // The localhost certificate also names 127.0.0.1; the api.internal one does not.
        UpstreamChannels.Connection c = connected(acquire(pool("https://127.0.0.1:" + localhost.port(),
                ca(backendPki))));
        assertThat(exchange(c)).isEqualTo("200 sni=null;client=null");
        assertThat(failed(acquire(pool("https://127.0.0.1:" + internal.port(), ca(backendPki)))))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void serverNameIsSentAsSniAndVerified() throws Exception {
        String tls = "tls: { ca: \"" + backendPki.caFile + "\", server-name: api.internal }";
        UpstreamChannels.Connection c = connected(acquire(pool("https://127.0.0.1:" + internal.port(), tls)));
        assertThat(exchange(c)).isEqualTo("200 sni=api.internal;client=null");
        // The name is what is verified: a backend whose certificate names another host fails.
        assertThat(failed(acquire(pool("https://127.0.0.1:" + otherName.port(), tls))))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aClientCertificateIsShownToABackendThatRequiresOne() throws Exception {
        String withCert = "tls: { ca: \"" + backendPki.caFile + "\", cert: \"" + client.cert() + "\", key: \""
                + client.key() + "\", key-password-file: \"" + client.passwordFile() + "\" }";
        UpstreamChannels.Connection c = connected(acquire(pool("https://localhost:" + mtls.port(), withCert)));
        assertThat(exchange(c)).isEqualTo("200 sni=localhost;client=CN=gatehouse-proxy");

        // Without one, the backend refuses the connection: with TLS 1.3 that may surface only once the
        // backend's alert is read, so it is either a failed connect or a close before any response.
        UpstreamChannelsTest.Waiter without = acquire(pool("https://localhost:" + mtls.port(), ca(backendPki)));
        CompletableFuture.anyOf(without.connection, without.failed).get(WAIT_SECONDS, TimeUnit.SECONDS);
        if (without.connection.isDone()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> exchange(connected(without)))
                    .hasRootCauseInstanceOf(IllegalStateException.class);
        } else {
            assertThat(without.failed.get()).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void anUnreadableCaFileFailsTheConnectNamingTheFileWithOneWarning() throws Exception {
        Path missing = dir.resolve("missing-ca.pem");
        BackendPool pool = pool("https://localhost:" + untouched.port(), "tls: { ca: \"" + missing + "\" }");
        try (LogCapture log = new LogCapture(UpstreamSsl.class)) {
            Throwable first = failed(acquire(pool));
            Throwable second = failed(acquire(pool));
            assertThat(first).isInstanceOf(SSLException.class).hasMessageContaining(missing.toString())
                    .hasMessageContaining("pool p");
            assertThat(second).hasMessage(first.getMessage());
            // Tried again (not cached), but the same failure is logged once.
            assertThat(log.warnings()).hasSize(1);
            assertThat(log.warnings().get(0)).contains(missing.toString());
        }
        // Never an unverified fallback: the backend saw no connection at all.
        assertThat(untouched.accepted().get()).isZero();
    }

    @Test
    void connectTimeoutCoversTheHandshake() throws Exception {
        BackendPool pool = BackendPoolTest.pool("connect-timeout: 200ms\ntls: { ca: \"" + backendPki.caFile + "\" }",
                "{ url: \"https://127.0.0.1:" + silent.actualPort() + "\" }");
        Throwable cause = failed(acquire(pool));
        assertThat(cause).isInstanceOf(ConnectTimeoutException.class);
        // The slot was freed: the next try connects again rather than waiting for it.
        UpstreamChannelsTest.Waiter next = acquire(pool);
        assertThat(failed(next)).isInstanceOf(ConnectTimeoutException.class);
        assertThat(next.overloaded).isFalse();
    }

    @Test
    void verifyFalseConnectsToABackendThatCannotBeVerified() throws Exception {
        UpstreamChannels.Connection c = connected(acquire(pool("https://localhost:" + otherName.port(),
                "tls: { verify: false }")));
        assertThat(exchange(c)).isEqualTo("200 sni=localhost;client=null");
    }

    @Test
    void poolsWithEqualTlsSectionsShareOneContext() throws Exception {
        BackendPool a = pool("https://localhost:" + localhost.port(), ca(backendPki));
        BackendPool b = BackendPoolTest.pool("max-connections: 7\n" + ca(backendPki),
                "{ url: \"https://localhost:1\" }");
        SslContext first = Await.result(ssl.context(a.config));
        assertThat(Await.result(ssl.context(b.config))).isSameAs(first);
        assertThat(Await.result(ssl.context(pool("https://localhost:1", ca(otherPki)).config))).isNotSameAs(first);
    }

    private static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" / ");
        }
        return all.toString();
    }
}
