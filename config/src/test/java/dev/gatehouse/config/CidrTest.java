package dev.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    /** An IPv4-mapped IPv6 address as a socket reports it (the JDK otherwise turns it into IPv4). */
    private static InetAddress mapped(String v4) throws UnknownHostException {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(ip(v4).getAddress(), 0, b, 12, 4);
        return Inet6Address.getByAddress(null, b, -1);
    }

    @Test
    void ipv4Block() throws UnknownHostException {
        Cidr c = Cidr.parse("10.0.0.0/8");

        assertThat(c.prefix()).isEqualTo(8);
        assertThat(c.network()).containsExactly(10, 0, 0, 0);
        assertThat(c).hasToString("10.0.0.0/8");
        assertThat(c.contains(ip("10.1.2.3"))).isTrue();
        assertThat(c.contains(ip("10.255.255.255"))).isTrue();
        assertThat(c.contains(ip("11.0.0.0"))).isFalse();
        assertThat(c.contains(ip("::1"))).isFalse();
    }

    @Test
    void oddPrefix() throws UnknownHostException {
        Cidr c = Cidr.parse("192.168.1.128/25");

        assertThat(c.contains(ip("192.168.1.200"))).isTrue();
        assertThat(c.contains(ip("192.168.1.127"))).isFalse();
    }

    @Test
    void bareAddressIsASingleHost() throws UnknownHostException {
        Cidr c = Cidr.parse("127.0.0.1");

        assertThat(c.prefix()).isEqualTo(32);
        assertThat(c.contains(ip("127.0.0.1"))).isTrue();
        assertThat(c.contains(ip("127.0.0.2"))).isFalse();
    }

    @Test
    void hostBitsAreCleared() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8")).hasToString("10.0.0.0/8");
        assertThat(Cidr.parse("10.0.0.0/8").hashCode()).isEqualTo(Cidr.parse("10.9.9.9/8").hashCode());
    }

    @Test
    void zeroPrefixMatchesEverythingOfItsFamily() throws UnknownHostException {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(ip("203.0.113.9"))).isFalse();
    }

    @Test
    void ipv6Block() throws UnknownHostException {
        Cidr c = Cidr.parse("2001:db8::/32");

        assertThat(c.prefix()).isEqualTo(32);
        assertThat(c.network()).hasSize(16);
        assertThat(c.contains(ip("2001:db8:1234::1"))).isTrue();
        assertThat(c.contains(ip("2001:db9::1"))).isFalse();
        assertThat(c.contains(ip("10.0.0.1"))).isFalse();
        assertThat(Cidr.parse("::1").prefix()).isEqualTo(128);
        assertThat(Cidr.parse("::1").contains(ip("::1"))).isTrue();
        assertThat(Cidr.parse("fd00::/8").contains(ip("fdff::1"))).isTrue();
    }

    @Test
    void ipv4BlockContainsV4MappedIpv6Addresses() throws UnknownHostException {
        Cidr c = Cidr.parse("10.0.0.0/8");

        assertThat(mapped("10.2.3.4")).isInstanceOf(Inet6Address.class);
        assertThat(c.contains(mapped("10.2.3.4"))).isTrue();
        assertThat(c.contains(mapped("192.168.0.1"))).isFalse();
    }

    @Test
    void v4MappedBlockIsTheIpv4Block() throws UnknownHostException {
        assertThat(Cidr.parse("::ffff:10.0.0.0/104")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("::ffff:10.0.0.1")).isEqualTo(Cidr.parse("10.0.0.1/32"));
        assertThat(Cidr.parse("::ffff:0:0/96").contains(ip("198.51.100.1"))).isTrue();
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/64"))
                .hasMessage("\"::ffff:10.0.0.0/64\": prefix 64 (expected: 96-128)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.0/33     | \"10.0.0.0/33\": prefix 33 (expected: 0-32)",
            "::/129          | \"::/129\": prefix 129 (expected: 0-128)",
            "10.0.0.0/-1     | \"10.0.0.0/-1\" has a bad prefix length (expected: 0-32)",
            "10.0.0.0/x      | \"10.0.0.0/x\" has a bad prefix length (expected: 0-32)",
            "10.0.0.0/       | \"10.0.0.0/\" has a bad prefix length (expected: 0-32)",
            "10.0.0.0/8/8    | \"10.0.0.0/8/8\" has a bad prefix length (expected: 0-32)",
    })
    void badPrefix(String text, String message) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    /** None of these may be looked up in DNS: each is rejected from its text alone. */
    @ParameterizedTest
    @ValueSource(strings = {"", "localhost", "example.com", "10.0.0.256", "10.0.0", "10.1", "10", "1.2.3.4.5",
            "dead", "beef/8", "cafe::g", "1:::2", "fe80::1%eth0", "[::1]", " ", "10.0.0.0 /8", "0x0a.0.0.1"})
    void notAnAddress(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not an IP address or CIDR block");
        assertThat(Cidr.isValid(text)).isFalse();
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(Cidr.parse(" 10.0.0.0/8 ")).isEqualTo(Cidr.parse("10.0.0.0/8"));
    }

    @Test
    void networkCannotBeChangedFromOutside() {
        byte[] bytes = {10, 0, 0, 0};
        Cidr c = new Cidr(bytes, 8);

        bytes[0] = 11;
        c.network()[0] = 12;

        assertThat(c).isEqualTo(Cidr.parse("10.0.0.0/8"));
    }

    @Test
    void constructorChecksItsInput() {
        assertThatThrownBy(() -> new Cidr(new byte[5], 8)).hasMessage("network: 5 bytes (expected: 4 or 16)");
        assertThatThrownBy(() -> new Cidr(new byte[4], 33)).hasMessage("prefix: 33 (expected: 0-32)");
        assertThat(new Cidr(new byte[] {10, 1, 2, 3}, 8)).isEqualTo(Cidr.parse("10.0.0.0/8"));
    }
}
