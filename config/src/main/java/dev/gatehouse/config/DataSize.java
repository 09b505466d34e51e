package dev.gatehouse.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A byte count written as {@code 512B}, {@code 64KB}, {@code 8MB} or {@code 1GB} (binary multiples). */
public record DataSize(long bytes) {

    public static final DataSize ZERO = new DataSize(0);
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(B|KB|KIB|MB|MIB|GB|GIB)?");

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size: " + bytes + " (expected: >= 0)");
        }
    }

    public static DataSize ofKilobytes(long kb) {
        return new DataSize(kb * 1024);
    }

    public static DataSize ofMegabytes(long mb) {
        return new DataSize(mb * 1024 * 1024);
    }

    /** Parses strictly: a whole number and an optional unit; {@code 1.5MB} or {@code 10 parsecs} are errors. */
    public static DataSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size (expected e.g. 512B, 64KB, 8MB, 1GB)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is too large");
        }
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
        return new DataSize(n * mult);
    }

    public int bytesAsInt() {
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public String toString() {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + "GB";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + "MB";
        }
        if (bytes != 0 && bytes % 1024 == 0) {
            return bytes / 1024 + "KB";
        }
        return bytes + "B";
    }
}
