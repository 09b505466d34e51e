package dev.gatehouse.tls;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** Certificates generated once per test JVM; RSA keys are slow to make on a small machine, so they are shared. */
final class TestPki {

    static final TlsMaterial CA = SelfSignedCertificates.generateCa("Test Root CA");

    private static TlsMaterial rsaLeaf;

    private TestPki() {
    }

    /** An EC P-256 leaf signed by {@link #CA} with these DNS SANs; the first is also the CN. */
    static TlsMaterial leaf(String... dnsNames) {
        return SelfSignedCertificates.issue(CA, SelfSignedCertificates.Spec.leafWithNames(dnsNames[0], dnsNames));
    }

    /** One RSA 2048 leaf for {@code rsa.test} and {@code dual.test}, shared by all tests. */
    static synchronized TlsMaterial rsaLeaf() {
        if (rsaLeaf == null) {
            rsaLeaf = SelfSignedCertificates.issue(CA, SelfSignedCertificates.Spec
                    .leafWithNames("rsa.test", "rsa.test", "dual.test").keyType(KeyType.RSA_2048));
        }
        return rsaLeaf;
    }

    /** Writes {@code name.pem} (the chain) and {@code name.key} (PKCS#8) into {@code dir}. */
    static CertificateFiles write(Path dir, String name, TlsMaterial material) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + ".key");
        PemWriter.writeCertificates(cert, material.chain());
        PemWriter.writePkcs8(key, material.key());
        return CertificateFiles.of(cert, key);
    }

    /** Captures what a class logs, for assertions on WARN lines. */
    static final class LogCapture implements AutoCloseable {
        private final Logger logger;
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture(Class<?> type) {
            logger = (Logger) LoggerFactory.getLogger(type);
            appender.start();
            logger.addAppender(appender);
        }

        /** Formatted messages at WARN. */
        List<String> warnings() {
            synchronized (appender) { // AppenderBase appends under this lock, from other threads too
                List<String> messages = new ArrayList<>();
                for (ILoggingEvent event : appender.list) {
                    if (event.getLevel() == ch.qos.logback.classic.Level.WARN) {
                        messages.add(event.getFormattedMessage());
                    }
                }
                return messages;
            }
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }
}
