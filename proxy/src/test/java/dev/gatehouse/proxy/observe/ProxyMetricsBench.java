package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.proxy.route.ListenerSettings;
import dev.gatehouse.proxy.engine.TraceContext;

import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.proxy.balance.Backend;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * What observing one request costs on the event loop: {@link ProxyMetrics} (request counters, the latency
 * histogram, listener and upstream counters), {@link AccessLog#completed} (sampling check and queue offer; the
 * writer thread formats into a discarding stream), and {@link TraceContext}. Not part of {@code verify}; run with
 * <pre>
 * ./mvnw -q -pl proxy -am install -DskipTests
 * ./mvnw -q -pl proxy exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath dev.gatehouse.proxy.observe.ProxyMetricsBench"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class ProxyMetricsBench {

    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private ProxyMetrics metrics;
    private AccessLog accessLog;
    private ListenerSettings listener;
    private Backend backend;
    private ExchangeRecord ok;
    private ExchangeRecord notFound;

    @Setup(Level.Trial)
    public void setUp() {
        GatehouseConfig config = ConfigParser.parse("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes:
                  - { name: a, pool: web, match: { path-prefix: /a/ } }
                  - { name: b, pool: web }
                """);
        ProxyRuntime runtime = new ProxyRuntime(config.shared(), 1);
        metrics = new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), runtime,
                ProxyMetrics.Settings.DEFAULT);
        accessLog = new AccessLog(OutputStream.nullOutputStream(), "null", true, 1.0, AccessLog.DEFAULT_QUEUE);
        listener = ListenerSettings.of(config.listeners().get(0), false);
        backend = runtime.current().pools().get("web").backends.get(0);
        ok = record("a", "web", 200, 1_234_567);
        notFound = record(null, null, 404, 45_000);
        // Meters are created on first use; the benchmark measures the steady state.
        metrics.requestStarted(listener);
        metrics.upstreamAttempt("a", backend, false);
        metrics.completed(ok);
        metrics.completed(notFound);
    }

    private static ExchangeRecord record(String route, String pool, int status, long nanos) {
        return new ExchangeRecord(System.currentTimeMillis(), nanos, "public", "4bf92f3577b34da6a3ce929d0e0e4736",
                "127.0.0.1", "GET", "/a/users/42", "HTTP/1.1", route, pool, route == null ? null : "127.0.0.1:9001",
                status, 0, 1024, route == null ? 0 : 1, null, "wrk", TRACEPARENT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        accessLog.close();
    }

    /** A routed request's completion: counter, histogram, bytes. */
    @Benchmark
    public void metricsCompleted() {
        metrics.completed(ok);
    }

    /** Everything the request path calls for one proxied request: start, one attempt, completion. */
    @Benchmark
    public void metricsWholeRequest() {
        metrics.requestStarted(listener);
        metrics.upstreamAttempt("a", backend, false);
        metrics.completed(ok);
    }

    /** A request that matched no route (route="none"). */
    @Benchmark
    public void metricsUnrouted() {
        metrics.completed(notFound);
    }

    /** The event loop's share of the access log: the route switch, sampling and the queue offer. */
    @Benchmark
    public void accessLogOffer() {
        accessLog.completed(ok);
    }

    /** Continuing an incoming trace: validation and a new span id. */
    @Benchmark
    public void traceContinue(Blackhole bh) {
        bh.consume(TraceContext.continueOrStart(TRACEPARENT).traceparent());
    }

    /** Starting a trace: a new trace id and span id. */
    @Benchmark
    public void traceStart(Blackhole bh) {
        bh.consume(TraceContext.continueOrStart(null).traceparent());
    }

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args.length > 0 ? args : new String[] {ProxyMetricsBench.class.getName()});
    }
}
