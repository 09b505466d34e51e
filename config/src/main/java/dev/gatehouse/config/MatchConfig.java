package dev.gatehouse.config;

import java.util.List;
import java.util.Map;

/**
 * What a request must look like to take a route. Every present condition must hold.
 *
 * @param host    exact names or {@code *.example.com} wildcards (one or a list), compared without the port
 * @param methods empty = any method
 * @param headers each header must be present with exactly this value ({@code *} = present with any value)
 */
public record MatchConfig(
        List<String> host,
        String pathPrefix,
        String pathExact,
        String pathRegex,
        List<String> methods,
        Map<String, String> headers) {

    public static final MatchConfig ANY = new MatchConfig(null, null, null, null, null, null);

    public MatchConfig {
        host = host == null ? List.of() : List.copyOf(host);
        methods = methods == null ? List.of() : List.copyOf(methods);
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
}
