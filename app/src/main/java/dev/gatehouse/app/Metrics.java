package dev.gatehouse.app;

import dev.gatehouse.admin.MetricsPort;
import dev.gatehouse.admin.MetricsScrape;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The node's meter registry and its Prometheus rendering for {@code GET /metrics}. */
final class Metrics implements MetricsPort {

    private static final String OPENMETRICS = "application/openmetrics-text";

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    Metrics() {
        // Two of Micrometer's process meters break Prometheus naming rules (promtool check metrics): CPU time in
        // nanoseconds ("process_cpu_time_ns_total"; process_cpu_usage remains) and a gauge ending in "_count".
        registry.config()
                .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    @Override
    public MetricsScrape scrape(String acceptHeader) {
        boolean openMetrics = acceptHeader != null && acceptHeader.contains(OPENMETRICS);
        String contentType = openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
        return new MetricsScrape(contentType, registry.scrape(contentType));
    }
}
