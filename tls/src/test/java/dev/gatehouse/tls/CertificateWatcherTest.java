package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateWatcherTest {

    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private final List<List<TlsMaterial>> reloads = new CopyOnWriteArrayList<>();
    private TestPki.LogCapture log;
    private CertificateFiles siteFiles;
    private CertificateFiles otherFiles;
    private SniCertificateStore store;
    private CertificateWatcher watcher;

    @BeforeEach
    void start() {
        log = new TestPki.LogCapture(CertificateWatcher.class);
        siteFiles = TestPki.write(dir, "site", TestPki.leaf("site.test"));
        otherFiles = TestPki.write(dir, "other", TestPki.leaf("other.test"));
        List<CertificateFiles> files = List.of(siteFiles, otherFiles);
        List<TlsMaterial> loaded = CertificateFiles.loadAll(files);
        store = SniCertificateStore.of(loaded);
        watcher = CertificateWatcher.start(files, loaded, POLL, materials -> {
            reloads.add(materials);
            store.update(materials);
        });
    }

    @AfterEach
    void stop() {
        watcher.close();
        log.close();
    }

    @Test
    void picksUpAReplacedCertificate() {
        TlsMaterial renewed = TestPki.leaf("site.test", "www.site.test");

        // Key first, then certificate, as a rotation script would; the watcher may see the halfway state.
        PemWriter.writePkcs8(siteFiles.key(), renewed.key());
        PemWriter.writeCertificates(siteFiles.cert(), renewed.chain());

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(store.select("www.site.test").leaf()).isEqualTo(renewed.leaf()));
        assertThat(watcher.current().get(0).leaf()).isEqualTo(renewed.leaf());
        assertThat(store.select("other.test").dnsNames()).containsExactly("other.test");
        assertThat(reloads).last().satisfies(list -> assertThat(list).hasSize(2));
    }

    @Test
    void refusesABrokenFileAndKeepsTheOldCertificate() {
        TlsMaterial before = store.select("site.test");

        PemWriter.writeString(siteFiles.cert(), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                + "-----END CERTIFICATE-----\n");

        String expected = siteFiles.cert() + ": certificate 1 is not a valid X.509 certificate";
        await().atMost(Duration.ofSeconds(10)).until(() -> log.warnings().stream().anyMatch(w -> w.contains(expected)));
        // Logged once for this content, not on every poll.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> log.warnings().stream().filter(w -> w.contains(expected)).count() == 1);
        assertThat(store.select("site.test")).isSameAs(before);
        assertThat(watcher.current().get(0)).isSameAs(before);
        assertThat(reloads).isEmpty();

        TlsMaterial fixed = TestPki.leaf("site.test");
        PemWriter.writePkcs8(siteFiles.key(), fixed.key());
        PemWriter.writeCertificates(siteFiles.cert(), fixed.chain());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(store.select("site.test").leaf()).isEqualTo(fixed.leaf()));
    }

    @Test
    void refusesAnExpiredReplacement() {
        TlsMaterial before = store.select("site.test");
        TlsMaterial expired = SelfSignedCertificates.issue(TestPki.CA, SelfSignedCertificates.Spec
                .leafWithNames("site.test", "site.test")
                .validity(java.time.Instant.parse("2024-01-01T00:00:00Z"),
                        java.time.Instant.parse("2025-01-01T00:00:00Z")));

        PemWriter.writePkcs8(siteFiles.key(), expired.key());
        PemWriter.writeCertificates(siteFiles.cert(), expired.chain());

        String expected = siteFiles.cert() + ": certificate expired on 2025-01-01T00:00:00Z";
        await().atMost(Duration.ofSeconds(10)).until(() -> log.warnings().stream().anyMatch(w -> w.contains(expected)));
        assertThat(store.select("site.test")).isSameAs(before);
    }

    @Test
    void stopsWhenClosed() {
        watcher.close();
        TlsMaterial renewed = TestPki.leaf("site.test");

        PemWriter.writePkcs8(siteFiles.key(), renewed.key());
        PemWriter.writeCertificates(siteFiles.cert(), renewed.chain());

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(reloads::isEmpty);
    }
}
