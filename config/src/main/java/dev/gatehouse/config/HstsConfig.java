package dev.gatehouse.config;

import java.time.Duration;

/**
 * The {@code Strict-Transport-Security} header of a TLS listener (RFC 6797).
 *
 * @param maxAge            how long browsers remember to use HTTPS only (default 365d; 0 makes them forget)
 * @param includeSubdomains adds {@code includeSubDomains} (default false)
 * @param preload           adds {@code preload}, for the browsers' preload lists (default false; needs
 *                          include-subdomains and a max-age of at least 365d)
 */
public record HstsConfig(Duration maxAge, Boolean includeSubdomains, Boolean preload) {

    public HstsConfig {
        maxAge = maxAge == null ? Duration.ofDays(365) : maxAge;
        includeSubdomains = includeSubdomains == null ? Boolean.FALSE : includeSubdomains;
        preload = preload == null ? Boolean.FALSE : preload;
    }

    /** The header value, e.g. {@code max-age=31536000; includeSubDomains}. */
    public String headerValue() {
        return "max-age=" + maxAge.toSeconds() + (includeSubdomains ? "; includeSubDomains" : "")
                + (preload ? "; preload" : "");
    }
}
