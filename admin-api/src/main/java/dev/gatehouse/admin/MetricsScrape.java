package dev.gatehouse.admin;

import static java.util.Objects.requireNonNull;

/**
 * A rendered metrics scrape.
 *
 * @param contentType e.g. {@code text/plain; version=0.0.4; charset=utf-8} or the OpenMetrics type
 * @param body        the exposition text
 */
public record MetricsScrape(String contentType, String body) {

    public MetricsScrape {
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
    }
}
