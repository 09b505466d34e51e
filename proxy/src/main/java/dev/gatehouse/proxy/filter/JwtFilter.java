package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;

/**
 * Bearer JWT authentication (RFC 7519 over RFC 7515 compact JWS): the signature is verified against a JWKS (file or
 * URL, see {@link JwksSource}) with RS256/384/512 or ES256/384/512, and the issuer, audience, expiry and not-before
 * are checked with a clock skew. Verified claims are kept on the exchange for later filters (a rate limit keyed by
 * {@code jwt:sub}). Failures answer 401 with a {@code WWW-Authenticate} challenge and never reach the backend.
 *
 * <p>What is refused, whatever the signature: {@code alg: none} and HMAC algorithms (a JWKS holds public keys, and
 * an RSA key's bytes must never serve as an HMAC secret); an {@code alg} that does not fit the key (its {@code kty},
 * its {@code alg} when the JWK names one, its curve); a {@code crit} header parameter (RFC 7515 §4.1.11: this
 * verifier understands no extension, so any critical one makes the token invalid); keys offered by the token itself
 * ({@code jwk}, {@code jku}, {@code x5u} are ignored, only the configured JWKS counts); malformed base64url or JSON;
 * a missing or non-numeric {@code exp}.
 */
public final class JwtFilter implements ProxyFilter {

    private static final Base64.Decoder B64 = Base64.getUrlDecoder();
    /** Marks a token whose key is not in the set (a rotation the source may not have seen yet). */
    private static final JsonObject UNKNOWN_KEY = new JsonObject();

    /** Verified tokens kept, at most this many: past it the cache starts over. */
    static final int MAX_VERIFIED = 4096;

    /**
     * Tokens whose signature was verified, with their claims and the key set that verified them (as Envoy's
     * jwt_authn caches verified tokens): a token seen again costs a map lookup and the time checks instead of a
     * signature verification. Only valid tokens get in, so a client cannot fill it with garbage; a key set reloaded
     * (rotation, a key withdrawn) voids every entry of the old one; expiry and not-before are checked at each use.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Verified> verified =
            new java.util.concurrent.ConcurrentHashMap<>();

    private record Verified(JsonObject claims, Map<String, JwksSource.Jwk> keySet) {
    }

    private final String issuer;
    private final String audience;
    private final long skewSeconds;
    final JwksSource keys;

    public JwtFilter(FilterConfig.Jwt config) {
        this(config, new JwksSource(config.jwks()));
    }

    public JwtFilter(FilterConfig.Jwt config, JwksSource keys) {
        this.issuer = config.issuer();
        this.audience = config.audience();
        this.skewSeconds = config.clockSkew().toSeconds();
        this.keys = keys;
    }

    /** With keys from a URL a token naming an unknown key may wait for a refresh, off the event loop's turn. */
    @Override
    public boolean async() {
        return keys.remote();
    }

    @Override
    public Rejection onRequest(RequestView exchange) {
        String token = bearer(exchange);
        if (token == null) {
            return challenge(null);
        }
        return accept(exchange, check(token, System.currentTimeMillis() / 1000));
    }

    @Override
    public Future<Rejection> onRequestAsync(RequestView exchange) {
        String token = bearer(exchange);
        if (token == null) {
            return Future.succeededFuture(challenge(null));
        }
        JsonObject claims = check(token, System.currentTimeMillis() / 1000);
        if (claims != UNKNOWN_KEY) {
            return Future.succeededFuture(accept(exchange, claims));
        }
        Vertx vertx = exchange.vertx();
        Future<Void> refreshed = keys.refreshForUnknownKey(vertx);
        if (refreshed == null) {
            return Future.succeededFuture(challenge("invalid_token"));
        }
        // The fetch may have been started elsewhere: resume on this exchange's event loop.
        Context context = vertx.getOrCreateContext();
        Promise<Rejection> answer = Promise.promise();
        refreshed.onComplete(ar -> context.runOnContext(v ->
                answer.complete(accept(exchange, check(token, System.currentTimeMillis() / 1000)))));
        return answer.future();
    }

    @Override
    public void upkeep(Vertx vertx) {
        keys.upkeep(vertx);
        long now = System.currentTimeMillis() / 1000;
        verified.values().removeIf(v -> !claimsValid(v.claims, now));
    }

    @Override
    public void close() {
        keys.close();
    }

    private static String bearer(RequestView exchange) {
        String auth = exchange.header("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return auth.substring(7).trim();
    }

    private static Rejection accept(RequestView exchange, JsonObject claims) {
        if (claims == null || claims == UNKNOWN_KEY) {
            return challenge("invalid_token");
        }
        exchange.claims(claims);
        return null;
    }

    /** The claims of a valid token, or {@code null}. */
    JsonObject verify(String token, long nowSeconds) {
        JsonObject claims = check(token, nowSeconds);
        return claims == UNKNOWN_KEY ? null : claims;
    }

    /** The claims of a valid token, {@link #UNKNOWN_KEY} when its key is not in the set, or {@code null}. */
    private JsonObject check(String token, long nowSeconds) {
        Map<String, JwksSource.Jwk> set = keys.keys();
        Verified seen = verified.get(token);
        if (seen != null) {
            if (seen.keySet == set && claimsValid(seen.claims, nowSeconds)) {
                return seen.claims;
            }
            verified.remove(token);
        }
        JsonObject claims = verifySignature(token, nowSeconds, set);
        if (claims != null && claims != UNKNOWN_KEY) {
            if (verified.size() >= MAX_VERIFIED) {
                verified.clear();
            }
            verified.put(token, new Verified(claims, set));
        }
        return claims;
    }

    /** How many verified tokens are kept (for tests). */
    int verifiedTokens() {
        return verified.size();
    }

    private JsonObject verifySignature(String token, long nowSeconds, Map<String, JwksSource.Jwk> set) {
        int d1 = token.indexOf('.');
        int d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
        if (d1 <= 0 || d2 <= d1 || d2 == token.length() - 1 || token.indexOf('.', d2 + 1) >= 0) {
            return null;
        }
        try {
            JsonObject header = new JsonObject(new String(B64.decode(token.substring(0, d1)), StandardCharsets.UTF_8));
            if (header.containsKey("crit")) {
                return null; // RFC 7515 §4.1.11: no extension is understood here, so none may be critical
            }
            Object algValue = header.getValue("alg");
            Object kidValue = header.getValue("kid");
            if (!(algValue instanceof String alg) || (kidValue != null && !(kidValue instanceof String))) {
                return null;
            }
            String jca;
            String curve = null;
            int sigBytes = 0;
            switch (alg) {
                case "RS256" -> jca = "SHA256withRSA";
                case "RS384" -> jca = "SHA384withRSA";
                case "RS512" -> jca = "SHA512withRSA";
                case "ES256" -> {
                    jca = "SHA256withECDSA";
                    curve = "P-256";
                    sigBytes = 64;
                }
                case "ES384" -> {
                    jca = "SHA384withECDSA";
                    curve = "P-384";
                    sigBytes = 96;
                }
                case "ES512" -> {
                    jca = "SHA512withECDSA";
                    curve = "P-521";
                    sigBytes = 132;
                }
                default -> {
                    return null; // "none" and HMAC are refused: a shared secret has no place in a JWKS of public keys
                }
            }
            String kid = (String) kidValue;
            JwksSource.Jwk jwk = set.get(kid == null ? "" : kid);
            if (jwk == null && kid == null && set.size() == 1) {
                jwk = set.values().iterator().next();
            }
            if (jwk == null) {
                return kid != null || set.isEmpty() ? UNKNOWN_KEY : null;
            }
            boolean fits = curve == null ? "RSA".equals(jwk.kty()) : "EC".equals(jwk.kty()) && curve.equals(jwk.crv());
            if (!fits || (jwk.alg() != null && !jwk.alg().equals(alg))) {
                return null;
            }
            byte[] sig = B64.decode(token.substring(d2 + 1));
            if (curve != null) {
                if (sig.length != sigBytes) {
                    return null;
                }
                sig = joseToDer(sig);
            }
            Signature verifier = Signature.getInstance(jca);
            verifier.initVerify(jwk.key());
            verifier.update(token.substring(0, d2).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(sig)) {
                return null;
            }
            JsonObject claims = new JsonObject(new String(B64.decode(token.substring(d1 + 1, d2)),
                    StandardCharsets.UTF_8));
            return claimsValid(claims, nowSeconds) ? claims : null;
        } catch (RuntimeException | GeneralSecurityException e) {
            return null; // malformed base64url, JSON, key or signature: just invalid
        }
    }

    private boolean claimsValid(JsonObject claims, long now) {
        if (issuer != null && !issuer.equals(claims.getValue("iss"))) {
            return false;
        }
        if (audience != null) {
            Object aud = claims.getValue("aud");
            boolean ok = aud instanceof String s ? s.equals(audience)
                    : aud instanceof JsonArray a && a.contains(audience);
            if (!ok) {
                return false;
            }
        }
        if (!(claims.getValue("exp") instanceof Number exp) || now > exp.longValue() + skewSeconds) {
            return false;
        }
        Object nbf = claims.getValue("nbf");
        if (nbf == null) {
            return true;
        }
        return nbf instanceof Number n && now + skewSeconds >= n.longValue();
    }

    /** JWS ECDSA signatures are R || S; the JDK wants DER. */
    static byte[] joseToDer(byte[] rs) throws GeneralSecurityException {
        if (rs.length % 2 != 0 || rs.length == 0) {
            throw new GeneralSecurityException("bad ECDSA signature length");
        }
        int n = rs.length / 2;
        byte[] r = derInteger(new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, n)).toByteArray());
        byte[] s = derInteger(new BigInteger(1, java.util.Arrays.copyOfRange(rs, n, rs.length)).toByteArray());
        int len = r.length + s.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x30);
        if (len >= 128) {
            out.write(0x81);
        }
        out.write(len);
        out.writeBytes(r);
        out.writeBytes(s);
        return out.toByteArray();
    }

    private static byte[] derInteger(byte[] value) {
        byte[] out = new byte[value.length + 2];
        out[0] = 0x02;
        out[1] = (byte) value.length;
        System.arraycopy(value, 0, out, 2, value.length);
        return out;
    }

    private static Rejection challenge(String error) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        h.set("WWW-Authenticate", error == null ? "Bearer realm=\"gatehouse\""
                : "Bearer realm=\"gatehouse\", error=\"" + error + "\"");
        return new Rejection(401, "unauthorized\n", h);
    }
}
