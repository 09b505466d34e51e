package dev.gatehouse.proxy.engine;

import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C Trace Context ({@code traceparent}) for one request. The proxy is a hop of the trace: it keeps the incoming
 * trace id and flags and sends its own span id upstream as the new parent id; when the request carries no valid
 * {@code traceparent} it starts a trace. {@code tracestate} belongs to the vendors in the trace and is passed on
 * unchanged with a valid parent; with an invalid or absent one it is dropped, as the W3C processing model asks
 * (a {@code tracestate} cannot be trusted without the {@code traceparent} it belongs to).
 *
 * <p>Immutable; {@link #continueOrStart} allocates one object and the {@code traceparent} it sends (built once, in
 * place: no string per id), no regular expressions.
 *
 * <pre>{@code
 * TraceContext t = TraceContext.continueOrStart(request.getHeader("traceparent"));
 * headers.set("traceparent", t.traceparent());
 * if (!t.continued()) headers.remove("tracestate");
 * }</pre>
 */
public final class TraceContext {

    /** The header names, lower case. */
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** {@code 00-} + 32 + {@code -} + 16 + {@code -} + 2. */
    private static final int LENGTH = 55;

    /** {@code 00-<trace id>-<span id>-<flags>}: the ids are slices of it. */
    private final String traceparent;
    private final String parentId;
    private final boolean continued;

    private TraceContext(String traceparent, String parentId, boolean continued) {
        this.traceparent = traceparent;
        this.parentId = parentId;
        this.continued = continued;
    }

    /**
     * The context for a request that arrived with {@code incoming} as its {@code traceparent} ({@code null} when
     * absent): the same trace with a new span id when it is valid, else a new trace (sampled flag set, so a
     * backend with a parent-based sampler records it).
     */
    public static TraceContext continueOrStart(String incoming) {
        byte[] out = new byte[LENGTH];
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        out[35] = '-';
        out[52] = '-';
        if (incoming != null && isValid(incoming)) {
            for (int i = 3; i < 35; i++) {
                out[i] = (byte) incoming.charAt(i); // hex digits: checked by isValid
            }
            out[53] = (byte) incoming.charAt(53);
            out[54] = (byte) incoming.charAt(54);
            hex(newId(), out, 36);
            return new TraceContext(new String(out, java.nio.charset.StandardCharsets.ISO_8859_1),
                    incoming.substring(36, 52), true);
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi;
        long lo;
        do {
            hi = r.nextLong();
            lo = r.nextLong();
        } while (hi == 0 && lo == 0);
        hex(hi, out, 3);
        hex(lo, out, 19);
        hex(newId(), out, 36);
        out[53] = '0';
        out[54] = '1'; // sampled
        return new TraceContext(new String(out, java.nio.charset.StandardCharsets.ISO_8859_1), null, false);
    }

    /**
     * Whether {@code value} is a {@code traceparent} this proxy continues: version {@code 00} exactly as specified,
     * or a later version (not {@code ff}) whose first four fields have the version-00 shape, optionally followed by
     * {@code -} and more (the spec's forward compatibility). Lower-case hex only; trace and parent ids not all zero.
     */
    public static boolean isValid(String value) {
        if (value.length() < LENGTH) {
            return false;
        }
        if (!isHex(value, 0, 2) || value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return false;
        }
        boolean v00 = value.charAt(0) == '0' && value.charAt(1) == '0';
        if (v00 ? value.length() != LENGTH : value.startsWith("ff") || (value.length() > LENGTH && value.charAt(LENGTH) != '-')) {
            return false;
        }
        return isHex(value, 3, 35) && !isZero(value, 3, 35)
                && isHex(value, 36, 52) && !isZero(value, 36, 52)
                && isHex(value, 53, 55);
    }

    /** The 32-hex trace id, kept from a valid incoming header or newly made. */
    public String traceId() {
        return traceparent.substring(3, 35);
    }

    /** This proxy's span id: the parent id the backend sees. */
    public String spanId() {
        return traceparent.substring(36, 52);
    }

    /** The incoming parent id, {@code null} when the trace started here. */
    public String parentId() {
        return parentId;
    }

    /** The trace flags as two hex digits ({@code 01} = sampled). */
    public String flags() {
        return traceparent.substring(53, 55);
    }

    /** True when the request carried a valid {@code traceparent}, so its {@code tracestate} may go on. */
    public boolean continued() {
        return continued;
    }

    /** The {@code traceparent} to send upstream: version 00, this trace, this proxy's span as the parent. */
    public String traceparent() {
        return traceparent;
    }

    @Override
    public String toString() {
        return traceparent();
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    /** A random non-zero 64-bit id (a span id). */
    private static long newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long id;
        do {
            id = r.nextLong();
        } while (id == 0);
        return id;
    }

    private static void hex(long v, byte[] out, int at) {
        for (int i = 0; i < 16; i++) {
            out[at + i] = HEX[(int) (v >>> (60 - i * 4)) & 0xf];
        }
    }
}
