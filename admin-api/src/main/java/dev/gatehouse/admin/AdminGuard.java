package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import io.netty.util.NetUtil;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The first handler of every admin request, before authentication.
 *
 * <ul>
 *   <li>Security headers on every answer: {@code Content-Security-Policy} (the status page's allows exactly its own
 *   inline script and style, by hash, and fetches to itself), {@code X-Frame-Options: DENY},
 *   {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer}.</li>
 *   <li>{@code Host}: an IP literal (health checks and Prometheus scrape by address; a rebound DNS name never arrives
 *   as one), {@code localhost}, {@code admin.host} or a name in {@code admin.allowed-hosts}; anything else is 421, so
 *   a page whose DNS name was rebound to this address cannot talk to the API through a local browser. An HTTP/1.0
 *   request without a Host (a plain load-balancer health check) passes: browsers always send one.</li>
 *   <li>Writes (anything but {@code GET}/{@code HEAD}): an {@code Origin} header must be this listener's own origin
 *   (403 otherwise), so no other site's page can send one even where a browser would let it.</li>
 * </ul>
 */
final class AdminGuard implements Handler<RoutingContext> {

    /** For everything but the status page: JSON and text need nothing loaded, framed or run. */
    static final String API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

    private final Set<String> names;
    private final String pageCsp;

    private AdminGuard(Set<String> names, String pageCsp) {
        this.names = names;
        this.pageCsp = pageCsp;
    }

    /** The guard for {@code admin}; {@code page} is the status page, whose inline script and style are hashed. */
    static AdminGuard of(AdminConfig admin, String page) {
        Set<String> names = new HashSet<>();
        names.add("localhost");
        names.add(normal(admin.host()));
        admin.allowedHosts().forEach(h -> names.add(normal(h)));
        return new AdminGuard(Set.copyOf(names), pageCsp(page));
    }

    /**
     * The status page's policy: its one inline script and style by SHA-256 (no {@code 'unsafe-inline'}), API calls
     * to its own origin, the empty {@code data:} icon, never framed.
     */
    static String pageCsp(String page) {
        return "default-src 'none'; script-src " + hashes(SCRIPT, page) + "; style-src " + hashes(STYLE, page)
                + "; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none';"
                + " frame-ancestors 'none'";
    }

    private static String hashes(Pattern tag, String page) {
        List<String> out = new ArrayList<>();
        Matcher m = tag.matcher(page);
        while (m.find()) {
            out.add("'sha256-" + sha256Base64(m.group(1)) + "'");
        }
        return out.isEmpty() ? "'none'" : String.join(" ", out);
    }

    private static String sha256Base64(String text) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        ctx.response()
                .putHeader("Content-Security-Policy", "/".equals(request.path()) ? pageCsp : API_CSP)
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
        HostAndPort authority = request.authority();
        // An HTTP/1.0 request may carry no Host (HAProxy's plain `option httpchk`); no browser sends one without it,
        // so it cannot be a rebound page.
        boolean hostless = authority == null && request.version() == io.vertx.core.http.HttpVersion.HTTP_1_0;
        if (!hostless && (authority == null || !hostAllowed(authority.host()))) {
            String shown = authority == null ? "no Host header" : "Host \"" + clip(authority.host()) + "\"";
            ctx.fail(Problem.of(421, "misdirected-request", "Misdirected request", shown + " is not a name of this"
                    + " admin listener: use an IP address, localhost, admin.host or a name listed in"
                    + " admin.allowed-hosts").exception());
            return;
        }
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            String origin = request.getHeader("Origin");
            if (origin != null && !sameOrigin(origin, request.isSSL(), authority)) {
                ctx.fail(Problem.of(403, "cross-origin", "Cross-origin write refused",
                        "Origin " + clip(origin) + " is not this admin listener's origin; the admin API takes"
                                + " writes from its own pages and from non-browser clients only").exception());
                return;
            }
        }
        ctx.next();
    }

    /** IP literals always; names only when configured (or {@code localhost}). */
    boolean hostAllowed(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = normal(host);
        return isIpLiteral(h) || names.contains(h);
    }

    /** A literal address without any DNS lookup: dotted-quad IPv4 or IPv6 (brackets removed by {@link #normal}). */
    static boolean isIpLiteral(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
    }

    /** Lower case, without IPv6 brackets or a trailing dot (a fully qualified name is the same host). */
    static String normal(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    /** RFC 6454 comparison of {@code Origin} with this request's scheme, host and port. */
    static boolean sameOrigin(String origin, boolean tls, HostAndPort authority) {
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return false; // includes "null", sent by sandboxed frames and file pages
        }
        String scheme = tls ? "https" : "http";
        if (uri.getScheme() == null || uri.getHost() == null || !uri.getScheme().equalsIgnoreCase(scheme)
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
            return false;
        }
        int defaultPort = tls ? 443 : 80;
        int originPort = uri.getPort() < 0 ? defaultPort : uri.getPort();
        int requestPort = authority.port() < 0 ? defaultPort : authority.port();
        return originPort == requestPort && normal(uri.getHost()).equals(normal(authority.host()));
    }

    private static String clip(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
