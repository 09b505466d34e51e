package dev.gatehouse.proxy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bodies are streamed, never buffered whole: 1 GiB each way through a proxy whose JVM has a 256 MiB heap (and 128 MiB
 * of direct memory), and a slow reader stalls the backend instead of filling the proxy's memory.
 */
class StreamingIT {

    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;
    static Process node;
    static final List<String> nodeOutput = new CopyOnWriteArrayList<>();
    static int proxyPort;
    static int statusPort;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        node = new ProcessBuilder(java.toString(), "-Xmx256m", "-XX:MaxDirectMemorySize=128m",
                "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                StreamingNode.class.getName())
                .redirectErrorStream(true)
                .start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith("READY ")) {
                        ready.complete(line);
                    } else {
                        nodeOutput.add(line);
                    }
                }
            } catch (IOException e) {
                // the node is gone
            }
            ready.completeExceptionally(new IllegalStateException("node exited: " + nodeOutput));
        }, "streaming-node-output");
        drain.setDaemon(true);
        drain.start();
        String[] line = ready.get(60, TimeUnit.SECONDS).split(" ");
        proxyPort = Integer.parseInt(line[1]);
        statusPort = Integer.parseInt(line[2]);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node == null) {
            return;
        }
        node.getOutputStream().close();
        if (!node.waitFor(15, TimeUnit.SECONDS)) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static JsonObject status(boolean gc) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort
                + "/status" + (gc ? "?gc=1" : ""))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }

    private static void assertNodeHealthy() throws Exception {
        assertThat(node.isAlive()).as("proxy JVM alive; its output: %s", nodeOutput).isTrue();
        JsonObject m = status(true);
        System.out.println("proxy JVM memory: " + m.encode());
        assertThat(m.getLong("heapMax")).isLessThanOrEqualTo(256 * MIB);
        assertThat(m.getLong("heapPeak")).isLessThan(256 * MIB);
        // Nothing of the bodies stays behind.
        assertThat(m.getLong("heapUsed")).as("heap after GC").isLessThan(96 * MIB);
        assertThat(m.getLong("direct")).as("direct memory in use").isLessThan(128 * MIB);
    }

    /** Runs {@code body} with a deadline; on timeout the socket is closed so no thread stays blocked. */
    private static <T> T bounded(RawHttp c, long seconds, java.util.concurrent.Callable<T> body) throws Exception {
        CompletableFuture<T> f = CompletableFuture.supplyAsync(() -> {
            try {
                return body.call();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            c.close();
            throw e;
        }
    }

    @Test
    void downloadOfOneGibibyte() throws Exception {
        try (RawHttp c = RawHttp.connect(proxyPort)) {
            c.write("GET /download?bytes=" + GIB + " HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo(Long.toString(GIB));
            long received = bounded(c, 120, () -> readAndCheck(c.input(), GIB));
            assertThat(received).isEqualTo(GIB);
        }
        assertNodeHealthy();
    }

    /** Reads {@code n} bytes, checking a sample of them against the generated pattern. */
    private static long readAndCheck(InputStream in, long n) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long offset = 0;
        while (offset < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - offset));
            if (r < 0) {
                break;
            }
            for (int i = (int) ((4096 - offset % 4096) % 4096); i < r; i += 4096) {
                long o = offset + i;
                if (buf[i] != (byte) ((o % StreamingNode.CHUNK) % 251)) {
                    throw new AssertionError("wrong byte at offset " + o);
                }
            }
            offset += r;
        }
        return offset;
    }

    @Test
    void uploadOfOneGibibyte() throws Exception {
        try (RawHttp c = RawHttp.connect(proxyPort)) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + GIB + "\r\n\r\n");
            byte[] chunk = StreamingNode.pattern();
            RawHttp.Response r = bounded(c, 120, () -> {
                OutputStream out = c.socket.getOutputStream();
                for (long sent = 0; sent < GIB; sent += chunk.length) {
                    out.write(chunk);
                }
                out.flush();
                return c.read();
            });
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo(Long.toString(GIB));
        }
        assertNodeHealthy();
    }

    @Test
    void chunkedUploadIsStreamedToo() throws Exception {
        long total = 256 * MIB;
        try (RawHttp c = RawHttp.connect(proxyPort)) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = StreamingNode.pattern();
            byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
            RawHttp.Response r = bounded(c, 60, () -> {
                OutputStream out = new java.io.BufferedOutputStream(c.socket.getOutputStream(), 128 * 1024);
                for (long sent = 0; sent < total; sent += chunk.length) {
                    out.write(size);
                    out.write(chunk);
                    out.write(crlf);
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return c.read();
            });
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo(Long.toString(total));
        }
        assertNodeHealthy();
    }

    @Test
    void slowReaderStallsTheBackendInsteadOfFillingTheProxy() throws Exception {
        long total = 128 * MIB;
        try (RawHttp c = RawHttp.connect(proxyPort, 64 * 1024)) {
            c.write("GET /download?bytes=" + total + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readHead().status()).isEqualTo(200);
            long read = c.input().readNBytes((int) MIB).length;
            // Stop reading. The backend must come to a standstill, with the bytes in flight held by socket buffers,
            // not by the proxy.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                long sent = status(false).getLong("sent");
                boolean stalled = sent == last[0];
                last[0] = sent;
                return stalled;
            });
            JsonObject m = status(true);
            System.out.println("slow reader stalled: client read " + read + ", proxy JVM " + m.encode());
            long inFlight = last[0] - read;
            assertThat(last[0]).as("the backend stopped before sending it all").isLessThan(total);
            // Loopback socket buffers autotune up to tcp_rmem's maximum (32 MiB here) plus tcp_wmem's (4 MiB) per hop.
            assertThat(inFlight).as("bytes sent by the backend but not read by the client").isLessThan(48 * MIB);
            assertThat(m.getLong("heapUsed")).as("proxy heap after GC while stalled").isLessThan(48 * MIB);
            assertThat(m.getLong("direct")).as("proxy direct memory while stalled").isLessThan(32 * MIB);
            // Reading on, everything arrives.
            long rest = bounded(c, 60, () -> readAndCheckFrom(c.input(), read, total));
            assertThat(read + rest).isEqualTo(total);
        }
        assertNodeHealthy();
    }

    private static long readAndCheckFrom(InputStream in, long from, long total) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long offset = from;
        while (offset < total) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, total - offset));
            if (r < 0) {
                break;
            }
            if (buf[0] != (byte) ((offset % StreamingNode.CHUNK) % 251)) {
                throw new AssertionError("wrong byte at offset " + offset);
            }
            offset += r;
        }
        return offset - from;
    }
}
