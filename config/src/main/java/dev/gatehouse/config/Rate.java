package dev.gatehouse.config;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A request rate written as {@code 100/s}, {@code 600/m} or {@code 10000/h}. */
public record Rate(long count, Duration per) {

    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*/\\s*(s|m|h)");

    public Rate {
        if (count <= 0) {
            throw new IllegalArgumentException("rate: " + count + " (expected: > 0)");
        }
        Objects.requireNonNull(per, "per");
        if (!per.equals(Duration.ofSeconds(1)) && !per.equals(Duration.ofMinutes(1)) && !per.equals(Duration.ofHours(1))) {
            throw new IllegalArgumentException("per: " + per + " (expected: 1s, 1m or 1h)");
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
        try {
            return new Rate(Long.parseLong(m.group(1)), per);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is too large");
        }
    }

    public double perSecond() {
        return count * 1e9 / per.toNanos();
    }

    @Override
    public String toString() {
        return count + "/" + (per.toHours() == 1 ? "h" : per.toMinutes() == 1 ? "m" : "s");
    }
}
