package dev.gatehouse.config;

import java.net.URI;

/**
 * One upstream server.
 *
 * @param url      {@code http://host:port} or {@code https://host:port}; no path
 * @param weight   relative share for weighted balancers (1-1000)
 * @param draining no new requests; in-flight ones finish
 */
public record BackendConfig(String url, Integer weight, Boolean draining) {

    public BackendConfig {
        weight = weight == null ? 1 : weight;
        draining = draining == null ? Boolean.FALSE : draining;
    }

    /** A stable identifier: {@code host:port}. */
    public String id() {
        URI u = URI.create(url);
        return u.getHost() + ":" + port();
    }

    public String host() {
        return URI.create(url).getHost();
    }

    public int port() {
        URI u = URI.create(url);
        return u.getPort() > 0 ? u.getPort() : ("https".equalsIgnoreCase(u.getScheme()) ? 443 : 80);
    }

    public boolean isTls() {
        return url.regionMatches(true, 0, "https:", 0, 6);
    }

    public BackendConfig withWeight(int weight) {
        return new BackendConfig(url, weight, draining);
    }

    public BackendConfig withDraining(boolean draining) {
        return new BackendConfig(url, weight, draining);
    }
}
