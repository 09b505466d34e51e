package dev.gatehouse.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Maps a JSON/YAML tree onto the config records by reflection, collecting every problem with its path
 * instead of stopping at the first. Keys are the kebab-case form of record component names
 * ({@code hashKey} ↔ {@code hash-key}); absent keys become {@code null} so the records' compact constructors
 * supply defaults.
 */
final class ConfigReader {

    private final List<ConfigProblem> problems = new ArrayList<>();

    List<ConfigProblem> problems() {
        return problems;
    }

    <T> T read(JsonNode node, Class<T> type, String path) {
        return type.cast(readValue(node, type, path));
    }

    private Object readValue(JsonNode node, Type type, String path) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (type instanceof ParameterizedType pt) {
            Class<?> raw = (Class<?>) pt.getRawType();
            if (raw == List.class) {
                return readList(node, pt.getActualTypeArguments()[0], path);
            }
            if (raw == Map.class) {
                return readMap(node, pt.getActualTypeArguments()[1], path);
            }
            throw new IllegalStateException("unsupported config type " + type);
        }
        Class<?> cls = (Class<?>) type;
        if (cls == String.class) {
            if (!node.isValueNode()) {
                return problem(path, "expected a string, found " + describe(node));
            }
            return node.asText();
        }
        if (cls == Integer.class || cls == int.class) {
            if (!node.canConvertToInt() || !node.isIntegralNumber()) {
                if (node.isTextual() && node.asText().matches("-?\\d{1,9}")) {
                    return Integer.parseInt(node.asText());
                }
                if (node.isIntegralNumber()) {
                    return problem(path, node.asText() + " is out of range");
                }
                return problem(path, "expected a whole number, found " + describe(node));
            }
            return node.intValue();
        }
        if (cls == Long.class || cls == long.class) {
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                return problem(path, "expected a whole number, found " + describe(node));
            }
            return node.longValue();
        }
        if (cls == Double.class || cls == double.class) {
            if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
                return problem(path, "expected a number, found " + describe(node));
            }
            return node.doubleValue();
        }
        if (cls == Boolean.class || cls == boolean.class) {
            if (!node.isBoolean()) {
                return problem(path, "expected true or false, found " + describe(node));
            }
            return node.booleanValue();
        }
        if (cls == Duration.class) {
            return parseScalar(node, path, Durations::parse,
                    n -> "write the unit, e.g. \"" + n + "s\" or \"" + n + "ms\"");
        }
        if (cls == DataSize.class) {
            if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0) {
                return new DataSize(node.longValue());
            }
            return parseScalar(node, path, DataSize::parse, n -> "expected a whole number of bytes or a size like "
                    + "\"64KB\" or \"8MB\"");
        }
        if (cls == Rate.class) {
            return parseScalar(node, path, Rate::parse, n -> "write the period, e.g. \"" + n + "/s\"");
        }
        if (cls.isEnum()) {
            return readEnum(node, cls, path);
        }
        if (cls.isRecord()) {
            return readRecord(node, cls, path);
        }
        if (cls == FilterConfig.class) {
            return readFilter(node, path);
        }
        throw new IllegalStateException("unsupported config type " + cls);
    }

    private Object parseScalar(JsonNode node, String path, Function<String, Object> parser,
                               Function<String, String> numberHint) {
        if (!node.isTextual()) {
            return problem(path, "expected a string like the examples, found " + describe(node)
                    + (node.isNumber() ? " (" + numberHint.apply(node.asText()) + ")" : ""));
        }
        try {
            return parser.apply(node.asText());
        } catch (IllegalArgumentException e) {
            return problem(path, e.getMessage());
        }
    }

    private Object readList(JsonNode node, Type element, String path) {
        if (!node.isArray()) {
            // A single value where a list is expected is the list of that value: `host: a.com` reads as [a.com].
            if (node.isValueNode()) {
                Object one = readValue(node, element, path);
                return one == null ? null : List.of(one);
            }
            return problem(path, "expected a list, found " + describe(node));
        }
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            Object v = readValue(node.get(i), element, path + "[" + i + "]");
            if (v != null) {
                out.add(v);
            } else if (node.get(i).isNull()) {
                problem(path + "[" + i + "]", "empty entry");
            }
        }
        return out;
    }

    private Object readMap(JsonNode node, Type valueType, String path) {
        if (!node.isObject()) {
            return problem(path, "expected a mapping of names to values, found " + describe(node));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Object v = readValue(e.getValue(), valueType, join(path, e.getKey()));
            if (v != null) {
                out.put(e.getKey(), v);
            } else if (e.getValue().isNull()) {
                problem(join(path, e.getKey()), "empty value (write \"\" for an empty string)");
            }
        }
        return out;
    }

    private Object readEnum(JsonNode node, Class<?> cls, String path) {
        List<String> names = Arrays.stream(cls.getEnumConstants()).map(c -> kebab(((Enum<?>) c).name())).toList();
        if (!node.isTextual()) {
            return problem(path, "expected one of " + names + ", found " + describe(node));
        }
        String text = node.asText();
        for (Object c : cls.getEnumConstants()) {
            if (kebab(((Enum<?>) c).name()).equals(text.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        return problem(path, "\"" + text + "\" is not one of " + names + suggestion(text, names));
    }

    private Object readRecord(JsonNode node, Class<?> cls, String path) {
        if (!node.isObject()) {
            return problem(path, "expected a mapping, found " + describe(node));
        }
        return readRecordFields(node, cls, path, Set.of());
    }

    private Object readRecordFields(JsonNode node, Class<?> cls, String path, Set<String> ignoredKeys) {
        RecordComponent[] components = cls.getRecordComponents();
        Map<String, RecordComponent> byKey = new LinkedHashMap<>();
        for (RecordComponent c : components) {
            byKey.put(kebab(c.getName()), c);
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!byKey.containsKey(key) && !ignoredKeys.contains(key)) {
                String retired = retired(cls, key);
                problem(join(path, key), retired != null ? retired : "unknown key" + suggestion(key, byKey.keySet())
                        + " (expected one of " + byKey.keySet() + ")");
            }
        }
        // A broken part reads as null (its default); the record is built anyway from what was readable so the
        // remaining checks (unknown pools, duplicates) still run and everything is reported in one pass.
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            String key = kebab(components[i].getName());
            args[i] = readValue(node.get(key), components[i].getGenericType(), join(path, key));
        }
        try {
            Constructor<?> ctor = cls.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class[]::new));
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            return problem(path, e.getCause().getMessage() == null ? e.getCause().toString() : e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What to write instead of a key that reads as if it should work but does not, else {@code null}. */
    private static String retired(Class<?> cls, String key) {
        if (cls == CacheConfig.class && key.equals("near-cache")) {
            // DESIGN.md's sketch bounds the near cache in bytes; Hazelcast bounds an on-heap near cache by count.
            return "not supported: a near cache is bounded by entry count, not size (use near-cache-max-entries, "
                    + "e.g. near-cache-max-entries: 10000)";
        }
        return null;
    }

    private Object readFilter(JsonNode node, String path) {
        if (!node.isObject()) {
            return problem(path, "expected a mapping with a \"type\", found " + describe(node));
        }
        Map<String, Class<? extends FilterConfig>> types = FilterConfig.types();
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            return problem(join(path, "type"), "required (one of " + types.keySet() + ")");
        }
        Class<? extends FilterConfig> cls = types.get(type.asText());
        if (cls == null) {
            return problem(join(path, "type"), "\"" + type.asText() + "\" is not a filter type"
                    + suggestion(type.asText(), types.keySet()) + " (expected one of " + types.keySet() + ")");
        }
        return readRecordFields(node, cls, path, Set.of("type"));
    }

    private Object problem(String path, String message) {
        problems.add(new ConfigProblem(path, message));
        return null;
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String kebab(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '_') {
                sb.append('-');
            } else if (Character.isUpperCase(c) && i > 0 && Character.isLowerCase(name.charAt(i - 1))) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    private static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "\"" + node.asText() + "\"";
        }
        return node.asText();
    }

    /**
     * {@code  (did you mean "hash-key"?)} (with a leading space) for the closest known name when it is close
     * enough, else empty. Case is ignored; "close" is an edit distance of at most 2, or a third of the name for
     * long names, and less than the length of what was given.
     */
    static String suggestion(String given, Collection<String> known) {
        String g = given.toLowerCase(Locale.ROOT);
        Optional<String> best = known.stream()
                .min(Comparator.comparingInt(k -> distance(g, k.toLowerCase(Locale.ROOT))));
        if (best.isPresent()) {
            int d = distance(g, best.get().toLowerCase(Locale.ROOT));
            if (d <= Math.max(2, best.get().length() / 3) && d < given.length()) {
                return " (did you mean \"" + best.get() + "\"?)";
            }
        }
        return "";
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    static String names(Collection<String> names) {
        return names.stream().collect(Collectors.joining(", ", "[", "]"));
    }
}
