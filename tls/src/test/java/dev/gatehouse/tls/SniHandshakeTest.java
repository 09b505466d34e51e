package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real TLS handshakes in this JVM against the SNI key manager: sockets on 127.0.0.1 and an SSLEngine pair. */
class SniHandshakeTest {

    private static final int TIMEOUT_MILLIS = 10_000;

    private final TlsMaterial fallback = TestPki.leaf("default.test");
    private final TlsMaterial a = TestPki.leaf("a.test");
    private final TlsMaterial b = TestPki.leaf("b.test");
    private final SniCertificateStore store = SniCertificateStore.of(List.of(fallback, a, b));

    private ExecutorService server;
    private SSLServerSocket serverSocket;

    @BeforeEach
    void startServer() throws Exception {
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(SniCertificateStore.keyManagerFactory(store).getKeyManagers(), null, null);
        serverSocket = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        serverSocket.setEnabledProtocols(TlsPolicy.PROTOCOLS.toArray(new String[0]));
        serverSocket.setEnabledCipherSuites(TlsPolicy.CIPHER_SUITES.toArray(new String[0]));
        serverSocket.setSoTimeout(TIMEOUT_MILLIS);
        server = Executors.newSingleThreadExecutor();
    }

    // A fresh client context per connection: a cached session would be resumed with the certificate it started with.
    private static SSLContext newClientContext() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, TrustBundles.trustManagerFactory(List.of(TestPki.CA.leaf())).getTrustManagers(), null);
        return context;
    }

    @AfterEach
    void stopServer() throws Exception {
        serverSocket.close();
        server.shutdownNow();
        assertThat(server.awaitTermination(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void clientReceivesTheCertificateForTheNameItSent() throws Exception {
        assertThat(handshake("a.test", "TLSv1.3")).isEqualTo(a.leaf());
        assertThat(handshake("b.test", "TLSv1.3")).isEqualTo(b.leaf());
    }

    @Test
    void unknownOrMissingNameGetsTheDefault() throws Exception {
        assertThat(handshake("unknown.test", "TLSv1.3")).isEqualTo(fallback.leaf());
        assertThat(handshake(null, "TLSv1.3")).isEqualTo(fallback.leaf());
    }

    @Test
    void tls12SelectsByNameToo() throws Exception {
        assertThat(handshake("b.test", "TLSv1.2")).isEqualTo(b.leaf());
    }

    @Test
    void newHandshakesSeeAnUpdatedStore() throws Exception {
        assertThat(handshake("a.test", "TLSv1.3")).isEqualTo(a.leaf());
        TlsMaterial renewed = TestPki.leaf("a.test");

        store.update(List.of(fallback, renewed, b));

        assertThat(handshake("a.test", "TLSv1.3")).isEqualTo(renewed.leaf());
    }

    @Test
    void servesRsaOrEcForOneNameByWhatTheClientNegotiates() throws Exception {
        TlsMaterial dualEc = TestPki.leaf("dual.test");
        store.update(List.of(fallback, dualEc, TestPki.rsaLeaf()));

        assertThat(handshake("dual.test", "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))
                .isEqualTo(TestPki.rsaLeaf().leaf());
        assertThat(handshake("dual.test", "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
                .isEqualTo(dualEc.leaf());
    }

    @Test
    void sslEnginePairSelectsBySni() throws Exception {
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(SniCertificateStore.keyManagerFactory(store).getKeyManagers(), null, null);
        SSLEngine serverEngine = serverContext.createSSLEngine();
        serverEngine.setUseClientMode(false);
        SSLEngine clientEngine = newClientContext().createSSLEngine("b.test", 443);
        clientEngine.setUseClientMode(true);
        SSLParameters parameters = clientEngine.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("b.test")));
        clientEngine.setSSLParameters(parameters);

        engineHandshake(clientEngine, serverEngine);

        assertThat(clientEngine.getSession().getPeerCertificates()[0]).isEqualTo(b.leaf());
    }

    private X509Certificate handshake(String serverName, String protocol, String... cipherSuites) throws Exception {
        Future<?> accepted = server.submit(() -> {
            try (SSLSocket socket = (SSLSocket) serverSocket.accept()) {
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.startHandshake();
                socket.getOutputStream().write(1); // TLS 1.3 finishes on first data; let the client read it
                socket.getOutputStream().flush();
                socket.getInputStream().read();
            }
            return null;
        });
        X509Certificate received;
        try (SSLSocket client = (SSLSocket) newClientContext().getSocketFactory().createSocket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), serverSocket.getLocalPort()),
                    TIMEOUT_MILLIS);
            client.setSoTimeout(TIMEOUT_MILLIS);
            SSLParameters parameters = client.getSSLParameters();
            parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
            parameters.setProtocols(new String[] {protocol});
            if (cipherSuites.length > 0) {
                parameters.setCipherSuites(cipherSuites);
            }
            client.setSSLParameters(parameters);
            client.startHandshake();
            assertThat(client.getInputStream().read()).isEqualTo(1);
            client.getOutputStream().write(2);
            client.getOutputStream().flush();
            assertThat(client.getSession().getProtocol()).isEqualTo(protocol);
            Certificate[] peer = client.getSession().getPeerCertificates();
            received = (X509Certificate) peer[0];
        }
        // Only after the client closed: a TLS 1.3 close on the server waits for the client's close_notify.
        accepted.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        return received;
    }

    /** Drives both engines through the handshake over in-memory buffers. */
    private static void engineHandshake(SSLEngine client, SSLEngine server) throws Exception {
        ByteBuffer clientToServer = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        ByteBuffer serverToClient = ByteBuffer.allocate(server.getSession().getPacketBufferSize());
        ByteBuffer clientApp = ByteBuffer.allocate(client.getSession().getApplicationBufferSize());
        ByteBuffer serverApp = ByteBuffer.allocate(server.getSession().getApplicationBufferSize());
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 200 && !(finished(client) && finished(server)); i++) {
            step(client, clientToServer, serverToClient, clientApp);
            step(server, serverToClient, clientToServer, serverApp);
        }
        assertThat(finished(client)).as("client handshake finished").isTrue();
        assertThat(finished(server)).as("server handshake finished").isTrue();
    }

    private static boolean finished(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine engine, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws Exception {
        switch (engine.getHandshakeStatus()) {
            case NEED_WRAP:
                engine.wrap(ByteBuffer.allocate(0), out);
                break;
            case NEED_UNWRAP:
            case NEED_UNWRAP_AGAIN:
                in.flip();
                engine.unwrap(in, app);
                in.compact();
                break;
            case NEED_TASK:
                for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                    task.run();
                }
                break;
            default:
                break;
        }
    }
}
