package dev.gatehouse.proxy.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The words nearly every message head carries (field names as clients and servers spell them, status codes and
 * reason phrases), shared instead of copied out of each message: the decoders otherwise make a new name, with a new
 * byte array and a hash computed afresh, for every field of every request and response. Matching is exact, byte for
 * byte, so what was sent is what is forwarded; any other spelling is decoded as before.
 */
public final class HeadWords {

    private static final String[] FIELD_NAMES = {
        // requests (Netty's request decoder shares Host, Accept, Connection, Content-Type and Content-Length itself)
        "User-Agent", "Accept-Encoding", "Accept-Language", "Cookie", "Referer", "Origin", "Authorization",
        "If-None-Match", "If-Modified-Since", "Upgrade-Insecure-Requests", "Sec-Fetch-Site", "Sec-Fetch-Mode",
        "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Priority", "Range",
        "X-Requested-With", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP", "Tracestate",
        // responses
        "Server", "Date", "Content-Type", "Content-Length", "Connection", "Keep-Alive", "Last-Modified", "ETag", "Etag",
        "Accept-Ranges", "Cache-Control", "Expires", "Vary", "Transfer-Encoding", "Content-Encoding", "Set-Cookie",
        "Location", "Age", "Pragma", "Link", "Via", "Alt-Svc", "X-Request-Id", "X-Content-Type-Options",
        "X-Frame-Options", "Strict-Transport-Security", "Content-Security-Policy", "Referrer-Policy",
        "Access-Control-Allow-Origin", "Content-Disposition", "Content-Language", "Content-Range", "X-Powered-By",
        "Traceparent",
    };
    private static final int[] STATUS_CODES = {200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403,
        404, 405, 409, 410, 412, 413, 415, 416, 429, 500, 501, 502, 503, 504};

    private static final AsciiString[][] NAMES = byLength(names());
    private static final String[][] CODES = byLength(codes());
    private static final String[][] REASONS = byLength(reasons());

    private HeadWords() {
    }

    /** The shared name for a field name spelled exactly as {@code sb[start, start + length)}, or null. */
    public static AsciiString name(byte[] sb, int start, int length) {
        if (length >= NAMES.length || NAMES[length] == null) {
            return null;
        }
        for (AsciiString n : NAMES[length]) {
            if (equal(n.array(), n.arrayOffset(), sb, start, length)) {
                return n;
            }
        }
        return null;
    }

    /** The shared status code text ({@code "200"}) spelled as the bytes, or null. */
    static String code(byte[] sb, int start, int length) {
        return word(CODES, sb, start, length);
    }

    /** The shared reason phrase ({@code "OK"}, the very string {@link HttpResponseStatus} holds), or null. */
    static String reason(byte[] sb, int start, int length) {
        return word(REASONS, sb, start, length);
    }

    private static String word(String[][] table, byte[] sb, int start, int length) {
        if (length >= table.length || table[length] == null) {
            return null;
        }
        outer:
        for (String w : table[length]) {
            for (int i = 0; i < length; i++) {
                if (w.charAt(i) != (sb[start + i] & 0xff)) {
                    continue outer;
                }
            }
            return w;
        }
        return null;
    }

    private static boolean equal(byte[] a, int aOffset, byte[] b, int bOffset, int length) {
        for (int i = 0; i < length; i++) {
            if (a[aOffset + i] != b[bOffset + i]) {
                return false;
            }
        }
        return true;
    }

    private static List<AsciiString> names() {
        List<AsciiString> out = new ArrayList<>();
        for (String n : FIELD_NAMES) {
            out.add(AsciiString.cached(n));
            String lower = n.toLowerCase(Locale.ROOT);
            if (!lower.equals(n)) {
                out.add(AsciiString.cached(lower)); // Node.js and others send lower-case names
            }
        }
        return out;
    }

    private static List<String> codes() {
        List<String> out = new ArrayList<>();
        for (int c : STATUS_CODES) {
            out.add(Integer.toString(c).intern());
        }
        return out;
    }

    private static List<String> reasons() {
        List<String> out = new ArrayList<>();
        for (int c : STATUS_CODES) {
            out.add(HttpResponseStatus.valueOf(c).reasonPhrase()); // the same instance: valueOf(code, reason) matches
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T extends CharSequence> T[][] byLength(List<T> words) {
        int max = 0;
        for (T w : words) {
            max = Math.max(max, w.length());
        }
        List<List<T>> lists = new ArrayList<>();
        for (int i = 0; i <= max; i++) {
            lists.add(new ArrayList<>());
        }
        for (T w : words) {
            lists.get(w.length()).add(w);
        }
        Class<?> type = words.get(0).getClass();
        T[][] out = (T[][]) java.lang.reflect.Array.newInstance(type, max + 1, 0);
        for (int i = 0; i <= max; i++) {
            List<T> l = lists.get(i);
            out[i] = l.isEmpty() ? null : l.toArray((T[]) java.lang.reflect.Array.newInstance(type, 0));
        }
        return out;
    }
}
