package dev.gatehouse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;

import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes config records back in the file format, so that what the admin API returns, what the cluster stores
 * and what {@code data-dir} persists can be read again by {@link ConfigParser} unchanged.
 */
public final class ConfigWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .stringQuotingChecker(new PlainWhenSafe())
            .build());

    private ConfigWriter() {
    }

    /** The record as a JSON tree, keys in kebab-case, nulls left out. */
    public static JsonNode toTree(Object record) {
        return write(record);
    }

    public static String toJson(Object record) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(write(record));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String toYaml(Object record) {
        try {
            return YAML.writeValueAsString(write(record));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Leaves a string unquoted only when no YAML reader could take it for anything but that string: names, paths,
     * URLs, and durations, sizes and rates. Anything else (numbers-as-text like {@code "0123"} or {@code "1e3"},
     * {@code ".inf"}, {@code "*.example.com"}, values with spaces) is quoted, so writing and reading again gives
     * back the same text.
     */
    private static final class PlainWhenSafe extends StringQuotingChecker.Default {
        private static final long serialVersionUID = 1L;
        private static final Pattern WORDS = Pattern.compile("([A-Za-z/]|\\.\\.?/)[A-Za-z0-9/_.:+@=-]*(?<!:)");
        private static final Pattern UNITS = Pattern.compile("\\d+(ms|s|m|h|d|B|KB|MB|GB)|\\d+/[smh]");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || !(WORDS.matcher(value).matches() || UNITS.matcher(value).matches());
        }
    }

    private static JsonNode write(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) {
            return f.nullNode();
        }
        if (value instanceof String s) {
            return f.textNode(s);
        }
        if (value instanceof Integer i) {
            return f.numberNode(i);
        }
        if (value instanceof Long l) {
            return f.numberNode(l);
        }
        if (value instanceof Double d) {
            return f.numberNode(d);
        }
        if (value instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (value instanceof Duration d) {
            return f.textNode(Durations.format(d));
        }
        if (value instanceof DataSize || value instanceof Rate) {
            return f.textNode(value.toString());
        }
        if (value instanceof Enum<?> e) {
            return f.textNode(ConfigReader.kebab(e.name()));
        }
        if (value instanceof List<?> list) {
            ArrayNode a = f.arrayNode();
            list.forEach(v -> a.add(write(v)));
            return a;
        }
        if (value instanceof Map<?, ?> map) {
            // Sorted: the records hold unordered maps, and the same config must always give the same text.
            ObjectNode o = f.objectNode();
            new TreeMap<String, Object>(map.entrySet().stream()
                    .collect(Collectors.toMap(e -> String.valueOf(e.getKey()), Map.Entry::getValue)))
                    .forEach((k, v) -> o.set(k, write(v)));
            return o;
        }
        if (value instanceof Record r) {
            ObjectNode o = f.objectNode();
            if (r instanceof FilterConfig fc) {
                o.put("type", fc.type());
            }
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                try {
                    Object v = c.getAccessor().invoke(r);
                    if (v != null) {
                        o.set(ConfigReader.kebab(c.getName()), write(v));
                    }
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return o;
        }
        throw new IllegalArgumentException("cannot write " + value.getClass());
    }
}
