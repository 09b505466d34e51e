package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

/** Header maps for the tables: {@code H.of("Name", "value", ...)}, lines of one name kept apart; "|" splits lines. */
final class H {

    private H() {
    }

    static MultiMap of(String... nameValues) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] == null) {
                continue;
            }
            for (String line : nameValues[i + 1].split("\\|", -1)) {
                m.add(nameValues[i], line);
            }
        }
        return m;
    }

    /** {@code "Name: value ^ Name: value"}: one field line per member; null or blank is no field. */
    static MultiMap parse(String spec) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        if (spec == null || spec.isBlank()) {
            return m;
        }
        for (String line : spec.split("\\^")) {
            int colon = line.indexOf(':');
            m.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        return m;
    }

    /** A fixed instant the tables count from: a Thursday. */
    static final java.time.Instant T = java.time.Instant.parse("2026-01-01T00:00:00Z");

    /** {@link #parse} after replacing each {@code {T+n}} / {@code {T-n}} by the IMF-fixdate n seconds from T. */
    static MultiMap dated(String spec) {
        if (spec == null) {
            return parse(null);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{T([+-]\\d+)}").matcher(spec);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, HttpDate.format(T.plusSeconds(Long.parseLong(m.group(1)))));
        }
        m.appendTail(b);
        return parse(b.toString());
    }

    /** "Name: value" per field line, in order, for comparisons. */
    static java.util.List<String> lines(MultiMap m) {
        java.util.List<String> out = new java.util.ArrayList<>();
        m.forEach(e -> out.add(e.getKey() + ": " + e.getValue()));
        return out;
    }
}
