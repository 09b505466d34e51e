package dev.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class ExpiryMonitorTest {

    private final TlsMaterial material = TestPki.leaf("expiry.test");

    private Clock before(Duration duration) {
        return Clock.fixed(material.notAfter().minus(duration), ZoneOffset.UTC);
    }

    @Test
    void countsWholeDaysLeftRoundingDown() {
        assertThat(ExpiryMonitor.daysUntilExpiry(material, before(Duration.ofDays(10).plusHours(5)))).isEqualTo(10);
        assertThat(ExpiryMonitor.daysUntilExpiry(material, before(Duration.ofSeconds(1)))).isZero();
        assertThat(ExpiryMonitor.daysUntilExpiry(material, Clock.fixed(material.notAfter().plusSeconds(1),
                ZoneOffset.UTC))).isEqualTo(-1);
    }

    @Test
    void warnsUnderFourteenDays() {
        try (TestPki.LogCapture log = new TestPki.LogCapture(ExpiryMonitor.class)) {
            assertThat(ExpiryMonitor.warnIfExpiringSoon(material, before(Duration.ofDays(14)))).isFalse();
            assertThat(log.warnings()).isEmpty();

            assertThat(ExpiryMonitor.warnIfExpiringSoon(material, before(Duration.ofDays(13)))).isTrue();
            assertThat(log.warnings()).singleElement().asString()
                    .contains("CN=expiry.test", "13 days left", material.notAfter().toString());

            Instant afterExpiry = material.notAfter().plus(Duration.ofDays(2));
            assertThat(ExpiryMonitor.warnIfExpiringSoon(material, Clock.fixed(afterExpiry, ZoneOffset.UTC)))
                    .isTrue();
            assertThat(log.warnings()).last().asString().contains("expired on", "2 days ago");
        }
    }
}
