package dev.gatehouse.proxy.balance;

import java.util.List;

/**
 * nginx's smooth weighted round-robin: every pick adds each backend's weight to its current value, takes the
 * largest and subtracts the total from it. Weights 5,1,1 give a a b a c a a rather than a a a a a b c.
 */
final class WeightedRoundRobinStrategy implements BalancingStrategy {

    static final WeightedRoundRobinStrategy INSTANCE = new WeightedRoundRobinStrategy();

    @Override
    public BackendSelector newSelector(List<Backend> eligible) {
        return new Smooth(eligible.toArray(Backend[]::new));
    }

    static final class Smooth implements BackendSelector {
        private final Backend[] backends;
        private final int[] current;

        Smooth(Backend[] backends) {
            this.backends = backends;
            this.current = new int[backends.length];
        }

        @Override
        public synchronized Backend select(Selection selection) {
            int best = -1;
            int total = 0;
            for (int i = 0; i < backends.length; i++) {
                if (selection.excluded(backends[i])) {
                    continue;
                }
                int w = backends[i].weight();
                current[i] += w;
                total += w;
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            if (best < 0) {
                return null;
            }
            current[best] -= total;
            return backends[best];
        }
    }
}
