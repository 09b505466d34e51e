package dev.gatehouse.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;

/** JSON in and out of the admin API: strict parsing of request bodies, encoding of replies. */
final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> YAML_TYPES = Set.of("application/yaml", "application/x-yaml", "text/yaml",
            "text/x-yaml");

    private Json() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    static Buffer encode(JsonNode node) {
        try {
            return Buffer.buffer(MAPPER.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
            throw malformed(where + e.getOriginalMessage());
        }
    }

    /** The request body as a JSON object; 400 when it is empty, malformed or not an object. */
    static ObjectNode body(RoutingContext ctx) {
        JsonNode node = parse(requiredText(ctx));
        if (!(node instanceof ObjectNode o)) {
            throw Problem.badRequest("", "expected a JSON object").exception();
        }
        return o;
    }

    /**
     * A configuration document from the request body: JSON, or YAML when the request says so. Syntax errors are
     * 400 with their line and column.
     */
    static JsonNode configBody(RoutingContext ctx) {
        String text = requiredText(ctx);
        if (isYaml(ctx.request().getHeader("Content-Type"))) {
            try {
                return ConfigParser.tree(text);
            } catch (ConfigException e) {
                throw malformed(e.getMessage());
            }
        }
        return parse(text);
    }

    static boolean isJson(String contentType) {
        String media = mediaType(contentType);
        return media.equals("application/json") || (media.startsWith("application/") && media.endsWith("+json"));
    }

    static boolean isYaml(String contentType) {
        return YAML_TYPES.contains(mediaType(contentType));
    }

    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static String requiredText(RoutingContext ctx) {
        if (ctx.body() == null || ctx.body().isEmpty()) {
            throw Problem.badRequest("a JSON body is required").exception();
        }
        return ctx.body().asString("UTF-8");
    }

    private static ProblemException malformed(String message) {
        return new Problem(400, "malformed-json", "The request body is not valid JSON", message,
                java.util.List.of(new dev.gatehouse.config.ConfigProblem("", message)), java.util.Map.of())
                .exception();
    }
}
