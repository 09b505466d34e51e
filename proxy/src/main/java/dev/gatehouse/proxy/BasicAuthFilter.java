package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP Basic authentication against bcrypt hashes. bcrypt is slow on purpose (milliseconds), so the check runs on
 * a worker thread, never an event loop; a credential verified once is remembered (by its SHA-256, not in clear)
 * for a few minutes so that keep-alive clients do not pay bcrypt on every request. The Authorization header is
 * removed before the request goes upstream: backends never see the password.
 */
final class BasicAuthFilter implements ProxyFilter {

    private static final long REMEMBER_NANOS = 5L * 60 * 1_000_000_000;
    private static final int REMEMBER_MAX = 10_000;

    private final String challenge;
    private final Map<String, String> hashes;
    /** SHA-256(user:password) → when the verification expires; access-ordered for LRU eviction. */
    private final Map<String, Long> verified = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBER_MAX;
        }
    };

    BasicAuthFilter(FilterConfig.Basic config) {
        this.challenge = "Basic realm=\"" + config.realm().replace("\"", "") + "\", charset=\"UTF-8\"";
        Map<String, String> h = new java.util.HashMap<>();
        config.users().forEach(u -> h.put(u.name(), u.bcrypt()));
        this.hashes = Map.copyOf(h);
    }

    @Override
    public boolean async() {
        return true;
    }

    @Override
    public Future<Rejection> onRequestAsync(Exchange exchange) {
        String auth = exchange.request.getHeader("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Future.succeededFuture(unauthorized());
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(unauthorized());
        }
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? null : decoded.substring(0, colon);
        String hash = user == null ? null : hashes.get(user);
        if (hash == null) {
            return Future.succeededFuture(unauthorized());
        }
        String key = fingerprint(decoded);
        long now = System.nanoTime();
        synchronized (verified) {
            Long until = verified.get(key);
            if (until != null && until - now > 0) {
                return Future.succeededFuture(null);
            }
        }
        char[] password = decoded.substring(colon + 1).toCharArray();
        return exchange.vertx().executeBlocking(() -> OpenBSDBCrypt.checkPassword(hash, password), false)
                .map(ok -> {
                    if (!ok) {
                        return unauthorized();
                    }
                    synchronized (verified) {
                        verified.put(key, System.nanoTime() + REMEMBER_NANOS);
                    }
                    return null;
                });
    }

    @Override
    public void onUpstreamRequest(Exchange exchange, MultiMap headers) {
        headers.remove("Authorization");
    }

    private Rejection unauthorized() {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("WWW-Authenticate", challenge);
        return new Rejection(401, "unauthorized\n", h);
    }

    private static String fingerprint(String credentials) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(credentials.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
