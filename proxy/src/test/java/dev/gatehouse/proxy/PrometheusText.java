package dev.gatehouse.proxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parser for the Prometheus text exposition format (0.0.4) and OpenMetrics text, enough to read metrics back as
 * data in tests: {@code # TYPE} lines and samples with labels (escapes included). Throws on a line it cannot read, so
 * a malformed exposition fails the test.
 */
public final class PrometheusText {

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public final List<Sample> samples = new ArrayList<>();
    public final Map<String, String> types = new HashMap<>();

    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 4 && parts[1].equals("TYPE")) {
                    p.types.put(parts[2], parts[3].trim());
                }
                continue;
            }
            try {
                p.samples.add(sample(line));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + lineNo + ": cannot parse \"" + line + "\": " + e.getMessage(), e);
            }
        }
        return p;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            throw new IllegalArgumentException("bad metric name " + name);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq);
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("label value not quoted");
                }
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        v.append(n == 'n' ? '\n' : n);
                    } else {
                        v.append(c);
                    }
                    j++;
                }
                labels.put(key, v.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        String[] rest = line.substring(i).trim().split(" ");
        String v = rest[0];
        double value = switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
        return new Sample(name, labels, value);
    }

    /** Samples named {@code name} whose labels include every {@code key, value} pair given. */
    public List<Sample> find(String name, String... labelPairs) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name().equals(name) && matches(s.labels(), labelPairs)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The one sample's value; fails when there is none or several. */
    public double value(String name, String... labelPairs) {
        List<Sample> found = find(name, labelPairs);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " " + List.of(labelPairs) + ": " + found);
        }
        return found.get(0).value();
    }

    /** The sum over matching samples (0 when none). */
    public double sum(String name, String... labelPairs) {
        return find(name, labelPairs).stream().mapToDouble(Sample::value).sum();
    }

    private static boolean matches(Map<String, String> labels, String[] pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
                return false;
            }
        }
        return true;
    }
}
