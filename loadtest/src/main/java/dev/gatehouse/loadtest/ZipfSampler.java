package dev.gatehouse.loadtest;

import java.util.SplittableRandom;

/**
 * Draws ranks {@code 1..n} with Zipf probabilities {@code P(k) = k^-s / H(n, s)}: rank 1 is the most popular key.
 * Rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
 * distributions", 1996), as Apache Commons uses it: O(1) memory and about one uniform draw per sample whatever
 * {@code n}, so a million keys cost no table. {@code s = 0} is the uniform distribution. Not thread-safe: each load
 * worker has its own, seeded, so a run with a given seed draws the same keys.
 */
final class ZipfSampler {

    static final double MAX_EXPONENT = 10;

    private final long n;
    private final double exponent;
    private final SplittableRandom random;
    private final double hIntegralX1;
    private final double hIntegralN;
    private final double squeeze;

    ZipfSampler(long n, double exponent, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("n: " + n + " (expected: >= 1)");
        }
        if (!(exponent >= 0 && exponent <= MAX_EXPONENT)) {
            throw new IllegalArgumentException("exponent: " + exponent + " (expected: 0.." + MAX_EXPONENT + ")");
        }
        this.n = n;
        this.exponent = exponent;
        this.random = new SplittableRandom(seed);
        this.hIntegralX1 = hIntegral(1.5) - 1;
        this.hIntegralN = hIntegral(n + 0.5);
        this.squeeze = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
    }

    long n() {
        return n;
    }

    /** The next rank, in {@code 1..n}. */
    long next() {
        while (true) {
            // u uniform in (hIntegralX1, hIntegralN]; its inverse image x is in (0.5, n + 0.5]
            double u = hIntegralN + random.nextDouble() * (hIntegralX1 - hIntegralN);
            double x = hIntegralInverse(u);
            long k = (long) (x + 0.5);
            if (k < 1) {
                k = 1;
            } else if (k > n) {
                k = n;
            }
            // accept when x falls under the squeeze, or under the exact hat: k's probability mass
            if (k - x <= squeeze || u >= hIntegral(k + 0.5) - h(k)) {
                return k;
            }
        }
    }

    /** The exact probability of rank {@code k} (sums {@code n} terms): for tests and reports, not per request. */
    static double probability(long n, double exponent, long k) {
        double norm = 0;
        for (long i = 1; i <= n; i++) {
            norm += Math.pow(i, -exponent);
        }
        return Math.pow(k, -exponent) / norm;
    }

    /** {@code H(x)}, an integral of {@code h}: {@code (x^(1-s) - 1) / (1 - s)}, or {@code log x} for s = 1. */
    private double hIntegral(double x) {
        double logX = Math.log(x);
        return helper2((1 - exponent) * logX) * logX;
    }

    /** {@code h(x) = x^-s}. */
    private double h(double x) {
        return Math.exp(-exponent * Math.log(x));
    }

    private double hIntegralInverse(double x) {
        double t = x * (1 - exponent);
        if (t < -1) {
            t = -1; // rounding near the lower end; the exact value cannot be below -1
        }
        return Math.exp(helper1(t) * x);
    }

    /** {@code log(1 + x) / x}, accurate near 0. */
    private static double helper1(double x) {
        return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
    }

    /** {@code (exp(x) - 1) / x}, accurate near 0. */
    private static double helper2(double x) {
        return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
    }
}
