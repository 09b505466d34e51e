package dev.gatehouse.config;

import java.util.List;

/**
 * Hazelcast membership. Absent from the file means a standalone node (a cluster of one).
 *
 * @param client        when present, join an existing Hazelcast cluster as a client instead of as a member
 * @param secretFile    file holding the cluster secret that authenticates (and seals) every shared value; the
 *                      environment variable {@code GATEHOUSE_CLUSTER_SECRET} may give it instead. Never shared.
 * @param acceptClients whether this member also accepts Hazelcast clients on its port (nodes in client mode);
 *                      off by default, so only the member protocol is spoken there
 * @param kubernetes    when present, find the other members through a Kubernetes headless Service's DNS records
 *                      instead of a {@code members} list; {@code host} then defaults to {@code 0.0.0.0}, the pod's
 *                      own address (a pod's address is not known when its file is written)
 * @param quorum        split-brain protection: the fewest members this member's side of the cluster must see for
 *                      shared-config writes to be accepted (1, the default, protects nothing; a majority of
 *                      {@code members}, e.g. 2 of 3, keeps a minority side from writing)
 */
public record ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client,
                            String secretFile, Boolean acceptClients, KubernetesDiscovery kubernetes,
                            Integer quorum) {

    public ClusterConfig {
        name = name == null ? "gatehouse" : name;
        host = host == null ? (kubernetes != null ? "0.0.0.0" : "127.0.0.1") : host;
        port = port == null ? 5701 : port;
        members = members == null ? List.of() : List.copyOf(members);
        acceptClients = acceptClients != null && acceptClients;
        quorum = quorum == null ? 1 : quorum;
    }

    public ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client) {
        this(name, host, port, members, client, null, null, null, null);
    }

    public ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client,
                         String secretFile, Boolean acceptClients) {
        this(name, host, port, members, client, secretFile, acceptClients, null, null);
    }

    /** Join an existing Hazelcast cluster as a client. */
    public record ClusterClientConfig(List<String> addresses, String clusterName) {
        public ClusterClientConfig {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }

    /**
     * Hazelcast's Kubernetes discovery in DNS lookup mode: the members are the addresses the headless Service's name
     * resolves to. Needs no Kubernetes API access (no RBAC), only a headless Service that also publishes pods not yet
     * ready (a pod becomes ready only once it has joined).
     *
     * @param serviceDns  the headless Service's fully qualified name, e.g.
     *                    {@code gatehouse-hazelcast.gatehouse.svc.cluster.local}
     * @param servicePort the member port the other pods listen on; default {@code cluster.port}
     */
    public record KubernetesDiscovery(String serviceDns, Integer servicePort) {
    }
}
