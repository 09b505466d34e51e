package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP Basic authentication against bcrypt hashes. The Authorization header is removed before the request goes
 * upstream: backends never see the password.
 *
 * <p>bcrypt is slow on purpose (milliseconds), so the check runs on the node's {@link BcryptPool}, never an event
 * loop; when that pool is saturated the request is shed with 503 and Retry-After rather than queued. A user name
 * that is not configured costs the same as a wrong password: its password is checked against a dummy hash of the
 * highest cost among the configured users, so the answer time does not tell which names exist (give every user the
 * same cost). bcrypt's final comparison is constant-time. A credential verified once is remembered for a few minutes
 * (by an HMAC under a key of this filter's, not in clear) so keep-alive clients do not pay bcrypt on every request;
 * the memory survives config changes that leave this filter unchanged and is dropped with any change to it.
 */
public final class BasicAuthFilter implements ProxyFilter {

    private static final long REMEMBER_NANOS = 5L * 60 * 1_000_000_000;
    private static final int REMEMBER_MAX = 10_000;

    private final String challenge;
    private final Map<String, String> hashes;
    /** Checked for unknown users: same cost as the configured hashes, matches no password. */
    public final String dummyHash;
    private final BcryptPool pool;
    private final SecretKeySpec fingerprintKey;
    /** HMAC(user:password) → when the verification expires; access-ordered for LRU eviction. Guarded by itself. */
    private final Map<String, Long> verified = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBER_MAX;
        }
    };
    /** bcrypt verifications run, for known and unknown users alike. */
    public final LongAdder bcryptRuns = new LongAdder();

    public BasicAuthFilter(FilterConfig.Basic config, BcryptPool pool) {
        this.challenge = "Basic realm=\"" + config.realm().replace("\"", "") + "\", charset=\"UTF-8\"";
        Map<String, String> h = new HashMap<>();
        int cost = 4;
        for (FilterConfig.BasicUser u : config.users()) {
            h.put(u.name(), u.bcrypt());
            cost = Math.max(cost, cost(u.bcrypt()));
        }
        this.hashes = Map.copyOf(h);
        this.pool = pool;
        SecureRandom random = new SecureRandom();
        this.dummyHash = dummyHash(random, cost);
        byte[] key = new byte[32];
        random.nextBytes(key);
        this.fingerprintKey = new SecretKeySpec(key, "HmacSHA256");
    }

    /** The cost of a {@code $2y$NN$...} hash; 10 when it cannot be read (the validator has checked the form). */
    public static int cost(String bcrypt) {
        int end = bcrypt.indexOf('$', 1);
        try {
            return Integer.parseInt(bcrypt.substring(end + 1, end + 3));
        } catch (RuntimeException e) {
            return 10;
        }
    }

    /** A well-formed hash of {@code cost} for a random password: made at cost 4 (cheap), then relabelled. */
    private static String dummyHash(SecureRandom random, int cost) {
        byte[] salt = new byte[16];
        byte[] password = new byte[24];
        random.nextBytes(salt);
        random.nextBytes(password);
        String cheap = OpenBSDBCrypt.generate("2y",
                Base64.getEncoder().encodeToString(password).toCharArray(), salt, 4);
        return cheap.replace("$04$", String.format("$%02d$", cost));
    }

    @Override
    public boolean async() {
        return true;
    }

    @Override
    public Future<Rejection> onRequestAsync(RequestView exchange) {
        return check(exchange.header("Authorization"), exchange.vertx().getOrCreateContext());
    }

    /**
     * Checks an Authorization header value; the future completes on {@code context} with {@code null} (let it
     * through) or the answer to send: 401, or 503 when the bcrypt pool is saturated.
     */
    Future<Rejection> check(String auth, Context context) {
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
        if (colon < 0) {
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
        String hash = hashes.get(decoded.substring(0, colon));
        boolean known = hash != null;
        String against = known ? hash : dummyHash;
        char[] password = decoded.substring(colon + 1).toCharArray();
        Future<Boolean> checked = pool.submit(context, () -> {
            bcryptRuns.increment();
            boolean match = OpenBSDBCrypt.checkPassword(against, password);
            java.util.Arrays.fill(password, '\0');
            return match && known;
        });
        if (checked == null) {
            return Future.succeededFuture(busy());
        }
        return checked.map(ok -> {
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
    public void onUpstreamRequest(RequestView exchange, MultiMap headers) {
        headers.remove("Authorization");
    }

    private Rejection unauthorized() {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("WWW-Authenticate", challenge);
        return new Rejection(401, "unauthorized\n", h);
    }

    private static Rejection busy() {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("Retry-After", "1");
        return new Rejection(503, "authentication busy, retry later\n", h);
    }

    private String fingerprint(String credentials) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(fingerprintKey);
            return Base64.getEncoder().encodeToString(mac.doFinal(credentials.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
