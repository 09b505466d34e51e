package dev.gatehouse.admin;

import io.vertx.core.Future;

import java.util.List;

/** Backend health across the cluster. Called on the admin event loop; must not block. */
public interface HealthPort {

    /** One entry per backend and reporting node. */
    Future<List<BackendStatus>> backends();
}
