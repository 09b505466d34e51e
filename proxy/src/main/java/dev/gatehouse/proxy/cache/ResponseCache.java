package dev.gatehouse.proxy.cache;

/**
 * A node's response cache as the request engine uses it: where responses are kept (the cluster's map, or this
 * node's memory when there is no cluster) and how concurrent misses are collapsed. What is cached, and for how
 * long, is per route and per response (RFC 9111), decided by the engine.
 */
public record ResponseCache(ResponseStore store, MissCollapsing collapsing) {
}
