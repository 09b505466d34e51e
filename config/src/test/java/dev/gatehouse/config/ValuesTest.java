package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The scalar value types: {@link DataSize}, {@link Rate} and {@link Durations}. */
class ValuesTest {

    // ---- DataSize -------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"0, 0", "512, 512", "512B, 512", "64KB, 65536", "64kb, 65536", "64 KB, 65536", "8MB, 8388608",
            "1GB, 1073741824", "2GiB, 2147483648", "16KiB, 16384"})
    void dataSizeParses(String text, long bytes) {
        assertThat(DataSize.parse(text)).isEqualTo(new DataSize(bytes));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5MB", "12 parsecs", "", "MB", "-1", "1TB", "1 M B", "0x10"})
    void dataSizeRejects(String text) {
        assertThatThrownBy(() -> DataSize.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" is not a size (expected e.g. 512B, 64KB, 8MB, 1GB)");
    }

    @Test
    void dataSizeTooLarge() {
        assertThatThrownBy(() -> DataSize.parse("9999999999GB")).hasMessage("\"9999999999GB\" is too large");
        assertThatThrownBy(() -> DataSize.parse("99999999999999999999")).hasMessage("\"99999999999999999999\" is too large");
    }

    @Test
    void dataSizeIsNeverNegative() {
        assertThatThrownBy(() -> new DataSize(-1)).hasMessage("size: -1 (expected: >= 0)");
    }

    @ParameterizedTest
    @CsvSource({"0, 0B", "1, 1B", "1023, 1023B", "1024, 1KB", "1536, 1536B", "65536, 64KB", "1048576, 1MB",
            "1073741824, 1GB", "3221225472, 3GB", "1049600, 1025KB"})
    void dataSizeWritesTheLargestExactUnit(long bytes, String text) {
        assertThat(new DataSize(bytes)).hasToString(text);
        assertThat(DataSize.parse(text).bytes()).isEqualTo(bytes);
    }

    @Test
    void dataSizeHelpers() {
        assertThat(DataSize.ofKilobytes(16).bytes()).isEqualTo(16384);
        assertThat(DataSize.ofMegabytes(8).bytes()).isEqualTo(8L << 20);
        assertThat(DataSize.ofMegabytes(1).bytesAsInt()).isEqualTo(1 << 20);
        assertThat(new DataSize(Long.MAX_VALUE).bytesAsInt()).isEqualTo(Integer.MAX_VALUE);
    }

    // ---- Rate -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"100/s, 100, PT1S, 100.0", "600/m, 600, PT1M, 10.0", "3600/h, 3600, PT1H, 1.0", "5 / s, 5, PT1S, 5.0"})
    void rateParses(String text, long count, Duration per, double perSecond) {
        Rate r = Rate.parse(text);

        assertThat(r).isEqualTo(new Rate(count, per));
        assertThat(r.perSecond()).isEqualTo(perSecond);
        assertThat(Rate.parse(r.toString())).isEqualTo(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"100/fortnight", "100", "100/sec", "1.5/s", "/s", "100/S", "-1/s"})
    void rateRejects(String text) {
        assertThatThrownBy(() -> Rate.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" is not a rate (expected e.g. 100/s, 600/m, 10000/h)");
    }

    @Test
    void rateMustBePositiveAndPerOneUnit() {
        assertThatThrownBy(() -> Rate.parse("0/s")).hasMessage("rate: 0 (expected: > 0)");
        assertThatThrownBy(() -> new Rate(1, Duration.ofSeconds(10))).hasMessage("per: PT10S (expected: 1s, 1m or 1h)");
        assertThatThrownBy(() -> Rate.parse("99999999999999999999/s")).hasMessage("\"99999999999999999999/s\" is too large");
    }

    @Test
    void rateWrites() {
        assertThat(Rate.parse("100/s")).hasToString("100/s");
        assertThat(Rate.parse("600/m")).hasToString("600/m");
        assertThat(Rate.parse("10000/h")).hasToString("10000/h");
    }

    // ---- Durations ------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "2s, PT2S", "1m, PT1M", "1h, PT1H", "1d, PT24H", "0s, PT0S", "90s, PT1M30S",
            "2 s, PT2S", " 5m , PT5M"})
    void durationParses(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "1.5s", "10 parsecs", "", "s", "-1s", "2S", "1m30s", "PT5S", "5 sec", "2us"})
    void durationRejects(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" is not a duration (expected e.g. 250ms, 2s, 1m, 1h)");
    }

    @Test
    void durationTooLong() {
        assertThatThrownBy(() -> Durations.parse("9223372036854775807d")).hasMessage("\"9223372036854775807d\" is too long");
        assertThatThrownBy(() -> Durations.parse("99999999999999999999s")).hasMessage("\"99999999999999999999s\" is too long");
    }

    @ParameterizedTest
    @CsvSource({"PT0S, 0s", "PT0.25S, 250ms", "PT1.5S, 1500ms", "PT2S, 2s", "PT90S, 90s", "PT5M, 5m", "PT1H, 1h",
            "PT24H, 1d", "PT25H, 25h", "PT0.001S, 1ms"})
    void durationWritesTheShortestExactForm(Duration d, String text) {
        assertThat(Durations.format(d)).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(d);
    }
}
