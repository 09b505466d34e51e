package dev.gatehouse.proxy.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: of two random backends, the one with fewer requests in flight, weighted by
 * dividing the count by the weight (Envoy's least-request). O(1) per pick and no herd on the single least
 * loaded backend as a full scan would cause.
 */
final class LeastRequestStrategy implements BalancingStrategy {

    static final LeastRequestStrategy INSTANCE = new LeastRequestStrategy();

    @Override
    public BackendSelector newSelector(List<Backend> eligible) {
        Backend[] backends = eligible.toArray(Backend[]::new);
        return selection -> {
            int n = backends.length;
            if (n == 0) {
                return null;
            }
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int first = rnd.nextInt(n);
            Backend a = Scan.from(backends, first, selection);
            if (n == 1 || a == null) {
                return a;
            }
            // Two distinct candidates: drawn with replacement, a pool of two would pick the busier one a quarter
            // of the time.
            Backend b = Scan.from(backends, first + 1 + rnd.nextInt(n - 1), selection);
            if (b == null || b == a) {
                return a;
            }
            // Compare active/weight without division: a.active * b.weight vs b.active * a.weight.
            long la = (long) a.activeRequests() * b.weight();
            long lb = (long) b.activeRequests() * a.weight();
            return la <= lb ? a : b;
        };
    }
}
