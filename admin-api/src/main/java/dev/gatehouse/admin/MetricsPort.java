package dev.gatehouse.admin;

/** Renders the metrics registry for {@code GET /metrics}. Must be cheap enough to call on the event loop. */
public interface MetricsPort {

    /**
     * @param acceptHeader the scraper's {@code Accept} header, {@code null} if absent; picks Prometheus text or
     *                     OpenMetrics
     */
    MetricsScrape scrape(String acceptHeader);
}
