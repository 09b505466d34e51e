package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Bearer JWT authentication: the signature is verified against a JWKS file (RS256/384/512, ES256/384/512), and the
 * issuer, audience, expiry and not-before are checked with a clock skew. Verified claims are kept on the exchange
 * for later filters (a rate limit keyed by {@code jwt:sub}). Failures answer 401 with a {@code WWW-Authenticate}
 * challenge and never reach the backend.
 */
final class JwtFilter implements ProxyFilter {

    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    private final String issuer;
    private final String audience;
    private final long skewSeconds;
    /** kid → key; a key without kid is stored under "". */
    private final Map<String, PublicKey> keys;

    JwtFilter(FilterConfig.Jwt config) {
        this.issuer = config.issuer();
        this.audience = config.audience();
        this.skewSeconds = config.clockSkew().toSeconds();
        this.keys = loadJwks(Path.of(config.jwks()));
    }

    static Map<String, PublicKey> loadJwks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read JWKS: " + e.getMessage(), e);
        }
        Map<String, PublicKey> out = new HashMap<>();
        try {
            JsonArray list = new JsonObject(text).getJsonArray("keys");
            for (int i = 0; i < list.size(); i++) {
                JsonObject jwk = list.getJsonObject(i);
                if (jwk.getString("use") != null && !"sig".equals(jwk.getString("use"))) {
                    continue;
                }
                out.put(jwk.getString("kid", ""), publicKey(jwk));
            }
        } catch (io.vertx.core.json.DecodeException e) {
            // The JSON parser's message quotes the text around the error: a named file's content is never echoed.
            throw new IllegalArgumentException(file + ": not a usable JWKS: not valid JSON", e);
        } catch (RuntimeException | GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": not a usable JWKS: expected {\"keys\": [JWK, ...]} with RSA"
                    + " or EC (P-256, P-384, P-521) keys (" + e.getClass().getSimpleName() + ")", e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": the JWKS holds no signing key");
        }
        return Map.copyOf(out);
    }

    private static PublicKey publicKey(JsonObject jwk) throws GeneralSecurityException {
        String kty = jwk.getString("kty");
        if ("RSA".equals(kty)) {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                    new BigInteger(1, B64.decode(jwk.getString("n"))), new BigInteger(1, B64.decode(jwk.getString("e")))));
        }
        if ("EC".equals(kty)) {
            String curve = switch (jwk.getString("crv")) {
                case "P-256" -> "secp256r1";
                case "P-384" -> "secp384r1";
                case "P-521" -> "secp521r1";
                default -> throw new GeneralSecurityException("unsupported curve " + jwk.getString("crv"));
            };
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec(curve));
            ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
            ECPoint point = new ECPoint(new BigInteger(1, B64.decode(jwk.getString("x"))),
                    new BigInteger(1, B64.decode(jwk.getString("y"))));
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
        }
        throw new GeneralSecurityException("unsupported key type " + kty);
    }

    @Override
    public Rejection onRequest(Exchange exchange) {
        String auth = exchange.request.getHeader("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return challenge(null);
        }
        String token = auth.substring(7).trim();
        JsonObject claims = verify(token, System.currentTimeMillis() / 1000);
        if (claims == null) {
            return challenge("invalid_token");
        }
        exchange.jwtClaims = claims;
        return null;
    }

    /** The claims of a valid token, or {@code null}. */
    JsonObject verify(String token, long nowSeconds) {
        int d1 = token.indexOf('.');
        int d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
        if (d1 <= 0 || d2 <= d1 || token.indexOf('.', d2 + 1) >= 0) {
            return null;
        }
        try {
            JsonObject header = new JsonObject(new String(B64.decode(token.substring(0, d1)), StandardCharsets.UTF_8));
            String alg = header.getString("alg", "");
            String jca = switch (alg) {
                case "RS256" -> "SHA256withRSA";
                case "RS384" -> "SHA384withRSA";
                case "RS512" -> "SHA512withRSA";
                case "ES256" -> "SHA256withECDSA";
                case "ES384" -> "SHA384withECDSA";
                case "ES512" -> "SHA512withECDSA";
                default -> null; // "none" and HMAC are refused: a shared secret has no place in a JWKS of public keys
            };
            if (jca == null) {
                return null;
            }
            PublicKey key = keys.get(header.getString("kid", ""));
            if (key == null && keys.size() == 1 && header.getString("kid") == null) {
                key = keys.values().iterator().next();
            }
            if (key == null || (alg.startsWith("RS") != "RSA".equals(key.getAlgorithm()))) {
                return null;
            }
            byte[] sig = B64.decode(token.substring(d2 + 1));
            if (alg.startsWith("ES")) {
                sig = joseToDer(sig);
            }
            Signature verifier = Signature.getInstance(jca);
            verifier.initVerify(key);
            verifier.update(token.substring(0, d2).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(sig)) {
                return null;
            }
            JsonObject claims = new JsonObject(new String(B64.decode(token.substring(d1 + 1, d2)),
                    StandardCharsets.UTF_8));
            return claimsValid(claims, nowSeconds) ? claims : null;
        } catch (RuntimeException | GeneralSecurityException e) {
            return null;
        }
    }

    private boolean claimsValid(JsonObject claims, long now) {
        if (issuer != null && !issuer.equals(claims.getString("iss"))) {
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
        Long exp = claims.getLong("exp");
        if (exp == null || now > exp + skewSeconds) {
            return false;
        }
        Long nbf = claims.getLong("nbf");
        return nbf == null || now + skewSeconds >= nbf;
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
