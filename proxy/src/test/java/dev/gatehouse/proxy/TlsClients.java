package dev.gatehouse.proxy;

import dev.gatehouse.tls.TlsMaterial;
import dev.gatehouse.tls.TrustBundles;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** TLS clients for tests: JDK handshakes with a chosen SNI name and ALPN, JDK HTTP clients, and openssl. */
final class TlsClients {

    private TlsClients() {
    }

    /** What a finished handshake gave. */
    record Handshake(String protocol, String cipherSuite, String alpn, X509Certificate leaf) {
    }

    /** A client context trusting the CAs of {@code caFile}, showing {@code clientCertificate} when not null. */
    static SSLContext context(Path caFile, TlsMaterial clientCertificate) {
        try {
            KeyManager[] keyManagers = null;
            if (clientCertificate != null) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", clientCertificate.key(), new char[0],
                        clientCertificate.chain().toArray(new X509Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(store, new char[0]);
                keyManagers = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers, TrustBundles.trustManagerFactory(caFile).getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One full handshake with 127.0.0.1:{@code port} (a new context each time, so no session is resumed), sending
     * {@code sni} when not null and offering {@code alpn}. The server certificate is verified against the CA, the
     * host name is not (the test picks names freely).
     */
    static Handshake handshake(int port, Path caFile, String sni, String... alpn) throws IOException {
        return handshake(context(caFile, null), port, sni, alpn);
    }

    static Handshake handshake(SSLContext ctx, int port, String sni, String... alpn) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            if (sni != null) {
                p.setServerNames(List.of(new SNIHostName(sni)));
            }
            if (alpn.length > 0) {
                p.setApplicationProtocols(alpn);
            }
            s.setSSLParameters(p);
            s.startHandshake();
            // TLS 1.3 servers report a failed client authentication after the client's Finished: read to see it.
            s.getOutputStream().write("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            int first = s.getInputStream().read();
            if (first < 0) {
                throw new IOException("connection closed after the handshake");
            }
            return new Handshake(s.getSession().getProtocol(), s.getSession().getCipherSuite(),
                    s.getApplicationProtocol(), (X509Certificate) s.getSession().getPeerCertificates()[0]);
        }
    }

    /** A JDK HTTP client over {@code ctx}; connections are kept alive and reused. */
    static HttpClient http(SSLContext ctx, HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The output (stdout and stderr) and exit code of a finished process. */
    record Run(int exitCode, String output) {
    }

    /** Runs {@code openssl args...} with stdin closed after {@code input}; at most 20 seconds. */
    static Run openssl(String input, String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            // Read while it runs, so a full pipe can never block it.
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = p.getInputStream()) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl did not finish in 20s: " + command);
            }
            return new Run(p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
