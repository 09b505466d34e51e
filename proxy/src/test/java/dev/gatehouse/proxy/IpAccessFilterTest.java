package dev.gatehouse.proxy;

import dev.gatehouse.config.FilterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Allow and deny lists against a real client address (127.0.0.1 over loopback). */
class IpAccessFilterTest {

    private static FilterExchanges exchanges;

    @BeforeAll
    static void start() throws Exception {
        exchanges = new FilterExchanges();
    }

    @AfterAll
    static void stop() throws Exception {
        exchanges.close();
    }

    /** The status a filter with these lists answers the loopback client, or 0 when it lets it through. */
    private static int status(List<String> allow, List<String> deny) throws Exception {
        IpAccessFilter f = new IpAccessFilter(new FilterConfig.IpFilter(allow, deny));
        Object r = exchanges.run(Map.of(), e -> {
            ProxyFilter.Rejection rejection = f.onRequest(e);
            return rejection == null ? 0 : rejection.status();
        });
        return (Integer) r;
    }

    @Test
    void noListsLetEveryoneThrough() throws Exception {
        assertThat(status(List.of(), List.of())).isZero();
    }

    @Test
    void anAllowListLetsOnlyItsAddressesThrough() throws Exception {
        assertThat(status(List.of("127.0.0.0/8"), List.of())).isZero();
        assertThat(status(List.of("10.0.0.0/8", "127.0.0.1/32"), List.of())).isZero();
        assertThat(status(List.of("10.0.0.0/8", "::1/128"), List.of())).isEqualTo(403);
    }

    @Test
    void aDenyListRefusesItsAddresses() throws Exception {
        assertThat(status(List.of(), List.of("127.0.0.1/32"))).isEqualTo(403);
        assertThat(status(List.of(), List.of("10.0.0.0/8"))).isZero();
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        assertThat(status(List.of("127.0.0.0/8"), List.of("127.0.0.1/32"))).isEqualTo(403);
        assertThat(status(List.of("127.0.0.1/32"), List.of("127.0.0.0/8"))).isEqualTo(403);
    }

    @Test
    void theRejectionIsAPlainForbidden() throws Exception {
        IpAccessFilter f = new IpAccessFilter(new FilterConfig.IpFilter(List.of(), List.of("0.0.0.0/0")));
        Object r = exchanges.run(Map.of(), f::onRequest);
        ProxyFilter.Rejection rejection = (ProxyFilter.Rejection) r;
        assertThat(rejection.status()).isEqualTo(403);
        assertThat(rejection.body()).isEqualTo("forbidden\n");
    }
}
