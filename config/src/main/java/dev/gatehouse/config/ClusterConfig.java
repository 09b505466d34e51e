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
 * @param quorum        split-brain protection: the fewest members this member's side of the cluster must see for
 *                      shared-config writes to be accepted (1, the default, protects nothing; a majority of
 *                      {@code members}, e.g. 2 of 3, keeps a minority side from writing)
 */
public record ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client,
                            String secretFile, Boolean acceptClients, Integer quorum) {

    public ClusterConfig {
        name = name == null ? "gatehouse" : name;
        host = host == null ? "127.0.0.1" : host;
        port = port == null ? 5701 : port;
        members = members == null ? List.of() : List.copyOf(members);
        acceptClients = acceptClients != null && acceptClients;
        quorum = quorum == null ? 1 : quorum;
    }

    public ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client,
                         String secretFile, Boolean acceptClients) {
        this(name, host, port, members, client, secretFile, acceptClients, null);
    }

    public ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client) {
        this(name, host, port, members, client, null, null, null);
    }

    /** Join an existing Hazelcast cluster as a client. */
    public record ClusterClientConfig(List<String> addresses, String clusterName) {
        public ClusterClientConfig {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }
}
