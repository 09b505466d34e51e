package dev.gatehouse.proxy.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Uniformly random; the excluded ones are skipped by scanning on from the random start. */
final class RandomStrategy implements BalancingStrategy {

    static final RandomStrategy INSTANCE = new RandomStrategy();

    @Override
    public BackendSelector newSelector(List<Backend> eligible) {
        Backend[] backends = eligible.toArray(Backend[]::new);
        return selection -> {
            int n = backends.length;
            if (n == 0) {
                return null;
            }
            int start = ThreadLocalRandom.current().nextInt(n);
            for (int i = 0; i < n; i++) {
                Backend b = backends[(start + i) % n];
                if (!selection.excluded(b)) {
                    return b;
                }
            }
            return null;
        };
    }
}
