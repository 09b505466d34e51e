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
            return n == 0 ? null : Scan.from(backends, ThreadLocalRandom.current().nextInt(n), selection);
        };
    }
}
