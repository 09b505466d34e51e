package dev.gatehouse.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayDeque;

/**
 * Checks the bytes of a connection's HTTP/1.x requests against RFC 9112's grammar, incrementally, before Netty's
 * decoder parses them. Netty's decoder is lenient where leniency is a smuggling vector: it folds obs-fold lines,
 * accepts {@code Transfer-Encoding: identity, chunked}, a chunk size followed by a space, a tab in the request line,
 * an empty header name, and so on, while the backend behind the proxy may read the same bytes differently. Only what
 * this class accepts reaches the decoder, so whatever the decoder makes of it, every server reads it the same way.
 *
 * <p>Accepted, exactly: {@code method SP request-target SP HTTP/1.0|1.1 CRLF}, field lines {@code token ":" OWS
 * value OWS CRLF} with no control characters but HTAB, exactly one Host on HTTP/1.1 (at most one on 1.0), a body
 * framed by one Content-Length of digits or by {@code Transfer-Encoding: chunked} alone (never both, never on
 * HTTP/1.0), and chunks as {@code 1*HEXDIG *chunk-ext CRLF data CRLF} with trailer field lines. Line ends are CRLF;
 * a bare CR or LF is refused. Sizes are left to the decoder (it answers 414/431).
 *
 * <p>Allocation-free: it keeps a few bytes of the fields framing depends on and counts the rest. One per connection,
 * used on its event loop. The larger captures (target, Host, framing values) are borrowed from the thread's pool for
 * the length of a head only, so an idle keep-alive connection holds none of them.
 */
final class Http1RequestValidator {

    /** Why the bytes were refused, and the status the answer gets. Thrown nowhere; carried as a decoder result. */
    static final class Violation extends IllegalArgumentException {
        final int status;

        Violation(int status, String reason) {
            super(reason, null);
            this.status = status;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final int START = 0, START_LF = 1, METHOD = 2, TARGET = 3, VERSION = 4, LINE_LF = 5,
            FIELD_START = 6, NAME = 7, VALUE = 8, VALUE_LF = 9, HEAD_END_LF = 10, BODY = 11,
            CHUNK_SIZE = 12, EXT_BWS = 13, EXT_NAME_START = 14, EXT_NAME = 15, EXT_AFTER_NAME = 16,
            EXT_VALUE_START = 17, EXT_TOKEN = 18, EXT_QUOTED = 19, EXT_QUOTED_ESCAPE = 20, EXT_AFTER_QUOTED = 21,
            CHUNK_LF = 22, CHUNK_DATA = 23, CHUNK_DATA_CR = 24, CHUNK_DATA_LF = 25, FAILED = 26;

    /** tchar of RFC 9110 §5.6.2. */
    private static final boolean[] TCHAR = new boolean[256];
    private static final int MAX_EMPTY_LINES = 8;
    private static final int MAX_CHUNK_EXTENSIONS = 4096;
    private static final int CAPTURE = 256;
    /** Captures kept per thread for reuse: the heads a loop parses at once, beyond which they are left to the GC. */
    private static final int POOLED = 64;
    private static final FastThreadLocal<ArrayDeque<Captures>> POOL = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Captures> initialValue() {
            return new ArrayDeque<>();
        }
    };

    /** The request target, the framing field value being read, and the Host value: needed until the head ends. */
    private static final class Captures {
        final byte[] target = new byte[CAPTURE];
        final byte[] value = new byte[CAPTURE];
        final byte[] host = new byte[CAPTURE];
    }

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private int state = START;
    /** Stream offset of the next byte to check, and of the first byte of the message being checked. */
    private long position;
    private long messageStart;
    private long failPosition;
    private boolean ended;
    private Violation violation;

    // ---- the message being checked --------------------------------------------------------------------------
    private int emptyLines;
    private final byte[] method = new byte[8];
    private int methodLength;
    /** Borrowed when a request line starts, given back when its head ends or fails (null in between). */
    private Captures captures;
    private byte[] target;
    private int targetLength;
    private final byte[] version = new byte[8];
    private int versionLength;
    private boolean http10;
    private boolean inTrailers;
    private boolean headDone;
    /** Field name being read, lower-cased, when it may be one that framing depends on. */
    private final byte[] name = new byte[20];
    private int nameLength;
    private int field;
    private byte[] value;
    private int valueLength;
    private int hosts;
    private int contentLengths;
    private long contentLength;
    private int transferEncodings;
    private boolean chunkedOnly;
    private byte[] host;
    private int hostLength;
    private long remaining;
    private long chunkSize;
    private int chunkDigits;
    private int extensionBytes;

    private static final int F_OTHER = 0, F_HOST = 1, F_CONTENT_LENGTH = 2, F_TRANSFER_ENCODING = 3;

    static boolean isTokenChar(byte b) {
        return TCHAR[b & 0xff];
    }

    /** Stream offset up to which the bytes were checked (all of them, unless {@link #failed()}). */
    long position() {
        return position;
    }

    boolean failed() {
        return state == FAILED;
    }

    /** Whether a head in progress holds borrowed captures (for tests: an idle connection must hold none). */
    boolean holdsCaptures() {
        return captures != null;
    }

    Violation violation() {
        return violation;
    }

    /** Whether the violation lies in a body (its head already accepted), rather than in a head. */
    boolean failedInBody() {
        return headDone;
    }

    /**
     * Where the bytes the decoder may still see end: the start of the refused message when its head is bad (the
     * messages before it stand), else the refused byte (the head and body before it were good).
     */
    long safeEnd() {
        return headDone ? failPosition : messageStart;
    }

    /** Checks {@code buf}'s bytes in {@code [index, end)}, which follow those checked before. Stops at a violation. */
    void feed(ByteBuf buf, int index, int end) {
        while (index < end && state != FAILED) {
            if (state == BODY || state == CHUNK_DATA) {
                int n = (int) Math.min(remaining, end - index);
                index += n;
                position += n;
                remaining -= n;
                if (remaining == 0) {
                    if (state == BODY) {
                        messageEnded();
                        messageStart = position;
                    } else {
                        state = CHUNK_DATA_CR;
                    }
                }
                continue;
            }
            // A plain loop rather than forEachByte(this): a third ByteProcessor beside the decoder's own would make
            // Netty's byte-scanning call site megamorphic for every parser on the connection.
            int stop = -1;
            for (int i = index; i < end; i++) {
                if (!process(buf.getByte(i))) {
                    stop = i;
                    break;
                }
            }
            int next = stop < 0 ? end : stop + 1;
            if (state == FAILED) {
                failPosition = position + (stop - index);
            }
            position += next - index;
            index = next;
            if (ended) {
                ended = false;
                messageStart = position;
            }
        }
    }

    /** One byte; false to hand control back to {@link #feed} (a body to skip, a message end, or a violation). */
    boolean process(byte b) {
        int c = b & 0xff;
        switch (state) {
            case START:
                if (c == '\r') {
                    if (++emptyLines > MAX_EMPTY_LINES) {
                        return fail(400, "empty lines before the request line");
                    }
                    state = START_LF;
                    return true;
                }
                if (!TCHAR[c]) {
                    return fail(400, "bad request line");
                }
                borrowCaptures();
                state = METHOD;
                return capture(method, c);
            case START_LF:
                if (c != '\n') {
                    return fail(400, "bare CR");
                }
                state = START;
                return true;
            case METHOD:
                if (c == ' ') {
                    state = TARGET;
                    return true;
                }
                return TCHAR[c] ? capture(method, c) : fail(400, "bad method");
            case TARGET:
                if (c == ' ') {
                    if (targetLength == 0) {
                        return fail(400, "empty request target");
                    }
                    state = VERSION;
                    return true;
                }
                // Visible ASCII only, and no fragment (RFC 9112 §3.2): no CTL, space, DEL or raw non-ASCII byte.
                if (c <= 0x20 || c >= 0x7f || c == '#') {
                    return fail(400, "bad character in request target");
                }
                if (targetLength < target.length) {
                    target[targetLength] = (byte) c;
                }
                targetLength++;
                return true;
            case VERSION:
                if (c == '\r') {
                    state = LINE_LF;
                    return checkVersion();
                }
                if (versionLength == version.length) {
                    return fail(400, "bad HTTP version");
                }
                version[versionLength++] = (byte) c;
                return true;
            case LINE_LF:
                if (c != '\n') {
                    return fail(400, "bare CR");
                }
                state = FIELD_START;
                return true;
            case FIELD_START:
                if (c == '\r') {
                    state = HEAD_END_LF;
                    return true;
                }
                if (c == ' ' || c == '\t') {
                    return fail(400, "obsolete line folding");
                }
                if (!TCHAR[c]) {
                    return fail(400, c == ':' ? "empty field name" : "bad character in field name");
                }
                nameLength = 0;
                valueLength = 0;
                state = NAME;
                return nameByte(c);
            case NAME:
                if (c == ':') {
                    field = inTrailers ? F_OTHER : fieldOf();
                    state = VALUE;
                    return true;
                }
                if (!TCHAR[c]) {
                    return fail(400, c == ' ' || c == '\t' ? "whitespace before colon" : "bad character in field name");
                }
                return nameByte(c);
            case VALUE:
                if (c == '\r') {
                    state = VALUE_LF;
                    return true;
                }
                // field-vchar / obs-text / SP / HTAB (RFC 9110 §5.5): NUL, bare LF, other controls and DEL refused.
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    return fail(400, "bad character in field value");
                }
                if (field != F_OTHER) {
                    if (valueLength == value.length) {
                        return fail(400, "framing field value too long");
                    }
                    value[valueLength++] = (byte) c;
                }
                return true;
            case VALUE_LF:
                if (c != '\n') {
                    return fail(400, "bare CR");
                }
                state = FIELD_START;
                return field == F_OTHER || fieldValue();
            case HEAD_END_LF:
                if (c != '\n') {
                    return fail(400, "bare CR");
                }
                return inTrailers ? messageEnd() : headEnd();
            case CHUNK_SIZE:
                int d = hex(c);
                if (d >= 0) {
                    // At most 2^31-1 per chunk: larger sizes are where parsers' overflows disagree.
                    if (++chunkDigits > 16 || (chunkSize = chunkSize * 16 + d) > Integer.MAX_VALUE) {
                        return fail(400, "chunk size too large");
                    }
                    return true;
                }
                if (chunkDigits == 0) {
                    return fail(400, "bad chunk size");
                }
                if (c == '\r') {
                    state = CHUNK_LF;
                    return true;
                }
                if (c == ';') {
                    state = EXT_NAME_START;
                    return true;
                }
                if (c == ' ' || c == '\t') {
                    state = EXT_BWS;
                    return true;
                }
                return fail(400, "bad chunk size");
            default:
                return chunk(c);
        }
    }

    /** The chunk-ext grammar of RFC 9112 §7.1.1, and the CRLFs around chunk data. */
    private boolean chunk(int c) {
        if (state >= EXT_BWS && state <= EXT_AFTER_QUOTED && ++extensionBytes > MAX_CHUNK_EXTENSIONS) {
            return fail(400, "chunk extensions too long");
        }
        boolean ws = c == ' ' || c == '\t';
        switch (state) {
            case EXT_BWS:
                return ws || c == ';' ? to(c == ';' ? EXT_NAME_START : EXT_BWS) : fail(400, "bad chunk size line");
            case EXT_NAME_START:
                return ws ? true : TCHAR[c] ? to(EXT_NAME) : fail(400, "bad chunk extension");
            case EXT_NAME:
                if (TCHAR[c]) {
                    return true;
                }
                return afterExtensionPart(c, ws, true);
            case EXT_AFTER_NAME:
                return ws ? true : c == '=' ? to(EXT_VALUE_START) : c == ';' ? to(EXT_NAME_START)
                        : fail(400, "bad chunk extension");
            case EXT_VALUE_START:
                return ws ? true : c == '"' ? to(EXT_QUOTED) : TCHAR[c] ? to(EXT_TOKEN)
                        : fail(400, "bad chunk extension value");
            case EXT_TOKEN:
                if (TCHAR[c]) {
                    return true;
                }
                return afterExtensionPart(c, ws, false);
            case EXT_QUOTED:
                if (c == '"') {
                    return to(EXT_AFTER_QUOTED);
                }
                if (c == '\\') {
                    return to(EXT_QUOTED_ESCAPE);
                }
                return ws || (c >= 0x21 && c != 0x7f) ? true : fail(400, "bad chunk extension value");
            case EXT_QUOTED_ESCAPE:
                return ws || (c >= 0x21 && c != 0x7f) ? to(EXT_QUOTED) : fail(400, "bad chunk extension value");
            case EXT_AFTER_QUOTED:
                return afterExtensionPart(c, ws, false);
            case CHUNK_LF:
                if (c != '\n') {
                    return fail(400, "bare CR");
                }
                if (chunkSize == 0) {
                    inTrailers = true;
                    state = FIELD_START;
                    return true;
                }
                remaining = chunkSize;
                state = CHUNK_DATA;
                return false;
            case CHUNK_DATA_CR:
                return c == '\r' ? to(CHUNK_DATA_LF) : fail(400, "chunk data not followed by CRLF");
            case CHUNK_DATA_LF:
                if (c != '\n') {
                    return fail(400, "chunk data not followed by CRLF");
                }
                chunkSize = 0;
                chunkDigits = 0;
                extensionBytes = 0;
                return to(CHUNK_SIZE);
            default:
                return fail(400, "bad request");
        }
    }

    /** After an extension's name ({@code name}) or value: BWS, '=', ';' or the line's CR. */
    private boolean afterExtensionPart(int c, boolean ws, boolean name) {
        if (ws) {
            return to(name ? EXT_AFTER_NAME : EXT_BWS);
        }
        if (name && c == '=') {
            return to(EXT_VALUE_START);
        }
        if (c == ';') {
            return to(EXT_NAME_START);
        }
        if (c == '\r') {
            return to(CHUNK_LF);
        }
        return fail(400, "bad chunk extension");
    }

    private boolean to(int next) {
        state = next;
        return true;
    }

    private static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private boolean capture(byte[] into, int c) {
        if (methodLength < into.length) {
            into[methodLength] = (byte) c;
        }
        methodLength++;
        return true;
    }

    private boolean nameByte(int c) {
        if (nameLength < name.length) {
            name[nameLength] = (byte) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        nameLength++;
        return true;
    }

    private int fieldOf() {
        if (nameLength == 4 && is(name, 4, "host")) {
            return F_HOST;
        }
        if (nameLength == 14 && is(name, 14, "content-length")) {
            return F_CONTENT_LENGTH;
        }
        if (nameLength == 17 && is(name, 17, "transfer-encoding")) {
            return F_TRANSFER_ENCODING;
        }
        return F_OTHER;
    }

    private static boolean is(byte[] bytes, int length, String ascii) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean checkVersion() {
        if (versionLength == 8 && is(version, 5, "HTTP/") && version[6] == '.'
                && isDigit(version[5]) && isDigit(version[7])) {
            if (version[5] == '1' && version[7] == '1') {
                http10 = false;
                return true;
            }
            if (version[5] == '1' && version[7] == '0') {
                http10 = true;
                return true;
            }
            return fail(505, "HTTP version not supported");
        }
        return fail(400, "bad HTTP version");
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** A framing field's whole value (OWS trimmed). */
    private boolean fieldValue() {
        int from = 0;
        int to = valueLength;
        while (from < to && (value[from] == ' ' || value[from] == '\t')) {
            from++;
        }
        while (to > from && (value[to - 1] == ' ' || value[to - 1] == '\t')) {
            to--;
        }
        switch (field) {
            case F_HOST:
                if (++hosts > 1) {
                    return fail(400, "more than one Host");
                }
                if (!validHost(from, to)) {
                    return fail(400, "bad Host");
                }
                hostLength = to - from;
                System.arraycopy(value, from, host, 0, hostLength);
                return true;
            case F_CONTENT_LENGTH:
                if (++contentLengths > 1) {
                    return fail(400, "more than one Content-Length");
                }
                if (to == from || to - from > 18) {
                    return fail(400, "bad Content-Length");
                }
                long n = 0;
                for (int i = from; i < to; i++) {
                    if (!isDigit(value[i])) {
                        return fail(400, "bad Content-Length");
                    }
                    n = n * 10 + (value[i] - '0');
                }
                contentLength = n;
                return true;
            case F_TRANSFER_ENCODING:
                // chunked, alone and once: any other coding or list is refused rather than guessed at.
                transferEncodings++;
                chunkedOnly = transferEncodings == 1 && to - from == 7 && equalsIgnoreCase(from, "chunked");
                return true;
            default:
                return true;
        }
    }

    private boolean equalsIgnoreCase(int from, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            int c = value[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** uri-host [":" port] (RFC 9110 §7.2): a reg-name of unreserved characters, an IPv4 or a bracketed IPv6. */
    private boolean validHost(int from, int to) {
        if (from == to) {
            return false;
        }
        int i = from;
        if (value[i] == '[') {
            while (i < to && value[i] != ']') {
                int c = value[i];
                if (i > from && hex(c) < 0 && c != ':' && c != '.') {
                    return false;
                }
                i++;
            }
            if (i == to) {
                return false;
            }
            i++;
        } else {
            while (i < to && value[i] != ':') {
                int c = value[i];
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit((byte) c)
                        || c == '-' || c == '.' || c == '_' || c == '~')) {
                    return false;
                }
                i++;
            }
            if (i == from) {
                return false;
            }
        }
        if (i == to) {
            return true;
        }
        if (value[i] != ':' || to - i - 1 > 5) {
            return false;
        }
        for (int j = i + 1; j < to; j++) {
            if (!isDigit(value[j])) {
                return false;
            }
        }
        return true;
    }

    /** The end of a head: its framing decides what follows. */
    private boolean headEnd() {
        if (hosts == 0 && !http10) {
            return fail(400, "missing Host");
        }
        if (!checkTargetForm()) {
            return false;
        }
        // Nothing after the head reads the captures (trailer fields are never framing fields).
        returnCaptures();
        if (transferEncodings > 0) {
            if (http10) {
                return fail(400, "Transfer-Encoding on HTTP/1.0");
            }
            if (contentLengths > 0) {
                return fail(400, "Content-Length together with Transfer-Encoding");
            }
            if (!chunkedOnly) {
                return fail(400, "unsupported Transfer-Encoding");
            }
            chunkSize = 0;
            chunkDigits = 0;
            extensionBytes = 0;
            headDone = true;
            state = CHUNK_SIZE;
            return true;
        }
        if (contentLengths == 1 && contentLength > 0) {
            headDone = true;
            remaining = contentLength;
            state = BODY;
            return false;
        }
        return messageEnd();
    }

    /** origin-form, absolute-form (whose authority must be the Host), "*" for OPTIONS, authority-form for CONNECT. */
    private boolean checkTargetForm() {
        if (target[0] == '/') {
            return true;
        }
        boolean connect = methodLength == 7 && is(method, 7, "CONNECT");
        if (connect) {
            return true;
        }
        if (targetLength == 1 && target[0] == '*') {
            return methodLength == 7 && is(method, 7, "OPTIONS") || fail(400, "asterisk-form on a method but OPTIONS");
        }
        int scheme = schemeLength();
        if (scheme < 0) {
            return fail(400, "bad request target");
        }
        // The authority of an absolute-form target must agree with Host: the proxy routes by Host.
        int from = scheme + 3;
        int to = from;
        int limit = Math.min(targetLength, target.length);
        while (to < limit && target[to] != '/' && target[to] != '?') {
            to++;
        }
        if (to == limit && targetLength > target.length) {
            return fail(400, "request target authority too long");
        }
        if (to - from != hostLength) {
            return fail(400, "absolute-form authority does not match Host");
        }
        for (int i = 0; i < hostLength; i++) {
            int a = target[from + i];
            int h = host[i];
            if (a != h && (a | 0x20) != (h | 0x20)) {
                return fail(400, "absolute-form authority does not match Host");
            }
        }
        return true;
    }

    /** Length of "http" or "https" when the target starts with it and "://", else -1. */
    private int schemeLength() {
        int n = targetLength >= 8 && (target[4] | 0x20) == 's' ? 5 : 4;
        if (targetLength < n + 3) {
            return -1;
        }
        String http = "https";
        for (int i = 0; i < n; i++) {
            if ((target[i] | 0x20) != http.charAt(i)) {
                return -1;
            }
        }
        return target[n] == ':' && target[n + 1] == '/' && target[n + 2] == '/' ? n : -1;
    }

    private boolean messageEnd() {
        messageEnded();
        ended = true;
        return false;
    }

    /** Ready for the next request on the connection. */
    private void messageEnded() {
        state = START;
        emptyLines = 0;
        methodLength = 0;
        targetLength = 0;
        versionLength = 0;
        http10 = false;
        inTrailers = false;
        headDone = false;
        hosts = 0;
        hostLength = 0;
        contentLengths = 0;
        contentLength = 0;
        transferEncodings = 0;
        chunkedOnly = false;
    }

    private boolean fail(int status, String reason) {
        violation = new Violation(status, reason);
        state = FAILED;
        returnCaptures();
        return false;
    }

    private void borrowCaptures() {
        Captures c = POOL.get().pollFirst();
        captures = c != null ? c : new Captures();
        target = captures.target;
        value = captures.value;
        host = captures.host;
    }

    private void returnCaptures() {
        Captures c = captures;
        if (c == null) {
            return;
        }
        captures = null;
        target = null;
        value = null;
        host = null;
        ArrayDeque<Captures> pool = POOL.get();
        if (pool.size() < POOLED) {
            pool.addFirst(c);
        }
    }
}
