package dev.gatehouse.tls;

import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Client-initiated renegotiation (TLS 1.2; TLS 1.3 has none) is refused: each one makes the server redo the
 * expensive half of a handshake on a connection it already accepted, a CPU denial of service that no connection
 * limit sees.
 *
 * <p>JSSE refuses it only with the system property {@value #PROPERTY}, which it reads once per JVM, when the first
 * server-side handshake runs: {@link #refuse()} must come before that (the launcher calls it first thing, the proxy's
 * TLS classes when they load), and {@link #refusedByJdk()} checks that it really took effect. Listeners on the
 * OpenSSL engine ({@code tls-engine}) need no switch: BoringSSL never renegotiates as a server and answers a
 * renegotiating ClientHello with a fatal {@code no_renegotiation} alert (tested on both engines).
 */
public final class ClientRenegotiation {

    /** The JSSE switch: {@code true} makes a server answer a renegotiating ClientHello with a fatal alert. */
    public static final String PROPERTY = "jdk.tls.rejectClientInitiatedRenegotiation";

    private static volatile Boolean refused;

    private ClientRenegotiation() {
    }

    /**
     * Sets {@value #PROPERTY} to {@code true} unless it was set explicitly (an operator's {@code -D} wins). Cheap and
     * idempotent; effective only before the JVM's first server-side TLS handshake.
     */
    public static void refuse() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, "true");
        }
    }

    /**
     * Whether this JVM's JSSE refuses a client's renegotiation, found by doing it: two in-memory engines complete a
     * TLS 1.2 handshake, the client starts a second one, and the server must fail it. Run once and remembered (a few
     * tens of milliseconds: a key pair and two handshakes). Blocking CPU work; call at startup.
     */
    public static boolean refusedByJdk() {
        Boolean known = refused;
        if (known == null) {
            synchronized (ClientRenegotiation.class) {
                known = refused;
                if (known == null) {
                    known = tryRenegotiation();
                    refused = known;
                }
            }
        }
        return known;
    }

    private static boolean tryRenegotiation() {
        try {
            TlsMaterial m = SelfSignedCertificates.generateCa("renegotiation check", Duration.ofHours(1),
                    KeyType.EC_P256);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", m.key(), new char[0], m.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("server", m.leaf());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext serverContext = SSLContext.getInstance("TLS");
            serverContext.init(kmf.getKeyManagers(), null, null);
            SSLContext clientContext = SSLContext.getInstance("TLS");
            clientContext.init(null, tmf.getTrustManagers(), null);

            SSLEngine server = serverContext.createSSLEngine();
            server.setUseClientMode(false);
            server.setEnabledProtocols(new String[] {"TLSv1.2"});
            SSLEngine client = clientContext.createSSLEngine("renegotiation.check", 443);
            client.setUseClientMode(true);
            client.setEnabledProtocols(new String[] {"TLSv1.2"});

            Pipe pipe = new Pipe(client, server);
            client.beginHandshake();
            pipe.run(); // the first handshake must succeed, or the check says nothing
            client.beginHandshake();
            try {
                pipe.run();
                return false; // renegotiated
            } catch (SSLException e) {
                return true;
            }
        } catch (Exception e) {
            throw new IllegalStateException("the client-renegotiation check could not run: " + e, e);
        }
    }

    /** Moves records between two engines until neither has handshake work left. */
    private static final class Pipe {
        private final SSLEngine client;
        private final SSLEngine server;
        private final ByteBuffer toServer;
        private final ByteBuffer toClient;
        private final ByteBuffer appIn;

        Pipe(SSLEngine client, SSLEngine server) {
            this.client = client;
            this.server = server;
            int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
            this.toServer = ByteBuffer.allocate(packet * 4);
            this.toClient = ByteBuffer.allocate(packet * 4);
            this.appIn = ByteBuffer.allocate(Math.max(client.getSession().getApplicationBufferSize(),
                    server.getSession().getApplicationBufferSize()) * 2);
        }

        void run() throws SSLException {
            for (int round = 0; round < 100; round++) {
                boolean moved = step(client, toClient, toServer) | step(server, toServer, toClient);
                if (!moved && idle(client) && idle(server) && toServer.position() == 0 && toClient.position() == 0) {
                    return;
                }
            }
            throw new IllegalStateException("TLS handshake made no progress");
        }

        private static boolean idle(SSLEngine e) {
            HandshakeStatus s = e.getHandshakeStatus();
            return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
        }

        /** Reads what arrived, runs tasks, writes what is due; true when anything happened. */
        private boolean step(SSLEngine engine, ByteBuffer in, ByteBuffer out) throws SSLException {
            boolean moved = false;
            if (in.position() > 0) {
                in.flip();
                SSLEngineResult r;
                do {
                    appIn.clear();
                    r = engine.unwrap(in, appIn);
                    moved |= r.bytesConsumed() > 0;
                    runTasks(engine);
                } while (in.hasRemaining() && r.getStatus() == SSLEngineResult.Status.OK && r.bytesConsumed() > 0);
                in.compact();
            }
            runTasks(engine);
            while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), out);
                moved |= r.bytesProduced() > 0;
                runTasks(engine);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    break;
                }
            }
            return moved;
        }

        private static void runTasks(SSLEngine engine) {
            for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                task.run();
            }
        }
    }
}
