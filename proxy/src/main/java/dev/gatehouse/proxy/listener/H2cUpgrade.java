package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.engine.Forwarding;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

import java.util.List;

/**
 * The HTTP/1.1 Upgrade to h2c (RFC 7540 §3.2, deprecated by RFC 9113 §3.1) is honoured only in its exact form: a GET,
 * HEAD or OPTIONS without a body, {@code Upgrade: h2c} alone, one {@code HTTP2-Settings} field, and a Connection
 * header naming both. Anything else loses its Upgrade and HTTP2-Settings fields and is served as the plain HTTP/1.1
 * request it also is: Vert.x would otherwise answer some malformed variants with nothing and leave the client hanging,
 * and an upgrade with a body would switch protocols mid-message. Upgrade is hop-by-hop: never sent to a backend either
 * way (h2c smuggling through the proxy is not possible).
 */
final class H2cUpgrade {

    private static final String HTTP2_SETTINGS = "HTTP2-Settings";

    private H2cUpgrade() {
    }

    static void sanitize(HttpRequest request) {
        var h = request.headers();
        String upgrade = h.get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || !containsH2c(h.getAll(HttpHeaderNames.UPGRADE))) {
            return;
        }
        if (!exact(request, upgrade)) {
            h.remove(HttpHeaderNames.UPGRADE);
            h.remove(HTTP2_SETTINGS);
        }
    }

    private static boolean containsH2c(List<String> lines) {
        for (String line : lines) {
            for (String t : line.split(",")) {
                if (t.trim().equalsIgnoreCase("h2c")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean exact(HttpRequest request, String upgrade) {
        var h = request.headers();
        HttpMethod m = request.method();
        if (!(m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS))) {
            return false;
        }
        if (h.getAll(HttpHeaderNames.UPGRADE).size() != 1 || !upgrade.trim().equalsIgnoreCase("h2c")
                || h.getAll(HTTP2_SETTINGS).size() != 1
                || h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return false;
        }
        String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null && !length.trim().equals("0")) {
            return false;
        }
        var tokens = Forwarding.connectionTokens(h.getAll(HttpHeaderNames.CONNECTION));
        return tokens.contains("upgrade") && tokens.contains("http2-settings");
    }
}
