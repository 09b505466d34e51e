package dev.gatehouse.proxy.filter;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The keys of a JWT filter, and where they come from: a JWKS file, read at construction and re-read when its content
 * changes (polled by the upkeep timer through Vert.x's asynchronous file system, off the event loop), or an
 * {@code http(s)://} URL, fetched with the Vert.x HTTP client, cached, refreshed every {@value #REFRESH_MINUTES}
 * minutes (every {@value #MIN_INTERVAL_SECONDS} s after a failure) and on demand when a token names an unknown
 * {@code kid}: on-demand fetches at most once per {@value #MIN_INTERVAL_SECONDS} seconds, so tokens with made-up
 * kids cannot make the proxy hammer the issuer (a request that finds a fetch in flight waits for it). A reload that
 * fails (unreachable, not 200, larger than 1 MiB, not a usable JWKS) keeps the last good set.
 */
final class JwksSource {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.jwt");

    static final int REFRESH_MINUTES = 5;
    static final int MIN_INTERVAL_SECONDS = 30;
    static final long REFRESH_NANOS = REFRESH_MINUTES * 60L * 1_000_000_000L;
    static final long MIN_INTERVAL_NANOS = MIN_INTERVAL_SECONDS * 1_000_000_000L;
    static final int MAX_BYTES = 1024 * 1024;
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    /** One verification key with what the JWK says it may be used for. */
    record Jwk(PublicKey key, String kty, String alg, String crv) {
    }

    private final String location;
    private final boolean remote;
    private final LongSupplier clock;
    private volatile Map<String, Jwk> keys;

    // File: touched only by the upkeep context.
    private Buffer lastContent;
    private boolean reading;

    // URL: guarded by this.
    private HttpClientAgent client;
    private Future<Void> inFlight;
    private boolean attempted;
    private boolean lastOk;
    private long lastAttempt;
    /** Whether a fetch for an unknown kid ran, and when: those are the ones rate-limited. */
    private boolean onDemand;
    private long lastOnDemand;
    private boolean closed;
    /** Fetches started, for tests and logs. */
    final AtomicInteger fetches = new AtomicInteger();

    JwksSource(String location) {
        this(location, System::nanoTime);
    }

    JwksSource(String location, LongSupplier nanoClock) {
        this.location = location;
        this.clock = nanoClock;
        String lower = location.toLowerCase(Locale.ROOT);
        this.remote = lower.startsWith("https://") || lower.startsWith("http://");
        if (remote) {
            this.keys = Map.of();
        } else {
            Path file = Path.of(location);
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot read JWKS: " + e.getMessage(), e);
            }
            this.keys = parse(new String(bytes, StandardCharsets.UTF_8), location);
            this.lastContent = Buffer.buffer(bytes);
        }
    }

    boolean remote() {
        return remote;
    }

    Map<String, Jwk> keys() {
        return keys;
    }

    /**
     * For a token whose key is not in the set: fetches the URL again unless an on-demand fetch started less than
     * {@value #MIN_INTERVAL_SECONDS} s ago. Joins a fetch in flight.
     *
     * @return completes (never fails) once the fetch is over, or {@code null} when no fetch may run now
     */
    Future<Void> refreshForUnknownKey(Vertx vertx) {
        synchronized (this) {
            if (!remote || closed) {
                return null;
            }
            if (inFlight != null) {
                return inFlight;
            }
            long now = clock.getAsLong();
            if (onDemand && now - lastOnDemand < MIN_INTERVAL_NANOS) {
                return null;
            }
            onDemand = true;
            lastOnDemand = now;
        }
        return fetch(vertx);
    }

    /** Periodic: a file is re-read when changed; a URL is fetched when due (or retried after a failure). */
    void upkeep(Vertx vertx) {
        if (!remote) {
            pollFile(vertx);
            return;
        }
        synchronized (this) {
            if (closed || inFlight != null || (attempted
                    && clock.getAsLong() - lastAttempt < (lastOk ? REFRESH_NANOS : MIN_INTERVAL_NANOS))) {
                return;
            }
        }
        fetch(vertx);
    }

    private void pollFile(Vertx vertx) {
        if (reading) {
            return;
        }
        reading = true;
        vertx.fileSystem().readFile(location).onComplete(ar -> {
            reading = false;
            if (ar.failed()) {
                if (lastContent != null) {
                    LOG.warn("JWKS {}: cannot read ({}); keeping the last good keys", location,
                            ar.cause().getMessage());
                    lastContent = null; // log once per failure, and reload whatever comes back
                }
                return;
            }
            Buffer content = ar.result();
            if (content.equals(lastContent)) {
                return;
            }
            lastContent = content;
            try {
                keys = parse(content.toString(StandardCharsets.UTF_8), location);
                LOG.info("JWKS {}: reloaded, {} keys", location, keys.size());
            } catch (IllegalArgumentException e) {
                LOG.warn("JWKS {}: {}; keeping the last good keys", location, e.getMessage());
            }
        });
    }

    private Future<Void> fetch(Vertx vertx) {
        Promise<Void> done = Promise.promise();
        HttpClientAgent http;
        synchronized (this) {
            if (closed) {
                return Future.succeededFuture();
            }
            if (inFlight != null) {
                return inFlight;
            }
            if (client == null) {
                client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000)
                        .setIdleTimeout(30).setMaxRedirects(0));
            }
            http = client;
            attempted = true;
            lastAttempt = clock.getAsLong();
            inFlight = done.future();
        }
        fetches.incrementAndGet();
        // Started on a Vert.x context, so the body handlers below are set before the response can be read: from a
        // plain thread the response could end before the continuation attached them (an IllegalStateException).
        vertx.getOrCreateContext().runOnContext(v -> request(http, done));
        return done.future();
    }

    private void request(HttpClientAgent http, Promise<Void> done) {
        http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(location).setTimeout(10_000)
                        .putHeader("Accept", "application/json"))
                .compose(req -> req.send())
                .compose(JwksSource::body)
                .onComplete(ar -> {
                    boolean ok = false;
                    if (ar.failed()) {
                        // The exception's class too: a closed connection's message is null.
                        LOG.warn("JWKS {}: fetch failed ({}); keeping the last good keys", location,
                                ar.cause().getMessage() != null ? ar.cause().getMessage() : ar.cause().toString());
                    } else {
                        try {
                            keys = parse(ar.result().toString(StandardCharsets.UTF_8), location);
                            ok = true;
                            LOG.info("JWKS {}: fetched, {} keys", location, keys.size());
                        } catch (IllegalArgumentException e) {
                            LOG.warn("JWKS {}: {}; keeping the last good keys", location, e.getMessage());
                        }
                    }
                    synchronized (this) {
                        lastOk = ok;
                        inFlight = null;
                    }
                    done.complete();
                });
    }

    /** The body of a 200 answer, at most {@link #MAX_BYTES}. */
    private static Future<Buffer> body(HttpClientResponse resp) {
        if (resp.statusCode() != 200) {
            resp.request().reset();
            return Future.failedFuture("HTTP " + resp.statusCode());
        }
        Promise<Buffer> body = Promise.promise();
        Buffer acc = Buffer.buffer();
        resp.handler(b -> {
            if (acc.length() + b.length() > MAX_BYTES) {
                body.tryFail("larger than " + MAX_BYTES + " bytes");
                resp.request().reset();
            } else {
                acc.appendBuffer(b);
            }
        });
        resp.exceptionHandler(body::tryFail);
        resp.endHandler(v -> body.tryComplete(acc));
        return body.future();
    }

    void close() {
        HttpClientAgent c;
        synchronized (this) {
            closed = true;
            c = client;
            client = null;
        }
        if (c != null) {
            c.close();
        }
    }

    /** The signing keys of a JWKS document by kid ({@code ""} for a key without one). */
    static Map<String, Jwk> parse(String text, String where) {
        Map<String, Jwk> out = new HashMap<>();
        try {
            JsonArray list = new JsonObject(text).getJsonArray("keys");
            for (int i = 0; i < list.size(); i++) {
                JsonObject jwk = list.getJsonObject(i);
                if (jwk.getString("use") != null && !"sig".equals(jwk.getString("use"))) {
                    continue;
                }
                String kty = jwk.getString("kty");
                if (!"RSA".equals(kty) && !"EC".equals(kty)) {
                    continue; // symmetric ("oct") and other key types are never trusted for verification
                }
                out.put(jwk.getString("kid", ""), new Jwk(publicKey(jwk), kty, jwk.getString("alg"),
                        jwk.getString("crv")));
            }
        } catch (io.vertx.core.json.DecodeException e) {
            // The JSON parser's message quotes the text around the error: a named file's content is never echoed.
            throw new IllegalArgumentException(where + ": not a usable JWKS: not valid JSON", e);
        } catch (RuntimeException | GeneralSecurityException e) {
            throw new IllegalArgumentException(where + ": not a usable JWKS: expected {\"keys\": [JWK, ...]} with RSA"
                    + " or EC (P-256, P-384, P-521) keys (" + e.getClass().getSimpleName() + ")", e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + ": the JWKS holds no signing key");
        }
        return Map.copyOf(out);
    }

    private static PublicKey publicKey(JsonObject jwk) throws GeneralSecurityException {
        String kty = jwk.getString("kty");
        if ("RSA".equals(kty)) {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                    new BigInteger(1, B64.decode(jwk.getString("n"))),
                    new BigInteger(1, B64.decode(jwk.getString("e")))));
        }
        String curve = switch (String.valueOf(jwk.getString("crv"))) {
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
}
