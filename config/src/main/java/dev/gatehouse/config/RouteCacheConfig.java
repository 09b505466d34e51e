package dev.gatehouse.config;

import java.time.Duration;

/**
 * A route's {@code cache} section: whether the cluster response cache serves this route, and how.
 *
 * @param enabled               look up and store responses of this route (default false)
 * @param defaultTtl            freshness given to a heuristically cacheable response that states none (RFC 9111
 *                              §4.2.2); 0 (the default) uses 10% of its Last-Modified age, at most a day
 * @param storeSetCookie        store responses that carry {@code Set-Cookie} (default false: one user's cookie is
 *                              never served to another)
 * @param stripCdnCacheControl  remove {@code CDN-Cache-Control} from responses sent downstream, as
 *                              {@code Gatehouse-Cache-Control} always is (default false: a CDN in front still sees it)
 */
public record RouteCacheConfig(Boolean enabled, Duration defaultTtl, Boolean storeSetCookie,
                               Boolean stripCdnCacheControl) {

    public static final RouteCacheConfig DISABLED = new RouteCacheConfig(false, null, null, null);

    public RouteCacheConfig {
        enabled = enabled == null ? Boolean.FALSE : enabled;
        defaultTtl = defaultTtl == null ? Duration.ZERO : defaultTtl;
        storeSetCookie = storeSetCookie == null ? Boolean.FALSE : storeSetCookie;
        stripCdnCacheControl = stripCdnCacheControl == null ? Boolean.FALSE : stripCdnCacheControl;
    }

    public RouteCacheConfig(Boolean enabled, Duration defaultTtl) {
        this(enabled, defaultTtl, null, null);
    }
}
