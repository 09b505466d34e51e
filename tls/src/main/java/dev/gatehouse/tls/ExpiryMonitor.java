package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Days until a certificate expires, and a WARN log line when that is under {@link #WARNING_DAYS}. The proxy calls
 * it after loading and periodically, and exports the days as a metric. Stateless; any thread.
 */
public final class ExpiryMonitor {

    /** Below this many days left, {@link #warnIfExpiringSoon} logs a warning. */
    public static final long WARNING_DAYS = 14;

    private static final Logger LOG = LoggerFactory.getLogger(ExpiryMonitor.class);

    private ExpiryMonitor() {
    }

    /**
     * Whole days from now until the leaf expires, rounded down: 0 on the last day, negative once expired.
     */
    public static long daysUntilExpiry(TlsMaterial material, Clock clock) {
        requireNonNull(material, "material");
        requireNonNull(clock, "clock");
        return daysBetween(clock.instant(), material.notAfter());
    }

    /**
     * Logs one WARN line when the leaf has fewer than {@link #WARNING_DAYS} days left (or has expired).
     *
     * @return whether it warned
     */
    public static boolean warnIfExpiringSoon(TlsMaterial material, Clock clock) {
        long days = daysUntilExpiry(material, clock);
        if (days >= WARNING_DAYS) {
            return false;
        }
        String subject = X509.name(material.leaf().getSubjectX500Principal());
        if (days < 0) {
            LOG.warn("TLS certificate {} {} expired on {} ({} days ago)", subject, material.dnsNames(),
                    material.notAfter(), -days);
        } else {
            LOG.warn("TLS certificate {} {} expires on {} ({} days left)", subject, material.dnsNames(),
                    material.notAfter(), days);
        }
        return true;
    }

    static long daysBetween(Instant from, Instant to) {
        return Math.floorDiv(Duration.between(from, to).getSeconds(), 86_400L);
    }
}
