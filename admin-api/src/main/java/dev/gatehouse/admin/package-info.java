/**
 * The control plane's HTTP face: the admin REST API under {@code /api/v1}, {@code /metrics}, {@code /healthz},
 * {@code /readyz} and the status page. The module knows nothing of the proxy or the cluster: it talks to them
 * through the port interfaces ({@link dev.gatehouse.admin.ConfigPort}, {@link dev.gatehouse.admin.HealthPort},
 * {@link dev.gatehouse.admin.ClusterPort}, {@link dev.gatehouse.admin.CachePort},
 * {@link dev.gatehouse.admin.MetricsPort}, {@link dev.gatehouse.admin.ReadinessPort}), which the {@code app}
 * module implements. {@link dev.gatehouse.admin.AdminRouterFactory} builds the router;
 * {@link dev.gatehouse.admin.AdminServer} serves it.
 */
package dev.gatehouse.admin;
