package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

/** Header maps for the tables: {@code H.of("Name", "value", ...)}, lines of one name kept apart; "|" splits lines. */
final class H {

    private H() {
    }

    static MultiMap of(String... nameValues) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] == null) {
                continue;
            }
            for (String line : nameValues[i + 1].split("\\|", -1)) {
                m.add(nameValues[i], line);
            }
        }
        return m;
    }
}
