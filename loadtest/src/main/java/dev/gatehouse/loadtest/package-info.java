/**
 * Load testing for Gatehouse: demo backends that a proxy can front ({@link dev.gatehouse.loadtest.DemoBackends},
 * {@link dev.gatehouse.loadtest.DemoBackendsMain}) and an HTTP load generator with open-loop (constant arrival
 * rate, latency measured from the intended send time, so coordinated omission is corrected) and closed-loop
 * modes, recording latency in HdrHistogram ({@link dev.gatehouse.loadtest.LoadtestCommand}).
 *
 * <p>Nothing here depends on the proxy: the load generator drives any HTTP server, and the demo backends are
 * plain Vert.x servers. Everything but the CLI entry points is package-private.
 */
package dev.gatehouse.loadtest;
