package dev.gatehouse.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request/response filter on a route, selected by its {@code type} key. Filters run in declared order on
 * the way in and in reverse order on the way out.
 */
public sealed interface FilterConfig {

    /** The {@code type} value of each filter, in the order the documentation lists them. */
    static Map<String, Class<? extends FilterConfig>> types() {
        Map<String, Class<? extends FilterConfig>> m = new LinkedHashMap<>();
        m.put("ip-filter", IpFilter.class);
        m.put("headers", Headers.class);
        m.put("cors", Cors.class);
        m.put("api-key", ApiKey.class);
        m.put("basic", Basic.class);
        m.put("jwt", Jwt.class);
        m.put("rate-limit", RateLimit.class);
        return m;
    }

    /** The {@code type} name of this filter. */
    default String type() {
        return types().entrySet().stream().filter(e -> e.getValue() == getClass()).findFirst().orElseThrow().getKey();
    }

    /** Allow or deny by client address (CIDR). Deny wins; an allow list present means everything else is denied. */
    record IpFilter(List<String> allow, List<String> deny) implements FilterConfig {
        public IpFilter {
            allow = allow == null ? List.of() : List.copyOf(allow);
            deny = deny == null ? List.of() : List.copyOf(deny);
        }
    }

    /** Set or remove headers on the request to the backend and on the response to the client. */
    record Headers(HeaderRules request, HeaderRules response) implements FilterConfig {
        public Headers {
            request = request == null ? HeaderRules.NONE : request;
            response = response == null ? HeaderRules.NONE : response;
        }
    }

    /** Header edits: {@code set} replaces (or adds) values, {@code remove} drops headers. */
    record HeaderRules(Map<String, String> set, List<String> remove) {
        public static final HeaderRules NONE = new HeaderRules(null, null);

        public HeaderRules {
            set = set == null ? Map.of() : Map.copyOf(set);
            remove = remove == null ? List.of() : List.copyOf(remove);
        }
    }

    /** Cross-origin resource sharing: answers preflights and decorates responses for allowed origins. */
    record Cors(List<String> origins, List<String> methods, List<String> headers, Boolean credentials,
                java.time.Duration maxAge) implements FilterConfig {
        public Cors {
            origins = origins == null ? List.of() : List.copyOf(origins);
            methods = methods == null ? List.of("GET", "HEAD", "POST") : List.copyOf(methods);
            headers = headers == null ? List.of() : List.copyOf(headers);
            credentials = credentials == null ? Boolean.FALSE : credentials;
            maxAge = maxAge == null ? java.time.Duration.ofMinutes(10) : maxAge;
        }
    }

    /** A static API key in a header, stored as its SHA-256. */
    record ApiKey(String header, List<NamedKey> keys) implements FilterConfig {
        public ApiKey {
            header = header == null ? "X-Api-Key" : header;
            keys = keys == null ? List.of() : List.copyOf(keys);
        }
    }

    /** One accepted API key: a name for logs and the hex SHA-256 of the key. */
    record NamedKey(String name, String sha256) {
    }

    /** HTTP Basic authentication against bcrypt hashes. */
    record Basic(String realm, List<BasicUser> users) implements FilterConfig {
        public Basic {
            realm = realm == null ? "gatehouse" : realm;
            users = users == null ? List.of() : List.copyOf(users);
        }
    }

    /** One Basic user with a bcrypt hash. */
    record BasicUser(String name, String bcrypt) {
    }

    /**
     * Bearer JWT verified against a JWKS.
     *
     * @param jwks a file (re-read when it changes) or an {@code https://} URL (fetched, cached, refreshed every
     *             5 minutes and on an unknown {@code kid} at most every 30 s); {@code http://} only to a loopback host
     */
    record Jwt(String issuer, String audience, String jwks, java.time.Duration clockSkew) implements FilterConfig {
        public Jwt {
            clockSkew = clockSkew == null ? java.time.Duration.ofSeconds(30) : clockSkew;
        }
    }

    /**
     * Token bucket per key.
     *
     * @param key   {@code client-ip}, {@code header:NAME} or {@code jwt:CLAIM}
     * @param scope {@code node} (each node counts alone) or {@code cluster} (shared counters)
     * @param maxKeys at most this many keys are tracked per node; {@code null} for the default, 100000
     */
    record RateLimit(String key, Rate rate, Integer burst, String scope, Integer maxKeys) implements FilterConfig {
        public static final int DEFAULT_MAX_KEYS = 100_000;

        public RateLimit {
            key = key == null ? "client-ip" : key;
            scope = scope == null ? "node" : scope;
        }

        public RateLimit(String key, Rate rate, Integer burst, String scope) {
            this(key, rate, burst, scope, null);
        }

        /** {@link #maxKeys} with its default applied. */
        public int keyLimit() {
            return maxKeys == null ? DEFAULT_MAX_KEYS : maxKeys;
        }
    }
}
