package dev.gatehouse.loadtest;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * One {@code --url}: where requests go and how a key goes into the request target. With {@code --keys}, a
 * {@code {key}} placeholder in the URL's path or query is replaced by the key's number; without a placeholder
 * {@code /k/<key>} is appended to the path (before the query). Immutable.
 *
 * @param url    the URL (the placeholder replaced by a marker), for the scheme, host and port
 * @param keyed  whether a key goes into each request target
 * @param before the request target (raw path and query) up to the key; all of it when not keyed
 * @param after  the request target after the key; empty when not keyed
 */
record Target(URI url, boolean keyed, String before, String after) {

    static final String PLACEHOLDER = "{key}";
    /** Stands for the placeholder while java.net.URI parses the URL (braces are not legal in a URI). */
    private static final String MARKER = "gatehouse-key-7f3a";

    /** The URL as given (with the placeholder, or {@code /k/{key}} where the key is appended), for reports. */
    String display() {
        return url.getScheme() + "://" + url.getRawAuthority() + before + (keyed ? PLACEHOLDER : "") + after;
    }

    boolean tls() {
        return url.getScheme().equalsIgnoreCase("https");
    }

    int port() {
        return url.getPort() > 0 ? url.getPort() : tls() ? 443 : 80;
    }

    String host() {
        return url.getHost();
    }

    /** The request target (path and query) for {@code key}; the fixed one when not keyed. */
    String requestTarget(long key) {
        return keyed ? before + key + after : before;
    }

    /**
     * Parses {@code value}; with {@code keys} true and no placeholder, {@code /k/<key>} is appended to the path.
     *
     * @throws IllegalArgumentException naming {@code --url}
     */
    static Target parse(String value, boolean keys) {
        int at = value.indexOf(PLACEHOLDER);
        if (at >= 0 && value.indexOf(PLACEHOLDER, at + 1) >= 0) {
            throw new IllegalArgumentException("--url: \"" + value + "\" has more than one " + PLACEHOLDER);
        }
        if (at >= 0 && !keys) {
            throw new IllegalArgumentException("--url: \"" + value + "\" has a " + PLACEHOLDER
                    + " placeholder but no --keys");
        }
        URI uri;
        try {
            uri = new URI(value.replace(PLACEHOLDER, MARKER));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url: \"" + value + "\" is not a URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(
                    "--url: \"" + value + "\" (expected: http://host[:port]/path or https://...)");
        }
        if (uri.getRawAuthority() != null && uri.getRawAuthority().contains(MARKER)) {
            throw new IllegalArgumentException("--url: \"" + value + "\": " + PLACEHOLDER
                    + " must be in the path or the query");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("--url: \"" + value + "\" has no host");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("--url: \"" + value + "\" has a fragment (#...), which is never sent");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        String target = path + query;
        int marker = target.indexOf(MARKER);
        if (marker >= 0) {
            return new Target(uri, true, target.substring(0, marker), target.substring(marker + MARKER.length()));
        }
        if (!keys) {
            return new Target(uri, false, target, "");
        }
        return new Target(uri, true, path.endsWith("/") ? path + "k/" : path + "/k/", query);
    }
}
