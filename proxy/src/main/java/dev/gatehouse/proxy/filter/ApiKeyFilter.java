package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import io.vertx.core.MultiMap;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A static API key in a header, checked against SHA-256 hashes in constant time. The key header is removed before
 * the request goes upstream so backends never see client secrets.
 */
public final class ApiKeyFilter implements ProxyFilter {

    private final String header;
    private final List<byte[]> hashes;

    public ApiKeyFilter(FilterConfig.ApiKey config) {
        this.header = config.header();
        this.hashes = config.keys().stream().map(k -> HexFormat.of().parseHex(k.sha256().toLowerCase())).toList();
    }

    @Override
    public Rejection onRequest(RequestView exchange) {
        String key = exchange.header(header);
        if (key == null) {
            return unauthorized();
        }
        byte[] digest = sha256(key);
        boolean ok = false;
        for (byte[] h : hashes) {
            ok |= MessageDigest.isEqual(h, digest);
        }
        return ok ? null : unauthorized();
    }

    @Override
    public void onUpstreamRequest(RequestView exchange, MultiMap headers) {
        headers.remove(header);
    }

    private static Rejection unauthorized() {
        return Rejection.of(401, "unauthorized\n");
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
