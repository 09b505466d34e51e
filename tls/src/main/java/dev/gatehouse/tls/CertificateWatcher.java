package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of certificate files by polling: every interval it hashes the content of each certificate, key and
 * key password file, and when an entry's content changed it loads and checks that entry with
 * {@link PemTlsMaterialLoader}. When anything new loaded, {@code onReload} receives the complete list (same order as
 * the files, so the default stays first), typically {@link SniCertificateStore#update(List)}. A file that fails to
 * load is logged once as one WARN line naming the file and the problem, and its previous material stays in use;
 * it is tried again when its content changes again (e.g. the key file of a half-done rotation arrives).
 *
 * <p>Polling, not a file system watch service, because it works the same on every OS, on network mounts and with
 * Kubernetes secret volumes that swap symlinks. {@code onReload} runs on the watcher's thread, never concurrently
 * with itself. The first poll runs at once and compares with the {@code loaded} material the caller already serves,
 * so a change between the caller's initial load and {@link #start} is not lost.
 */
public final class CertificateWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateWatcher.class);

    private final List<CertificateFiles> files;
    private final Consumer<List<TlsMaterial>> onReload;
    private final Clock clock;
    private final ScheduledExecutorService ownExecutor;
    private final String[] lastHashes;
    private volatile List<TlsMaterial> current;
    private final ScheduledFuture<?> task;

    private CertificateWatcher(List<CertificateFiles> files, List<TlsMaterial> loaded, Duration interval,
                               Consumer<List<TlsMaterial>> onReload, ScheduledExecutorService executor,
                               boolean ownsExecutor, Clock clock) {
        this.files = List.copyOf(requireNonNull(files, "files"));
        this.current = List.copyOf(requireNonNull(loaded, "loaded"));
        this.onReload = requireNonNull(onReload, "onReload");
        this.clock = clock;
        this.ownExecutor = ownsExecutor ? executor : null;
        if (this.files.isEmpty() || this.files.size() != this.current.size()) {
            throw new IllegalArgumentException("loaded: " + this.current.size() + " materials for "
                    + this.files.size() + " file entries (expected: one per entry, at least one)");
        }
        requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        this.lastHashes = new String[this.files.size()];
        this.task = executor.scheduleWithFixedDelay(this::pollSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching on a daemon thread of its own.
     *
     * @param files    the entries to watch, in the order of {@code loaded}
     * @param loaded   the material currently served for those entries (e.g. from {@link CertificateFiles#loadAll})
     * @param interval how often to poll, e.g. 5 seconds
     * @param onReload receives the complete new list after a successful change
     */
    public static CertificateWatcher start(List<CertificateFiles> files, List<TlsMaterial> loaded, Duration interval,
                                           Consumer<List<TlsMaterial>> onReload) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gatehouse-certificate-watcher");
            thread.setDaemon(true);
            return thread;
        });
        try {
            return new CertificateWatcher(files, loaded, interval, onReload, executor, true, Clock.systemUTC());
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /**
     * As {@link #start(List, List, Duration, Consumer)} but polling on {@code executor}, which {@link #close()}
     * leaves running. Polls do blocking file I/O: never pass an event-loop executor.
     */
    public static CertificateWatcher start(List<CertificateFiles> files, List<TlsMaterial> loaded, Duration interval,
                                           Consumer<List<TlsMaterial>> onReload, ScheduledExecutorService executor) {
        return new CertificateWatcher(files, loaded, interval, onReload, requireNonNull(executor, "executor"), false,
                Clock.systemUTC());
    }

    /** The material as last loaded (the {@code loaded} given at start until a change). */
    public List<TlsMaterial> current() {
        return current;
    }

    /** Stops polling; a poll in progress finishes. Idempotent. */
    @Override
    public void close() {
        task.cancel(false);
        if (ownExecutor != null) {
            ownExecutor.shutdown();
        }
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException | Error e) {
            // An exception would cancel the schedule; keep watching.
            LOG.error("TLS certificate watcher poll failed", e);
        }
    }

    void poll() {
        List<TlsMaterial> next = new ArrayList<>(current);
        boolean changed = false;
        for (int i = 0; i < files.size(); i++) {
            CertificateFiles entry = files.get(i);
            Read read = Read.of(entry);
            if (read.hash.equals(lastHashes[i])) {
                continue;
            }
            lastHashes[i] = read.hash;
            try {
                TlsMaterial material = read.load(entry, clock);
                if (!material.equals(next.get(i))) {
                    next.set(i, material);
                    changed = true;
                    LOG.info("TLS certificate reloaded from {}: {} {}, expires {}", entry.cert(),
                            X509.name(material.leaf().getSubjectX500Principal()), material.dnsNames(),
                            material.notAfter());
                }
            } catch (TlsMaterialException e) {
                LOG.warn("TLS certificate reload failed, keeping the previous certificate: {}", e.getMessage());
            }
        }
        if (changed) {
            List<TlsMaterial> published = List.copyOf(next);
            current = published;
            try {
                onReload.accept(published);
            } catch (RuntimeException e) {
                LOG.error("TLS certificate reload callback failed", e);
            }
        }
    }

    /** The bytes of one entry's files read once, so what is hashed is exactly what is loaded. */
    private static final class Read {
        final byte[] cert;
        final byte[] key;
        final TlsMaterialException failure;
        final String hash;

        private Read(byte[] cert, byte[] key, TlsMaterialException failure, String hash) {
            this.cert = cert;
            this.key = key;
            this.failure = failure;
            this.hash = hash;
        }

        static Read of(CertificateFiles entry) {
            MessageDigest digest = sha256();
            try {
                byte[] cert = Pem.read(entry.cert());
                byte[] key = Pem.read(entry.key());
                digestPart(digest, cert);
                digestPart(digest, key);
                Optional<Path> passwordFile = entry.password().file();
                if (passwordFile.isPresent()) {
                    digestPart(digest, Pem.read(passwordFile.get()));
                }
                return new Read(cert, key, null, HexFormat.of().formatHex(digest.digest()));
            } catch (TlsMaterialException e) {
                // The same unreadable state hashes the same, so it is reported once.
                return new Read(null, null, e, "unreadable: " + e.getMessage());
            }
        }

        TlsMaterial load(CertificateFiles entry, Clock clock) {
            if (failure != null) {
                throw failure;
            }
            return PemTlsMaterialLoader.load(entry.cert(), cert, entry.key(), key, entry.password(), clock);
        }

        private static void digestPart(MessageDigest digest, byte[] part) {
            // Length-prefixed so moving bytes between files changes the hash.
            digest.update(java.nio.ByteBuffer.allocate(Integer.BYTES).putInt(part.length).array());
            digest.update(part);
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
        }
    }
}
