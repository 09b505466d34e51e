package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.FilterConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Allow and deny lists against the client address a request carries. */
class IpAccessFilterTest {

    /** The status a filter with these lists answers {@code client}, or 0 when it lets it through. */
    private static int status(List<String> allow, List<String> deny, String client) {
        IpAccessFilter f = new IpAccessFilter(new FilterConfig.IpFilter(allow, deny));
        ProxyFilter.Rejection rejection = f.onRequest(TestRequest.get().client(client));
        return rejection == null ? 0 : rejection.status();
    }

    private static int status(List<String> allow, List<String> deny) {
        return status(allow, deny, "127.0.0.1");
    }

    @Test
    void noListsLetEveryoneThrough() {
        assertThat(status(List.of(), List.of())).isZero();
        assertThat(status(List.of(), List.of(), "2001:db8::1")).isZero();
    }

    @Test
    void anAllowListLetsOnlyItsAddressesThrough() {
        assertThat(status(List.of("127.0.0.0/8"), List.of())).isZero();
        assertThat(status(List.of("10.0.0.0/8", "127.0.0.1/32"), List.of())).isZero();
        assertThat(status(List.of("10.0.0.0/8", "::1/128"), List.of())).isEqualTo(403);
        assertThat(status(List.of("10.0.0.0/8"), List.of(), "10.255.255.255")).isZero();
        assertThat(status(List.of("10.0.0.0/8"), List.of(), "11.0.0.0")).isEqualTo(403);
    }

    @Test
    void prefixesAreExactAtTheirBoundary() {
        assertThat(status(List.of("192.168.1.128/25"), List.of(), "192.168.1.128")).isZero();
        assertThat(status(List.of("192.168.1.128/25"), List.of(), "192.168.1.255")).isZero();
        assertThat(status(List.of("192.168.1.128/25"), List.of(), "192.168.1.127")).isEqualTo(403);
    }

    @Test
    void ipv6ClientsMatchIpv6Ranges() {
        assertThat(status(List.of("2001:db8::/32"), List.of(), "2001:db8:ffff::1")).isZero();
        assertThat(status(List.of("2001:db8::/32"), List.of(), "2001:db9::1")).isEqualTo(403);
        assertThat(status(List.of("::1/128"), List.of(), "::1")).isZero();
        assertThat(status(List.of(), List.of("2001:db8::/32"), "2001:db8::7")).isEqualTo(403);
        // An IPv4 client is not inside an IPv6 range, nor the other way round.
        assertThat(status(List.of("::/0"), List.of(), "127.0.0.1")).isEqualTo(403);
        assertThat(status(List.of("0.0.0.0/0"), List.of(), "::1")).isEqualTo(403);
        // An IPv4-mapped IPv6 client is its IPv4 address: it cannot slip past an IPv4 deny list.
        assertThat(status(List.of(), List.of("10.0.0.0/8"), "::ffff:10.1.2.3")).isEqualTo(403);
        assertThat(status(List.of("10.0.0.0/8"), List.of(), "::ffff:10.1.2.3")).isZero();
    }

    @Test
    void aDenyListRefusesItsAddresses() {
        assertThat(status(List.of(), List.of("127.0.0.1/32"))).isEqualTo(403);
        assertThat(status(List.of(), List.of("10.0.0.0/8"))).isZero();
    }

    @Test
    void denyWinsOverAllow() {
        assertThat(status(List.of("127.0.0.0/8"), List.of("127.0.0.1/32"))).isEqualTo(403);
        assertThat(status(List.of("127.0.0.1/32"), List.of("127.0.0.0/8"))).isEqualTo(403);
        assertThat(status(List.of("127.0.0.0/8"), List.of("127.0.0.2/32"))).isZero();
    }

    @Test
    void anAddressThatCannotBeParsedIsRefused() {
        // A malformed IPv6 literal fails at once, without a name lookup.
        assertThat(status(List.of(), List.of(), "[not-an-address")).isEqualTo(403);
    }

    @Test
    void theRejectionIsAPlainForbidden() {
        IpAccessFilter f = new IpAccessFilter(new FilterConfig.IpFilter(List.of(), List.of("0.0.0.0/0")));
        ProxyFilter.Rejection rejection = f.onRequest(TestRequest.get());
        assertThat(rejection.status()).isEqualTo(403);
        assertThat(rejection.body()).isEqualTo("forbidden\n");
        assertThat(rejection.headers()).isNull();
    }
}
