package dev.gatehouse.proxy.engine;

import java.util.Locale;

/** Which content types are worth compressing: text and structured text, never images, video or archives. */
final class Compressible {

    private Compressible() {
    }

    static boolean is(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        int semi = t.indexOf(';');
        if (semi >= 0) {
            t = t.substring(0, semi).trim();
        }
        return t.startsWith("text/") || t.equals("application/json") || t.endsWith("+json")
                || t.equals("application/javascript") || t.equals("application/xml") || t.endsWith("+xml")
                || t.equals("image/svg+xml") || t.equals("application/x-ndjson") || t.equals("application/wasm");
    }
}
