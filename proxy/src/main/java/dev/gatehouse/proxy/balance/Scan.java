package dev.gatehouse.proxy.balance;

/** The scan every strategy falls back on: from a start index, the first backend the request may still use. */
final class Scan {

    private Scan() {
    }

    /** The first backend at or after {@code start} (wrapping around) not excluded, or {@code null}. */
    static Backend from(Backend[] backends, int start, Selection selection) {
        int n = backends.length;
        for (int i = 0; i < n; i++) {
            Backend b = backends[Math.floorMod(start + i, n)];
            if (!selection.excluded(b)) {
                return b;
            }
        }
        return null;
    }
}
