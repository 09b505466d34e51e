package dev.gatehouse.loadtest;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of the command-line quantities, in the formats of the config file (DESIGN.md): durations {@code 250ms},
 * {@code 10s}, {@code 1m}; sizes {@code 512B}, {@code 1KB}, {@code 8MB} (binary multiples); rates {@code 500/s},
 * {@code 600/m}. Kept local so the load tester runs without the config module's parser.
 */
final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KIB|MB|MIB|GB|GIB)?");
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:/\\s*(s|m|h))?");

    private Units() {
    }

    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (expected e.g. 500ms, 10s, 1m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static long parseSize(String text) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size (expected e.g. 512B, 1KB, 8MB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long mult = switch (unit) {
            case "KB", "KIB" -> 1L << 10;
            case "MB", "MIB" -> 1L << 20;
            case "GB", "GIB" -> 1L << 30;
            default -> 1;
        };
        if (n > Long.MAX_VALUE / mult) {
            throw new IllegalArgumentException("\"" + text + "\" is too large");
        }
        return n * mult;
    }

    /** Requests per second; a bare number means per second. */
    static double parseRate(String text) {
        Matcher m = RATE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a rate (expected e.g. 500/s, 600/m or 500)");
        }
        double n = Double.parseDouble(m.group(1));
        String per = m.group(2) == null ? "s" : m.group(2);
        return switch (per) {
            case "m" -> n / 60;
            case "h" -> n / 3600;
            default -> n;
        };
    }

    /** Bytes as a short human string: {@code 512 B}, {@code 1.5 KiB}, {@code 3.2 MiB}. */
    static String bytes(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (bytes >= 1024 && u < units.length - 1) {
            bytes /= 1024;
            u++;
        }
        return u == 0 ? String.format(Locale.ROOT, "%.0f %s", bytes, units[u])
                : String.format(Locale.ROOT, "%.1f %s", bytes, units[u]);
    }
}
