package dev.gatehouse.admin;

import io.vertx.core.Future;

import java.util.List;

/** Cluster membership. Called on the admin event loop; must not block. */
public interface ClusterPort {

    /** Every known member, this node included. */
    Future<List<MemberStatus>> members();
}
