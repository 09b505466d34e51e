package dev.gatehouse.proxy.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

import java.util.Map;

/**
 * Refuses malformed HTTP/2 requests (RFC 9113 §8.1.1) before Vert.x sees them, with a stream error of type
 * PROTOCOL_ERROR: the client gets RST_STREAM, the request never reaches a route or a backend. Sits between Netty's
 * connection decoder and Vert.x's frame listener, so it sees each header block once, decoded, after Netty's own checks
 * (upper-case names, connection-specific fields, {@code te}, pseudo-headers after regular ones or in trailers,
 * content-length against the DATA received) and before anything is proxied.
 *
 * <p>What Netty leaves through and the HTTP/1.1 translation would turn into something else upstream:
 * <ul>
 *   <li>field values with CR, LF, NUL or another control character (HTAB aside), or starting or ending with SP or
 *   HTAB (§8.2.1): an HTTP/1.1 line built from them would fold or split;</li>
 *   <li>field names that are not lower-case tokens (§8.2, RFC 9110 §5.1);</li>
 *   <li>request pseudo-headers (§8.3.1): each at most once; {@code :method} a token; {@code :scheme} a scheme;
 *   {@code :path} present, non-empty, printable ASCII without spaces, starting with {@code /} (or {@code *} for
 *   OPTIONS); CONNECT with {@code :authority} and without {@code :scheme}/{@code :path}; {@code :protocol} only with
 *   CONNECT; {@code :authority} without userinfo;</li>
 *   <li>{@code host} disagreeing with {@code :authority}: §8.3.1 says a server SHOULD treat that as malformed, and it
 *   is the one way to show a backend a different authority from the one routing used, so it is refused rather than
 *   silently rewritten. Host names compare case-insensitively, with the scheme's default port optional (Vert.x then
 *   compares the first {@code host} with {@code :authority} exactly, and resets the stream on any difference).</li>
 * </ul>
 * Trailers get the same name and value checks. Runs on the connection's event loop.
 */
final class Http2RequestValidator extends Http2FrameListenerDecorator {

    /** RFC 9110 tchar, lower case only (HTTP/2 names are lower case). */
    private static final boolean[] NAME_CHARS = new boolean[128];
    /** RFC 9110 tchar. */
    private static final boolean[] TOKEN_CHARS = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            // One definition of tchar for both protocols: HTTP/1's validator holds it.
            boolean token = Http1RequestValidator.isTokenChar((byte) c);
            TOKEN_CHARS[c] = token;
            NAME_CHARS[c] = token && !(c >= 'A' && c <= 'Z');
        }
    }

    private final Http2ConnectionDecoder decoder;
    private final Http2Connection connection;
    /** Set on a stream once its request header block passed: a later block is trailers. */
    private final Http2Connection.PropertyKey headersSeen;

    private Http2RequestValidator(Http2FrameListener listener, Http2ConnectionDecoder decoder,
                                  Http2Connection connection, Http2Connection.PropertyKey headersSeen) {
        super(listener);
        this.decoder = decoder;
        this.connection = connection;
        this.headersSeen = headersSeen;
    }

    /**
     * Puts a validator (and the {@link Http2FrameGuard} guard) on the HTTP/2 connection of {@code pipeline}, if it
     * has one and they are not there yet; {@code prefacePassed}: the client preface already reached the codec.
     */
    static void install(ChannelPipeline pipeline, boolean prefacePassed) {
        Http2ConnectionHandler handler = pipeline.get(Http2ConnectionHandler.class);
        if (handler == null) {
            return;
        }
        Http2ConnectionDecoder decoder = handler.decoder();
        if (!(decoder.frameListener() instanceof Http2RequestValidator)) {
            decoder.frameListener(new Http2RequestValidator(decoder.frameListener(), decoder, handler.connection(),
                    handler.connection().newKey()));
        }
        Http2FrameGuard.install(pipeline, handler, prefacePassed);
    }

    /**
     * Vert.x's handler makes its connection the decoder's listener at the first SETTINGS, in place of this one: this
     * validator then puts itself back in front of it.
     */
    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
        super.onSettingsRead(ctx, settings);
        Http2FrameListener now = decoder.frameListener();
        if (!(now instanceof Http2RequestValidator)) {
            decoder.frameListener(new Http2RequestValidator(now, decoder, connection, headersSeen));
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream)
            throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
    }

    private void check(int streamId, Http2Headers headers) throws Http2Exception {
        Http2Stream stream = connection.stream(streamId);
        boolean trailers = stream != null && stream.getProperty(headersSeen) != null;
        String problem = trailers ? trailersProblem(headers) : requestProblem(headers);
        if (problem != null) {
            throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, "malformed request: %s", problem);
        }
        if (stream != null) {
            stream.setProperty(headersSeen, Boolean.TRUE);
        }
    }

    /** Why {@code headers}, the first header block of a request, is malformed; {@code null} when it is not. */
    static String requestProblem(Http2Headers headers) {
        CharSequence method = null;
        CharSequence scheme = null;
        CharSequence path = null;
        CharSequence authority = null;
        CharSequence protocol = null;
        int hosts = 0;
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            CharSequence name = e.getKey();
            CharSequence value = e.getValue();
            if (name.length() > 0 && name.charAt(0) == ':') {
                String n = name.toString();
                switch (n) {
                    case ":method" -> {
                        if (method != null) {
                            return "duplicate :method";
                        }
                        method = value;
                    }
                    case ":scheme" -> {
                        if (scheme != null) {
                            return "duplicate :scheme";
                        }
                        scheme = value;
                    }
                    case ":path" -> {
                        if (path != null) {
                            return "duplicate :path";
                        }
                        path = value;
                    }
                    case ":authority" -> {
                        if (authority != null) {
                            return "duplicate :authority";
                        }
                        authority = value;
                    }
                    case ":protocol" -> {
                        if (protocol != null) {
                            return "duplicate :protocol";
                        }
                        protocol = value;
                    }
                    default -> {
                        return "pseudo-header " + n + " in a request";
                    }
                }
                continue;
            }
            String p = fieldProblem(name, value);
            if (p != null) {
                return p;
            }
            if (isHost(name)) {
                hosts++;
            }
        }
        if (method == null) {
            return "no :method";
        }
        if (!isToken(method)) {
            return "bad :method";
        }
        boolean connect = "CONNECT".contentEquals(method);
        if (connect && protocol == null) {
            if (authority == null) {
                return "CONNECT without :authority";
            }
            if (scheme != null || path != null) {
                return "CONNECT with :scheme or :path";
            }
        } else {
            if (protocol != null && !connect) {
                return ":protocol without CONNECT";
            }
            if (scheme == null) {
                return "no :scheme";
            }
            if (path == null) {
                return "no :path";
            }
            if (!isScheme(scheme)) {
                return "bad :scheme";
            }
            String pathProblem = pathProblem(path, "OPTIONS".contentEquals(method));
            if (pathProblem != null) {
                return pathProblem;
            }
        }
        if (authority != null) {
            if (!isAuthority(authority)) {
                return "bad :authority";
            }
            if (hosts > 0) {
                for (CharSequence host : headers.getAll("host")) {
                    if (!sameAuthority(authority, host, scheme)) {
                        return "host differs from :authority";
                    }
                }
            }
        }
        return null;
    }

    /** Why trailer fields {@code headers} are malformed; {@code null} when they are not. */
    static String trailersProblem(Http2Headers headers) {
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                return "pseudo-header in trailers";
            }
            String p = fieldProblem(name, e.getValue());
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /** §8.2: a lower-case token name; §8.2.1, RFC 9110 §5.5: a value without controls but HTAB, no edge spaces. */
    static String fieldProblem(CharSequence name, CharSequence value) {
        if (name.length() == 0) {
            return "empty field name";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 128 || !NAME_CHARS[c]) {
                return "field name not a lower-case token";
            }
        }
        int n = value.length();
        if (n > 0) {
            char first = value.charAt(0);
            char last = value.charAt(n - 1);
            if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
                return "field value with leading or trailing whitespace";
            }
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return "control character in a field value";
            }
        }
        return null;
    }

    private static String pathProblem(CharSequence path, boolean options) {
        if (path.length() == 0) {
            return "empty :path";
        }
        if (path.charAt(0) != '/' && !(options && "*".contentEquals(path))) {
            return ":path neither absolute nor * for OPTIONS";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            // It becomes the HTTP/1.1 request-target: printable ASCII only, no space.
            if (c <= 0x20 || c >= 0x7f) {
                return "bad character in :path";
            }
        }
        return null;
    }

    private static boolean isToken(CharSequence s) {
        if (s.length() == 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 128 || !TOKEN_CHARS[c]) {
                return false;
            }
        }
        return true;
    }

    /** RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
    private static boolean isScheme(CharSequence s) {
        if (s.length() == 0 || !Character.isLetter(s.charAt(0)) || s.charAt(0) >= 128) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '+' || c == '-' || c == '.';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** host [ ":" port ] from RFC 3986 characters, without userinfo (§8.3.1). */
    private static boolean isAuthority(CharSequence s) {
        if (s.length() == 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~%!$&'()*+,;=:[]".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHost(CharSequence name) {
        return name.length() == 4 && "host".contentEquals(name);
    }

    /** Same host (case-insensitive) and port, a missing port standing for the scheme's default. */
    static boolean sameAuthority(CharSequence authority, CharSequence host, CharSequence scheme) {
        String a = authority.toString().toLowerCase(java.util.Locale.ROOT);
        String h = host.toString().toLowerCase(java.util.Locale.ROOT);
        if (a.equals(h)) {
            return true;
        }
        String port = scheme != null && "https".contentEquals(scheme) ? ":443" : ":80";
        return withDefaultPort(a, port).equals(withDefaultPort(h, port));
    }

    private static String withDefaultPort(String authority, String defaultPort) {
        int close = authority.lastIndexOf(']');
        int colon = authority.lastIndexOf(':');
        return colon > close ? authority : authority + defaultPort;
    }
}
