package dev.gatehouse.proxy.balance;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What passive health says about a backend from its traffic alone. */
class PassiveRecordTest {

    @Test
    void noTrafficThenServingThenFailingThenServingAgain() {
        PassiveRecord p = new PassiveRecord();
        long now = System.currentTimeMillis();
        assertThat(p.verdict(now)).isEqualTo(PassiveRecord.Verdict.NO_TRAFFIC);
        assertThat(p.lastSuccessMillis()).isZero();

        p.success();
        assertThat(p.verdict(System.currentTimeMillis())).isEqualTo(PassiveRecord.Verdict.SERVING);
        assertThat(p.lastSuccessMillis()).isPositive();

        p.failure("connect failed");
        assertThat(p.lastFailureCause()).isEqualTo("connect failed");
        assertThat(p.verdict(System.currentTimeMillis())).as("within a second of a success: not failing yet")
                .isEqualTo(PassiveRecord.Verdict.SERVING);
        assertThat(p.successes()).isEqualTo(1);
        assertThat(p.failures()).isEqualTo(1);
    }

    @Test
    void onlyFailuresIsFailing() {
        PassiveRecord p = new PassiveRecord();
        p.failure("status 503");
        assertThat(p.verdict(System.currentTimeMillis())).isEqualTo(PassiveRecord.Verdict.FAILING);
    }

    @Test
    void aLastSuccessOverAMinuteAgoIsIdle() {
        PassiveRecord p = new PassiveRecord();
        p.success();
        long later = System.currentTimeMillis() + PassiveRecord.IDLE_AFTER_MILLIS + 1_000;
        assertThat(p.verdict(later)).isEqualTo(PassiveRecord.Verdict.IDLE);
    }

    @Test
    void theRecentWindowCoversTheLastRolls() {
        PassiveRecord p = new PassiveRecord();
        assertThat(p.windowed()).isFalse();
        for (int i = 0; i < 5; i++) {
            p.success();
        }
        p.failure("reset");
        p.roll();
        assertThat(p.windowed()).isTrue();
        assertThat(p.recentSuccesses()).isEqualTo(5);
        assertThat(p.recentFailures()).isEqualTo(1);
        // A full window of quiet rolls later, the old traffic has left the window.
        for (int i = 0; i < PassiveRecord.WINDOW_SLOTS; i++) {
            p.roll();
        }
        assertThat(p.recentSuccesses()).isZero();
        assertThat(p.recentFailures()).isZero();
        p.success();
        p.success();
        p.roll();
        assertThat(p.recentSuccesses()).isEqualTo(2);
        // Still counted until WINDOW_SLOTS rolls have passed since.
        for (int i = 0; i < PassiveRecord.WINDOW_SLOTS - 1; i++) {
            p.roll();
        }
        assertThat(p.recentSuccesses()).isEqualTo(2);
        p.roll();
        assertThat(p.recentSuccesses()).isZero();
        assertThat(p.successes()).isEqualTo(7);
    }
}
