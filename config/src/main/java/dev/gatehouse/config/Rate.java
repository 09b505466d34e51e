package dev.gatehouse.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A request rate written as {@code 100/s}, {@code 600/m} or {@code 10000/h}. */
public record Rate(long count, Duration per) {

    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*/\\s*(s|m|h)");

    public Rate {
        if (count <= 0) {
            throw new IllegalArgumentException("rate: " + count + " (expected: > 0)");
        }
    }

    public static Rate parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a rate (expected e.g. 100/s, 600/m, 10000/h)");
        }
        Duration per = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(1);
            case "m" -> Duration.ofMinutes(1);
            default -> Duration.ofHours(1);
        };
        return new Rate(Long.parseLong(m.group(1)), per);
    }

    public double perSecond() {
        return count * 1e9 / per.toNanos();
    }

    @Override
    public String toString() {
        return count + "/" + (per.toHours() == 1 ? "h" : per.toMinutes() == 1 ? "m" : "s");
    }
}
