package dev.gatehouse.proxy.engine;

import java.util.Locale;

/** Which content types are worth compressing: text and structured text, never images, video or archives. */
final class Compressible {

    private Compressible() {
    }

    /**
     * Whether an Accept-Encoding value lets the listener's compressor encode the response: gzip, x-gzip, deflate, br
     * or * with a non-zero weight.
     */
    static boolean accepted(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String member : acceptEncoding.split(",")) {
            String[] parts = member.split(";");
            String coding = parts[0].trim().toLowerCase(Locale.ROOT);
            if (!(coding.equals("gzip") || coding.equals("x-gzip") || coding.equals("deflate") || coding.equals("br")
                    || coding.equals("*"))) {
                continue;
            }
            boolean zero = false;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim().toLowerCase(Locale.ROOT);
                if (p.startsWith("q=")) {
                    String q = p.substring(2).trim();
                    zero = q.matches("0(\\.0{0,3})?");
                }
            }
            if (!zero) {
                return true;
            }
        }
        return false;
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
