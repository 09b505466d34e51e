package dev.gatehouse.loadtest;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of the command-line quantities in the formats of the config file (DESIGN.md): durations and sizes use the
 * config module's parsers; rates here also take a bare or decimal number of requests per second ({@code 500},
 * {@code 2.5/s}), which a command line wants and the config format does not.
 */
final class Units {

    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:/\\s*(s|m|h))?");

    private Units() {
    }

    /** Durations exactly as the config file writes them ({@code 250ms}, {@code 10s}, {@code 1m}). */
    static Duration parseDuration(String text) {
        return dev.gatehouse.config.Durations.parse(text);
    }

    /** Sizes exactly as the config file writes them ({@code 512B}, {@code 64KB}, {@code 8MB}, or plain bytes). */
    static long parseSize(String text) {
        return dev.gatehouse.config.DataSize.parse(text).bytes();
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
