package dev.gatehouse.config;

import java.util.List;

/**
 * Hazelcast membership. Absent from the file means a standalone node (a cluster of one).
 *
 * @param client when present, join an existing Hazelcast cluster as a client instead of as a member
 */
public record ClusterConfig(String name, String host, Integer port, List<String> members, ClusterClientConfig client) {

    public ClusterConfig {
        name = name == null ? "gatehouse" : name;
        host = host == null ? "127.0.0.1" : host;
        port = port == null ? 5701 : port;
        members = members == null ? List.of() : List.copyOf(members);
    }

    /** Join an existing Hazelcast cluster as a client. */
    public record ClusterClientConfig(List<String> addresses, String clusterName) {
        public ClusterClientConfig {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }
}
