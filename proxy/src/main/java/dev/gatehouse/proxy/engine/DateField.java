package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.cache.HttpDate;

import java.time.Instant;

/** The Date field value for now, formatted once per second (RFC 9110 §6.6.1 IMF-fixdate). */
final class DateField {

    private record Stamp(long second, String value) {
    }

    private static volatile Stamp last = new Stamp(-1, "");

    private DateField() {
    }

    static String now() {
        long ms = System.currentTimeMillis();
        long second = ms / 1000;
        Stamp s = last;
        if (s.second != second) {
            s = new Stamp(second, HttpDate.format(Instant.ofEpochSecond(second)));
            last = s;
        }
        return s.value;
    }
}
