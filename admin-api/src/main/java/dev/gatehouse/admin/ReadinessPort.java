package dev.gatehouse.admin;

import java.util.List;

/** Whether this node can take traffic, for {@code GET /readyz}. Must not block. */
public interface ReadinessPort {

    /** What is not ready yet (e.g. {@code "cluster: joining"}); empty when the node is ready. */
    List<String> notReady();
}
