package dev.gatehouse.proxy.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Each backend in turn. */
final class RoundRobinStrategy implements BalancingStrategy {

    static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

    @Override
    public BackendSelector newSelector(List<Backend> eligible) {
        Backend[] backends = eligible.toArray(Backend[]::new);
        AtomicInteger next = new AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 16));
        return selection -> {
            int n = backends.length;
            if (n == 0) {
                return null;
            }
            return Scan.from(backends, next.getAndIncrement(), selection);
        };
    }
}
