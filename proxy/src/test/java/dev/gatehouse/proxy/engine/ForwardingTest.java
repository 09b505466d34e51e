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
}
