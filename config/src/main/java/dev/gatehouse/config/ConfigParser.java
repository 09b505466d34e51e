package dev.gatehouse.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads configuration text (YAML, or JSON, which is YAML too) into records and validates it. Pure: no file
 * watching, no clock; {@link #readFile(Path)} is the only I/O and it only reads.
 */
public final class ConfigParser {

    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

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
            problems.addAll(ConfigValidator.validate(config));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** Parses and validates only the shared part (pools, routes, cache), as the admin API receives it. */
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
        List<ConfigProblem> problems = new ArrayList<>(reader.problems());
        if (shared != null) {
            problems.addAll(ConfigValidator.validateShared(shared));
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
        String trimmed = text.stripLeading();
        ObjectMapper mapper = trimmed.startsWith("{") ? JSON : YAML;
        try {
            JsonNode node = mapper.readTree(text);
            return node == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
            throw new ConfigException(List.of(new ConfigProblem("", where + e.getOriginalMessage())));
        }
    }
}
