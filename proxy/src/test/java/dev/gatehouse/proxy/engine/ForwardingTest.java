package dev.gatehouse.proxy.engine;

import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Header hygiene rules on plain header maps. */
class ForwardingTest {

    private static MultiMap headers(String... nameValues) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < nameValues.length; i += 2) {
            m.add(nameValues[i], nameValues[i + 1]);
        }
        return m;
    }

    @Test
    void hopByHopAndConnectionNamedHeadersAreNotCopied() {
        MultiMap in = headers("Connection", "keep-alive, X-Secret , x-other", "X-Secret", "1", "X-Other", "2",
                "Keep-Alive", "timeout=5", "TE", "trailers", "Transfer-Encoding", "chunked", "Upgrade", "h2c",
                "Proxy-Authorization", "Basic x", "HTTP2-Settings", "AAA", "Host", "h", "Expect", "100-continue",
                "X-Keep", "a", "X-Keep", "b");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Forwarding.copyEndToEnd(in, out, true);
        assertThat(out.names()).containsExactly("X-Keep");
        assertThat(out.getAll("x-keep")).containsExactly("a", "b");
        // On responses Host/Expect are not special, hop-by-hop still is.
        MultiMap res = MultiMap.caseInsensitiveMultiMap();
        Forwarding.copyEndToEnd(headers("Connection", "close", "Expect", "x", "Trailer", "X-Sum"), res, false);
        assertThat(res.names()).containsExactly("Expect");
    }

    @Test
    void forwardedForQuotesIpv6() {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        Forwarding.addForwarding(headers(), out, "::1", false, "https", "h.test");
        assertThat(out.get("forwarded")).isEqualTo("for=\"[::1]\";proto=https;host=\"h.test\"");
        assertThat(out.get("x-forwarded-for")).isEqualTo("::1");
    }

    @Test
    void untrustedPeerCannotSpoofButATrustedOneExtends() {
        MultiMap in = headers("X-Forwarded-For", "1.1.1.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "a.test",
                "Forwarded", "for=1.1.1.1");
        MultiMap untrusted = MultiMap.caseInsensitiveMultiMap();
        Forwarding.addForwarding(in, untrusted, "10.0.0.1", false, "http", null);
        assertThat(untrusted.get("x-forwarded-for")).isEqualTo("10.0.0.1");
        assertThat(untrusted.get("x-forwarded-proto")).isEqualTo("http");
        assertThat(untrusted.contains("x-forwarded-host")).isFalse();
        assertThat(untrusted.get("forwarded")).isEqualTo("for=10.0.0.1;proto=http");
        MultiMap trusted = MultiMap.caseInsensitiveMultiMap();
        Forwarding.addForwarding(in, trusted, "10.0.0.1", true, "http", "b.test");
        assertThat(trusted.get("x-forwarded-for")).isEqualTo("1.1.1.1, 10.0.0.1");
        assertThat(trusted.get("x-forwarded-proto")).isEqualTo("https");
        assertThat(trusted.get("x-forwarded-host")).isEqualTo("a.test");
        assertThat(trusted.get("forwarded")).isEqualTo("for=1.1.1.1, for=10.0.0.1;proto=http;host=\"b.test\"");
    }

    @Test
    void requestIdIsKeptOnlyWhenSane() {
        assertThat(Forwarding.requestId("abc-123")).isEqualTo("abc-123");
        assertThat(Forwarding.requestId("x".repeat(128))).isEqualTo("x".repeat(128));
        for (String bad : new String[]{null, "", "x".repeat(129), "a b", "tab\t", "caf\u00e9", "nl\n"}) {
            assertThat(Forwarding.requestId(bad)).as("for %s", bad).matches("[0-9a-f]{32}");
        }
        assertThat(Forwarding.requestId(null)).isNotEqualTo(Forwarding.requestId(null));
    }

    private static List<String> lines(HeadersMultiMap m) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : m) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    @Test
    void strippingAResponseInPlaceLeavesWhatTheCopyWouldCopyInTheSameOrder() {
        String[] names = {"Connection", "connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade",
            "Proxy-Authenticate", "Proxy-Connection", "Content-Length", "Content-Type", "X-Secret", "x-secret", "Via",
            "Date", "Set-Cookie", "Host", "X-A", "X_Forwarded_For"};
        String[] connectionValues = {"keep-alive", "close", "X-Secret", "x-secret, Content-Length, x-a", "Upgrade",
            "Host, Via", ""};
        Random random = new Random(42);
        for (int round = 0; round < 2_000; round++) {
            HeadersMultiMap copied = HeadersMultiMap.httpHeaders();
            HeadersMultiMap inPlace = HeadersMultiMap.httpHeaders();
            HeadersMultiMap source = HeadersMultiMap.httpHeaders();
            int n = random.nextInt(10);
            for (int i = 0; i < n; i++) {
                String name = names[random.nextInt(names.length)];
                String value = name.equalsIgnoreCase("connection")
                        ? connectionValues[random.nextInt(connectionValues.length)] : "v" + i;
                source.add(name, value);
                inPlace.add(name, value);
            }
            Forwarding.copyEndToEnd(source, copied, false);
            Forwarding.stripResponse(inPlace);
            assertThat(lines(inPlace)).as("round %d: %s", round, lines(source)).isEqualTo(lines(copied));
        }
    }

    private static String encoded(HeadersMultiMap m) {
        io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.buffer();
        m.encode(buf, false);
        String out = buf.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        buf.release();
        return out;
    }

    /** What Exchange.writeRequest sets on every upstream request, in its order. */
    private static void setAsTheProxyDoes(HeadersMultiMap client, HeadersMultiMap out, boolean trusted, String host,
                                          boolean identity, boolean traceContinued) {
        if (host != null) {
            out.set(io.vertx.core.http.HttpHeaders.HOST, host);
        }
        out.set(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, "12");
        out.remove(ClientIdentity.SUBJECT);
        out.remove(ClientIdentity.FINGERPRINT);
        if (identity) {
            out.set(ClientIdentity.SUBJECT, "CN=alice");
            out.set(ClientIdentity.FINGERPRINT, "ab");
        }
        Forwarding.addForwarding(client, out, "10.0.0.1", trusted, "https", host);
        Forwarding.addVia(client, out, "1.1");
        out.set(Forwarding.X_REQUEST_ID, "rid");
        out.set(TraceContext.TRACEPARENT, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        if (!traceContinued) {
            out.remove(TraceContext.TRACESTATE);
        }
    }

    @Test
    void aRequestHeadWrittenFromTheClientsMapIsTheOneTheCopyWouldEncode() {
        String[] names = {"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Upgrade", "Proxy-Authorization",
            "Host", "host", "Expect", "Content-Length", "X-Forwarded-For", "x-forwarded-for", "X_Forwarded_For",
            "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "Via", "X-Request-Id", "traceparent", "Tracestate",
            "X-Client-Cert-Subject", "x_client_cert_fingerprint", "X-Real-IP", "X_Custom", "Accept", "Cookie",
            "X-Secret", "User-Agent"};
        String[] connectionValues = {"keep-alive", "close", "X-Secret", "x-secret, Content-Length, Host, accept",
            "Upgrade, X-Forwarded-For", ""};
        String[] values = {"a", "b, c", "caf\u00e9", "\u00ff\u0080", "1.2.3.4", "for=1.1.1.1;proto=http", ""};
        Random random = new Random(7);
        for (int round = 0; round < 5_000; round++) {
            HeadersMultiMap client = HeadersMultiMap.httpHeaders();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                String name = names[random.nextInt(names.length)];
                client.add(name, name.equalsIgnoreCase("connection")
                        ? connectionValues[random.nextInt(connectionValues.length)] : values[random.nextInt(values.length)]);
            }
            boolean trusted = random.nextBoolean();
            String host = random.nextInt(4) == 0 ? null : "example.com";
            boolean identity = random.nextBoolean();
            boolean continued = random.nextBoolean();

            HeadersMultiMap copied = HeadersMultiMap.httpHeaders();
            Forwarding.copyEndToEnd(client, copied, true);
            setAsTheProxyDoes(client, copied, trusted, host, identity, continued);

            HeadersMultiMap set = HeadersMultiMap.httpHeaders();
            setAsTheProxyDoes(client, set, trusted, host, identity, continued);
            io.netty.buffer.ByteBuf direct = io.netty.buffer.Unpooled.buffer();
            Forwarding.encodeEndToEndRequest(client, !continued, trusted, direct);
            set.encode(direct, false);
            String directHead = direct.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            direct.release();

            assertThat(directHead).as("round %d: %s", round, lines(client)).isEqualTo(encoded(copied));
        }
    }

    @Test
    void theForwardedElementIsRemadeWhenPeerSchemeOrHostChange() {
        assertThat(Forwarding.forwardedElement("10.0.0.1", "http", "a.example"))
                .isEqualTo("for=10.0.0.1;proto=http;host=\"a.example\"");
        assertThat(Forwarding.forwardedElement("10.0.0.1", "http", "a.example"))
                .isEqualTo("for=10.0.0.1;proto=http;host=\"a.example\"");
        assertThat(Forwarding.forwardedElement("10.0.0.1", "http", "b.example"))
                .isEqualTo("for=10.0.0.1;proto=http;host=\"b.example\"");
        assertThat(Forwarding.forwardedElement("10.0.0.1", "https", "b.example"))
                .isEqualTo("for=10.0.0.1;proto=https;host=\"b.example\"");
        assertThat(Forwarding.forwardedElement("10.0.0.2", "https", "b.example"))
                .isEqualTo("for=10.0.0.2;proto=https;host=\"b.example\"");
        assertThat(Forwarding.forwardedElement("::1", "https", null)).isEqualTo("for=\"[::1]\";proto=https");
        assertThat(Forwarding.forwardedElement("::1", "https", "x\"y")).isEqualTo("for=\"[::1]\";proto=https;host=\"xy\"");
    }
}
