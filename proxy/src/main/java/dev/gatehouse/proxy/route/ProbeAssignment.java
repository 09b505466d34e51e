package dev.gatehouse.proxy.route;

/**
 * Which backends this node probes. Standalone, all of them; in a cluster each backend is probed by one member and
 * the others learn its health through the cluster, so N nodes do not multiply probe load on the backends.
 */
@FunctionalInterface
public interface ProbeAssignment {

    ProbeAssignment ALL = (pool, backend) -> true;

    boolean probes(String pool, String backendId);
}
