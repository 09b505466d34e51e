package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import dev.gatehouse.config.AdminConfig.AdminToken;
import dev.gatehouse.config.AdminConfig.Role;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Bearer-token authentication and role check. A token is known by the hex SHA-256 of its value; every configured
 * hash is compared in constant time. {@code GET}/{@code HEAD} need the read role, everything else write.
 *
 * <p>With no tokens configured the API is read-only: reads are open (allowed only on a loopback address) and every
 * write is refused with 403, since any local process, or a web page through a local browser, could send one.
 */
final class AdminAuth implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAuth.class);
    private static final String PRINCIPAL = "gatehouse.admin.principal";
    private static final String CHALLENGE = "Bearer realm=\"gatehouse-admin\"";

    /** Who made a request: a token's name and role. */
    record Principal(String name, Role role) {
    }

    private record Known(byte[] sha256Hex, Principal principal) {
    }

    private final List<Known> tokens;

    private AdminAuth(List<Known> tokens) {
        this.tokens = tokens;
    }

    /**
     * The authenticator for {@code admin}.
     *
     * @throws IllegalStateException when no tokens are configured and the admin host is not a loopback address
     */
    static AdminAuth of(AdminConfig admin) {
        if (admin.tokens().isEmpty()) {
            if (!isLoopback(admin.host())) {
                throw new IllegalStateException("admin API on " + admin.host() + " has no tokens: refusing to serve"
                        + " it unauthenticated. Add admin.tokens (name, token-sha256, role) or bind admin.host to"
                        + " 127.0.0.1");
            }
            LOG.warn("admin API on {} has no tokens configured: it is READ-ONLY (any local process may read it,"
                    + " nothing may write). Add admin.tokens with a write-role token to change configuration through"
                    + " it", admin.host());
            return new AdminAuth(List.of());
        }
        List<Known> known = admin.tokens().stream()
                .map(t -> new Known(hex(t).getBytes(StandardCharsets.US_ASCII), new Principal(t.name(), t.role())))
                .toList();
        return new AdminAuth(known);
    }

    private static String hex(AdminToken t) {
        if (t.tokenSha256() == null) {
            throw new IllegalStateException("admin token \"" + t.name() + "\" has no token-sha256");
        }
        return t.tokenSha256().toLowerCase(Locale.ROOT);
    }

    /** The principal that {@link #handle} attached to the request; {@code anonymous} (read) without tokens. */
    static Principal principal(RoutingContext ctx) {
        Principal p = ctx.get(PRINCIPAL);
        return p == null ? new Principal("anonymous", Role.READ) : p;
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (tokens.isEmpty()) {
            if (isRead(ctx.request().method())) {
                ctx.next();
            } else {
                ctx.fail(Problem.of(403, "read-only", "The admin API is read-only",
                        "no admin tokens are configured, so the admin API takes no writes; add admin.tokens with a"
                                + " token of role write (name, token-sha256) and send Authorization: Bearer <token>")
                        .exception());
            }
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            ctx.fail(Problem.of(401, "unauthorized", "Authentication required",
                    "send Authorization: Bearer <token>").withHeader("WWW-Authenticate", CHALLENGE).exception());
            return;
        }
        Principal who = match(header.substring(7).trim());
        if (who == null) {
            ctx.fail(Problem.of(401, "unauthorized", "Authentication required", "the bearer token is not known")
                    .withHeader("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"").exception());
            return;
        }
        Role needed = isRead(ctx.request().method()) ? Role.READ : Role.WRITE;
        if (needed == Role.WRITE && who.role() != Role.WRITE) {
            ctx.fail(Problem.of(403, "forbidden", "Forbidden",
                    "token \"" + who.name() + "\" has the read role; " + ctx.request().method() + " needs write")
                    .exception());
            return;
        }
        ctx.put(PRINCIPAL, who);
        ctx.next();
    }

    private Principal match(String token) {
        byte[] presented = sha256Hex(token);
        Principal found = null;
        for (Known k : tokens) {
            // No early exit: every request costs the same whichever token (if any) it carries.
            if (MessageDigest.isEqual(presented, k.sha256Hex()) && found == null) {
                found = k.principal();
            }
        }
        return found;
    }

    private static boolean isRead(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD;
    }

    static byte[] sha256Hex(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loopback without a DNS lookup: {@code localhost} by name, otherwise only IP literals. */
    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        boolean literal = h.contains(":") || h.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
