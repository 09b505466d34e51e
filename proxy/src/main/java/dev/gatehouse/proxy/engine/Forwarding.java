package dev.gatehouse.proxy.engine;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Header hygiene between client and backend: hop-by-hop headers (RFC 9110 §7.6.1, plus any the Connection header
 * names) never cross the proxy in either direction, and forwarding headers are added.
 */
public final class Forwarding {

    static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("x-forwarded-for");
    static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("x-forwarded-proto");
    static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("x-forwarded-host");
    static final CharSequence FORWARDED = HttpHeaders.createOptimized("forwarded");
    static final CharSequence VIA = HttpHeaders.createOptimized("via");
    public static final CharSequence STRICT_TRANSPORT_SECURITY =
            HttpHeaders.createOptimized("strict-transport-security");
    public static final CharSequence X_REQUEST_ID = HttpHeaders.createOptimized("x-request-id");

    /** Lower-case names of the hop-by-hop headers; "proxy-connection" is non-standard but still sent. */
    /**
     * Never forwarded. Besides RFC 9110's hop-by-hop fields: {@code Proxy}, which CGI-style backends turn into the
     * {@code HTTP_PROXY} variable their HTTP clients then use as an outgoing proxy (httpoxy).
     */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "transfer-encoding", "upgrade", "trailer", "proxy-authenticate", "proxy-authorization", "http2-settings",
            "proxy");

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final String VIA_1_1 = "1.1 gatehouse";
    private static final String VIA_1_0 = "1.0 gatehouse";
    private static final String VIA_2 = "2 gatehouse";

    private Forwarding() {
    }

    static boolean isHopByHop(String lowerName) {
        return HOP_BY_HOP.contains(lowerName);
    }

    /**
     * Headers the proxy itself sets on requests. A variant spelled with underscores ({@code X_Forwarded_For}) is
     * dropped too: CGI-style backends (PHP, WSGI, Rack) read {@code X_Client_Cert_Subject} and
     * {@code X-Client-Cert-Subject} as the same variable, so it would pass as the proxy's own.
     */
    private static final Set<String> PROXY_SET = Set.of("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
            "x-forwarded-port", "x-real-ip", "x-request-id", "x-client-cert-subject", "x-client-cert-fingerprint");

    /**
     * Copies end-to-end headers from {@code from} to {@code to}. On requests Host is left out (the upstream request
     * carries the authority separately), so is Expect (the proxy answers 100-continue itself, as nginx does), and so
     * is Content-Length: the caller writes the upstream framing from the parsed message, never from the client's
     * bytes. Headers the Connection header names are dropped, but never Content-Length, Transfer-Encoding or Host:
     * dropping framing there would let a body pass as a second request (smuggling).
     */
    static void copyEndToEnd(MultiMap from, MultiMap to, boolean request) {
        Set<String> named = from.contains(HttpHeaders.CONNECTION)
                ? connectionTokens(from.getAll(HttpHeaders.CONNECTION)) : Set.of();
        for (var e : from) {
            String name = e.getKey();
            if (passes(name, named, request)) {
                to.add(name, e.getValue());
            }
        }
    }

    /**
     * {@link #copyEndToEnd(MultiMap, MultiMap, boolean)} between Vert.x header maps (the fast path's), comparing names
     * as they are, without a String per header: the same headers are copied.
     */
    static void copyEndToEnd(HeadersMultiMap from, HeadersMultiMap to, boolean request) {
        Set<String> named = namedByConnection(from);
        for (java.util.Iterator<java.util.Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence();
             it.hasNext(); ) {
            java.util.Map.Entry<CharSequence, CharSequence> e = it.next();
            if (crosses(e.getKey(), named, request)) {
                to.add(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Whether a field named {@code name} crosses the proxy, {@code named} being what the Connection lines list: the
     * rule of {@link #passes} on the name as it is, a String made only when Connection names something or the name
     * has an underscore.
     */
    private static boolean crosses(CharSequence name, Set<String> named, boolean request) {
        if (isHopByHop(name) || (request && (io.netty.util.AsciiString.contentEqualsIgnoreCase(name, HttpHeaders.HOST)
                || io.netty.util.AsciiString.contentEqualsIgnoreCase(name, HttpHeaders.EXPECT)
                || io.netty.util.AsciiString.contentEqualsIgnoreCase(name, HttpHeaders.CONTENT_LENGTH)))) {
            return false;
        }
        boolean byName = !named.isEmpty() || (request && indexOf(name, '_') >= 0);
        return !byName || passes(name.toString(), named, request);
    }

    /**
     * {@link #copyEndToEnd(HeadersMultiMap, HeadersMultiMap, boolean)} for a response, in place: the fields that would
     * not be copied are removed from {@code headers}, the others stay in their order. For a response head nothing else
     * reads (no copy, no map: one less of each per response).
     */
    static void stripResponse(HeadersMultiMap headers) {
        Set<String> named = namedByConnection(headers);
        CharSequence first = null; // usually the only one: Connection
        List<CharSequence> more = null;
        for (java.util.Iterator<java.util.Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
             it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (!crosses(name, named, false)) {
                if (first == null) {
                    first = name;
                } else {
                    if (more == null) {
                        more = new java.util.ArrayList<>(4);
                    }
                    more.add(name);
                }
            }
        }
        // Every line of each name goes, as the copy leaves them all out.
        if (first != null) {
            headers.remove(first);
        }
        if (more != null) {
            for (CharSequence name : more) {
                headers.remove(name);
            }
        }
    }

    /**
     * Names the proxy always sets or removes on an upstream request itself, whatever the client sent: forwarding,
     * Via, request id, trace parent and the client certificate identity ({@link ClientIdentity}).
     */
    private static final io.netty.util.AsciiString[] SET_UPSTREAM = java.util.stream.Stream.of("x-forwarded-for",
                    "x-forwarded-proto", "x-forwarded-host", "forwarded", "via", "x-request-id", TraceContext.TRACEPARENT,
                    "x-client-cert-subject", "x-client-cert-fingerprint")
            .map(io.netty.util.AsciiString::cached).toArray(io.netty.util.AsciiString[]::new);
    private static final io.netty.util.AsciiString TRACESTATE = io.netty.util.AsciiString.cached(TraceContext.TRACESTATE);

    /**
     * Writes, as header lines, the client's fields an upstream request carries unchanged: those
     * {@link #copyEndToEnd(HeadersMultiMap, HeadersMultiMap, boolean)} copies, less the ones the proxy always sets
     * itself ({@link #SET_UPSTREAM}) and, when {@code dropTracestate}, tracestate. Followed by the fields the proxy
     * set, in the order it set them, this is the very head that copying into a map and setting them there encodes,
     * without the map.
     */
    static void encodeEndToEndRequest(HeadersMultiMap from, boolean dropTracestate, boolean trusted,
                                      io.netty.buffer.ByteBuf buf) {
        Set<String> named = namedByConnection(from);
        for (java.util.Iterator<java.util.Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence();
             it.hasNext(); ) {
            java.util.Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (!crosses(name, named, true) || isSetUpstream(name)
                    || (!trusted && claimsAnOrigin(name))
                    || (dropTracestate && TRACESTATE.contentEqualsIgnoreCase(name))) {
                continue;
            }
            io.netty.buffer.ByteBufUtil.writeAscii(buf, name);
            buf.writeShort((':' << 8) | ' ');
            io.netty.buffer.ByteBufUtil.writeAscii(buf, e.getValue());
            buf.writeShort(('\r' << 8) | '\n');
        }
    }

    private static boolean isSetUpstream(CharSequence name) {
        for (io.netty.util.AsciiString s : SET_UPSTREAM) {
            if (s.length() == name.length() && s.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The names the Connection field lines of {@code h} list (lower case), beyond keep-alive and close: empty, with
     * no list made, when there is none or every line is a plain keep-alive or close.
     */
    private static Set<String> namedByConnection(HeadersMultiMap h) {
        for (java.util.Iterator<java.util.Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence();
             it.hasNext(); ) {
            java.util.Map.Entry<CharSequence, CharSequence> e = it.next();
            if (e.getKey().length() == 10 && io.netty.util.AsciiString.contentEqualsIgnoreCase(HttpHeaders.CONNECTION, e.getKey())
                    && !isPlainConnection(e.getValue())) {
                return connectionTokens(h.getAll((CharSequence) HttpHeaders.CONNECTION));
            }
        }
        return Set.of();
    }

    /** Whether a header named {@code name} crosses the proxy (see {@link #copyEndToEnd}). */
    private static boolean passes(String name, Set<String> named, boolean request) {
        String lower = lower(name);
        if (isHopByHop(lower)) {
            return false;
        }
        if (request && (lower.equals("host") || lower.equals("expect") || lower.equals("content-length"))) {
            return false;
        }
        if (!named.isEmpty() && named.contains(lower) && !isFraming(lower)) {
            return false;
        }
        return !(request && lower.indexOf('_') >= 0 && PROXY_SET.contains(lower.replace('_', '-')));
    }

    private static boolean isFraming(String lower) {
        return lower.equals("content-length") || lower.equals("transfer-encoding") || lower.equals("host");
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static final io.netty.util.AsciiString[] HOP_BY_HOP_NAMES = HOP_BY_HOP.stream()
            .map(io.netty.util.AsciiString::of).toArray(io.netty.util.AsciiString[]::new);

    private static boolean isHopByHop(CharSequence name) {
        for (io.netty.util.AsciiString h : HOP_BY_HOP_NAMES) {
            if (h.length() == name.length() && h.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** Connection: keep-alive / close name no header beyond the hop-by-hop ones. */
    private static boolean isPlainConnection(CharSequence v) {
        return io.netty.util.AsciiString.contentEqualsIgnoreCase(v, "keep-alive")
                || io.netty.util.AsciiString.contentEqualsIgnoreCase(v, "close");
    }

    public static Set<String> connectionTokens(String connection) {
        return connectionTokens(List.of(connection));
    }

    /** The tokens of every Connection field line: each line counts, not only the first. */
    public static Set<String> connectionTokens(List<String> lines) {
        if (lines.isEmpty()) {
            return Set.of();
        }
        java.util.HashSet<String> out = new java.util.HashSet<>();
        for (String line : lines) {
            for (String t : line.split(",")) {
                String s = t.trim().toLowerCase(Locale.ROOT);
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** Every field line of {@code name}, combined as one list value (RFC 9110 §5.3); {@code null} when absent. */
    static String combined(MultiMap in, CharSequence name) {
        String first = in.get(name);
        if (first == null) {
            return null; // the common case: no list allocated
        }
        List<String> all = in.getAll(name);
        return all.size() == 1 ? first : String.join(", ", all);
    }

    private static String lower(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return name.toLowerCase(Locale.ROOT);
            }
        }
        return name;
    }

    /**
     * Sets X-Forwarded-For/-Proto/-Host and Forwarded. Incoming values are kept and extended only when the
     * peer is a trusted proxy; from anyone else they are replaced, so a client cannot spoof its address.
     */
    /**
     * Fields only a proxy in front may set, that frameworks read as the client's scheme, host, port, address or
     * path (X-Forwarded-Port, -Prefix, -Scheme, -Ssl, X-Real-IP, X-Original-URL, X-Rewrite-URL, X-Host...). From a
     * client that is not a trusted proxy they are dropped, as Traefik drops untrusted forwarded headers: else one
     * request can make an origin build its links or route from them, and a shared cache keep the result for everyone.
     */
    static boolean claimsAnOrigin(CharSequence name) {
        int n = name.length();
        if (n < 6 || (name.charAt(0) | 0x20) != 'x' || name.charAt(1) != '-') {
            return false;
        }
        String lower = name.toString().toLowerCase(Locale.ROOT);
        return lower.startsWith("x-forwarded-") || lower.equals("x-real-ip") || lower.equals("x-original-url")
                || lower.equals("x-rewrite-url") || lower.equals("x-host") || lower.equals("x-original-host");
    }

    /** Drops what {@link #claimsAnOrigin} names from a copied header map (before the proxy sets its own). */
    static void dropOriginClaims(MultiMap out) {
        java.util.List<String> drop = null;
        for (var e : out) {
            if (claimsAnOrigin(e.getKey())) {
                if (drop == null) {
                    drop = new java.util.ArrayList<>();
                }
                drop.add(e.getKey());
            }
        }
        if (drop != null) {
            drop.forEach(out::remove);
        }
    }

    static void addForwarding(MultiMap in, MultiMap out, String peer, boolean trusted, String proto, String host) {
        if (!trusted) {
            dropOriginClaims(out);
        }
        String xff = trusted ? combined(in, X_FORWARDED_FOR) : null;
        out.set(X_FORWARDED_FOR, xff == null ? peer : xff + ", " + peer);
        String xfp = trusted ? in.get(X_FORWARDED_PROTO) : null;
        out.set(X_FORWARDED_PROTO, xfp == null ? proto : xfp);
        String xfh = trusted ? in.get(X_FORWARDED_HOST) : null;
        if (xfh != null) {
            out.set(X_FORWARDED_HOST, xfh);
        } else if (host != null) {
            out.set(X_FORWARDED_HOST, host);
        } else {
            out.remove(X_FORWARDED_HOST);
        }
        String fwd = trusted ? combined(in, FORWARDED) : null;
        String mine = forwardedElement(peer, proto, host);
        out.set(FORWARDED, fwd == null ? mine : fwd + ", " + mine);
    }

    /** The last Forwarded element each event loop made: a connection's requests share peer, scheme and host. */
    private static final io.netty.util.concurrent.FastThreadLocal<String[]> LAST_FORWARDED =
            new io.netty.util.concurrent.FastThreadLocal<>() {
                @Override
                protected String[] initialValue() {
                    return new String[4];
                }
            };

    /** {@code for=<peer>;proto=<proto>;host="<host>"} (RFC 7239), IPv6 peers quoted and bracketed. */
    static String forwardedElement(String peer, String proto, String host) {
        String[] last = LAST_FORWARDED.get();
        if (peer.equals(last[0]) && proto.equals(last[1]) && java.util.Objects.equals(host, last[2])) {
            return last[3];
        }
        StringBuilder sb = new StringBuilder(64);
        sb.append("for=");
        if (peer.indexOf(':') >= 0) {
            sb.append("\"[").append(peer).append("]\"");
        } else {
            sb.append(peer);
        }
        sb.append(";proto=").append(proto);
        if (host != null) {
            sb.append(";host=\"").append(host.replace("\"", "")).append('"');
        }
        String element = sb.toString();
        last[0] = peer;
        last[1] = proto;
        last[2] = host;
        last[3] = element;
        return element;
    }

    /** Via is end to end: an existing value is extended, not replaced. */
    static void addVia(MultiMap in, MultiMap out, String protocol) {
        String via = combined(in, VIA);
        String mine = switch (protocol) {
            case "1.1" -> VIA_1_1;
            case "1.0" -> VIA_1_0;
            case "2" -> VIA_2;
            default -> protocol + " gatehouse";
        };
        out.set(VIA, via == null ? mine : via + ", " + mine);
    }

    /** The incoming request id when it is sane (printable, at most 128 chars), else a new random one. */
    public static String requestId(String incoming) {
        if (incoming != null && !incoming.isEmpty() && incoming.length() <= 128) {
            boolean ok = true;
            for (int i = 0; i < incoming.length() && ok; i++) {
                char c = incoming.charAt(i);
                ok = c > 0x20 && c < 0x7f;
            }
            if (ok) {
                return incoming;
            }
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long a = r.nextLong();
        long b = r.nextLong();
        byte[] out = new byte[32];
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) HEX[(int) (a >>> (60 - i * 4)) & 0xf];
            out[16 + i] = (byte) HEX[(int) (b >>> (60 - i * 4)) & 0xf];
        }
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
