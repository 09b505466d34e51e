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
 */
public record ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client,
                            String secretFile, Boolean acceptClients) {

    public ClusterConfig {
        name = name == null ? "gatehouse" : name;
        host = host == null ? "127.0.0.1" : host;
        port = port == null ? 5701 : port;
        members = members == null ? List.of() : List.copyOf(members);
        acceptClients = acceptClients != null && acceptClients;
    }

    public ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client) {
        this(name, host, port, members, client, null, null);
    }

    /** Join an existing Hazelcast cluster as a client. */
    public record ClusterClientConfig(List<String> addresses, String clusterName) {
        public ClusterClientConfig {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }
}
