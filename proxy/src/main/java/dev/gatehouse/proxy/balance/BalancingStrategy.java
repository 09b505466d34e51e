package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.PoolConfig;

import java.util.List;

/**
 * A load-balancing algorithm. Stateless; {@link #newSelector(List)} builds the stateful picker over the backends
 * that health currently allows. A new selector is built whenever that set changes.
 */
public interface BalancingStrategy {

    BackendSelector newSelector(List<Backend> eligible);

    static BalancingStrategy of(PoolConfig.Balancer balancer) {
        return switch (balancer) {
            case ROUND_ROBIN -> RoundRobinStrategy.INSTANCE;
            case WEIGHTED_ROUND_ROBIN -> WeightedRoundRobinStrategy.INSTANCE;
            case LEAST_REQUEST -> LeastRequestStrategy.INSTANCE;
            case CONSISTENT_HASH -> ConsistentHashStrategy.INSTANCE;
            case RANDOM -> RandomStrategy.INSTANCE;
        };
    }

    static BalancingStrategy roundRobin() {
        return RoundRobinStrategy.INSTANCE;
    }

    static BalancingStrategy weightedRoundRobin() {
        return WeightedRoundRobinStrategy.INSTANCE;
    }

    static BalancingStrategy leastRequest() {
        return LeastRequestStrategy.INSTANCE;
    }

    static BalancingStrategy consistentHash() {
        return ConsistentHashStrategy.INSTANCE;
    }

    static BalancingStrategy random() {
        return RandomStrategy.INSTANCE;
    }

    /** The 64-bit hash that consistent hashing places on its ring; exposed so keys are hashed the same way. */
    static long hash(String key) {
        return ConsistentHashStrategy.hash(key);
    }
}
