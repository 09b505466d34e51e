package dev.gatehouse.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads configuration text (YAML, or JSON, which is YAML too) into records and validates it. Pure: no file
 * watching, no clock; {@link #readFile(Path)} is the only I/O and it only reads.
 */
public final class ConfigParser {

    // YAML 1.2 booleans only: `yes`, `no`, `on`, `off` stay strings, so `X-Debug: on` keeps its text and a
    // boolean option written `yes` is reported instead of guessed.
    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) '(.*)'.*", Pattern.DOTALL);
    /** Top-level keys of a node file that do not belong in the shared part. */
    private static final Set<String> NODE_LOCAL_KEYS = Set.of("data-dir", "cluster", "listeners", "admin",
            "access-log", "metrics", "shutdown", "tls-engine");

    private ConfigParser() {
    }

    /** Reads and validates a whole node file. */
    public static GatehouseConfig readFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigProblem("", file + ": no such file")));
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigProblem("", file + ": " + e.getMessage())));
        }
        return parse(text);
    }

    /** Parses and validates a whole node configuration; throws {@link ConfigException} with every problem. */
    public static GatehouseConfig parse(String text) {
        JsonNode tree = tree(text);
        if (tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException(List.of(new ConfigProblem("", "the configuration is empty")));
        }
        ConfigReader reader = new ConfigReader();
        GatehouseConfig config = reader.read(tree, GatehouseConfig.class, "");
        List<ConfigProblem> problems = new ArrayList<>(reader.problems());
        if (config != null) {
            problems.addAll(followUps(reader.problems(), ConfigValidator.validate(config, poolNamesKnown(reader))));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /**
     * Drops validator problems that only repeat a shape problem already reported at the same place (a value
     * that could not be read is also "required"), so each mistake is reported once.
     */
    private static List<ConfigProblem> followUps(List<ConfigProblem> shape, List<ConfigProblem> semantic) {
        if (shape.isEmpty()) {
            return semantic;
        }
        return semantic.stream().filter(s -> shape.stream().noneMatch(r -> within(s.path(), r.path()))).toList();
    }

    private static boolean within(String path, String parent) {
        return path.equals(parent) || parent.isEmpty()
                || path.startsWith(parent) && (path.charAt(parent.length()) == '.' || path.charAt(parent.length()) == '[');
    }

    /** False when a pool, or the list of pools, could not be read: route references to it would be noise. */
    private static boolean poolNamesKnown(ConfigReader reader) {
        return reader.problems().stream().noneMatch(p -> p.path().matches("pools(\\[\\d+](\\.name)?)?"));
    }

    /** Parses and validates only the shared part (pools, routes), as the admin API receives it. */
    public static SharedConfig parseShared(String text) {
        return parseShared(tree(text));
    }

    /** As {@link #parseShared(String)}, from an already parsed tree. */
    public static SharedConfig parseShared(JsonNode tree) {
        ConfigReader reader = new ConfigReader();
        if (!tree.isObject()) {
            throw new ConfigException(List.of(new ConfigProblem("", "expected a JSON object")));
        }
        SharedConfig shared = reader.read(tree, SharedConfig.class, "");
        List<ConfigProblem> problems = new ArrayList<>();
        for (ConfigProblem p : reader.problems()) {
            problems.add(NODE_LOCAL_KEYS.contains(p.path()) ? new ConfigProblem(p.path(),
                    "is node-local (set in each node's file); the shared configuration holds only pools and routes")
                    : p);
        }
        if (shared != null) {
            problems.addAll(followUps(reader.problems(), ConfigValidator.validateShared(shared, poolNamesKnown(reader))));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return shared;
    }

    /** Reads one element ({@code PoolConfig}, {@code RouteConfig}, …) from a tree, reporting shape problems. */
    public static <T> T parseElement(JsonNode tree, Class<T> type) {
        ConfigReader reader = new ConfigReader();
        T value = reader.read(tree, type, "");
        if (!reader.problems().isEmpty()) {
            throw new ConfigException(reader.problems());
        }
        if (value == null) {
            throw new ConfigException(List.of(new ConfigProblem("", "expected a JSON object")));
        }
        return value;
    }

    /** Parses YAML or JSON text into a tree; a syntax error is a problem with its line and column. */
    public static JsonNode tree(String text) {
        boolean json = text.stripLeading().startsWith("{");
        try {
            JsonNode node = (json ? JSON : YAML).readTree(text);
            return node == null ? MissingNode.getInstance() : node;
        } catch (JsonProcessingException e) {
            if (json) {
                // `{ name: api }` is YAML flow style, not broken JSON; only if YAML fails too is it an error,
                // and then the JSON parser's message is the one that fits what was meant.
                try {
                    JsonNode node = YAML.readTree(text);
                    return node == null ? MissingNode.getInstance() : node;
                } catch (JsonProcessingException ignored) {
                    // fall through to the JSON problem
                }
            }
            throw new ConfigException(List.of(syntaxProblem(e)));
        }
    }

    private static ConfigProblem syntaxProblem(JsonProcessingException e) {
        String where = e.getLocation() == null ? ""
                : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
            // SnakeYAML's own message spans several lines with source excerpts; keep the sentence and the marks.
            Mark at = y.getProblemMark();
            String message = "line " + (at.getLine() + 1) + ", column " + (at.getColumn() + 1) + ": " + y.getProblem();
            if (y.getContext() != null && y.getContextMark() != null) {
                message += " (" + y.getContext() + " at line " + (y.getContextMark().getLine() + 1) + ", column "
                        + (y.getContextMark().getColumn() + 1) + ")";
            }
            return new ConfigProblem("", message);
        }
        String original = String.valueOf(e.getOriginalMessage());
        Matcher dup = DUPLICATE.matcher(original);
        if (dup.matches()) {
            String path = e.getProcessor() instanceof JsonParser p ? path(p.getParsingContext()) : dup.group(1);
            return new ConfigProblem(path, where + "duplicate key \"" + dup.group(1) + "\"");
        }
        if (original.startsWith("Trailing token")) {
            return new ConfigProblem("", where + "more than one document; a configuration is a single "
                    + "YAML document or JSON object");
        }
        return new ConfigProblem("", where + original);
    }

    /** The config path ({@code listeners[0].port}) of a parser position. */
    private static String path(JsonStreamContext ctx) {
        if (ctx == null || ctx.inRoot()) {
            return "";
        }
        String parent = path(ctx.getParent());
        if (ctx.inArray()) {
            return parent + "[" + Math.max(0, ctx.getCurrentIndex()) + "]";
        }
        return ctx.getCurrentName() == null ? parent : ConfigReader.join(parent, ctx.getCurrentName());
    }
}
