package dev.gatehouse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 or IPv6 address block ({@code 10.0.0.0/8}, {@code ::1/128}); a bare address is a /32 or /128. */
public record Cidr(byte[] network, int prefix) {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    /** Takes the 4 (IPv4) or 16 (IPv6) bytes of the network; bits past the prefix are cleared. */
    public Cidr {
        Objects.requireNonNull(network, "network");
        if (network.length != 4 && network.length != 16) {
            throw new IllegalArgumentException("network: " + network.length + " bytes (expected: 4 or 16)");
        }
        if (prefix < 0 || prefix > network.length * 8) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: 0-" + network.length * 8 + ")");
        }
        network = mask(network, prefix);
    }

    /**
     * Parses strictly: a dotted-quad IPv4 or an IPv6 literal, optionally with {@code /prefix}; never a DNS lookup.
     * An IPv4-mapped IPv6 block ({@code ::ffff:10.0.0.0/104}) is the IPv4 block it maps.
     *
     * @throws IllegalArgumentException with a message naming the text and what is wrong
     */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = address(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address or CIDR block "
                    + "(expected e.g. 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32)");
        }
        boolean mapped = bytes.length == 4 && addr.indexOf(':') >= 0;
        int max = mapped ? 128 : bytes.length * 8;
        int prefix;
        if (slash < 0) {
            prefix = max;
        } else if (s.substring(slash + 1).matches("\\d{1,3}")) {
            prefix = Integer.parseInt(s.substring(slash + 1));
        } else {
            throw new IllegalArgumentException("\"" + text + "\" has a bad prefix length (expected: 0-" + max + ")");
        }
        if (prefix > max || mapped && prefix < 96) {
            throw new IllegalArgumentException("\"" + text + "\": prefix " + prefix + " (expected: "
                    + (mapped ? 96 : 0) + "-" + max + ")");
        }
        return new Cidr(bytes, mapped ? prefix - 96 : prefix);
    }

    /** The bytes of a literal address, or null; IPv4-mapped IPv6 gives 4 bytes (as the JDK does). */
    private static byte[] address(String addr) {
        Matcher v4 = IPV4.matcher(addr);
        if (v4.matches()) {
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                int part = Integer.parseInt(v4.group(i + 1));
                if (part > 255) {
                    return null;
                }
                out[i] = (byte) part;
            }
            return out;
        }
        if (!IPV6_CHARS.matcher(addr).matches()) {
            return null;
        }
        try {
            // Brackets make the JDK treat the text as an IPv6 literal only: it never falls back to DNS.
            return InetAddress.getByName("[" + addr + "]").getAddress();
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    /** A copy of the network bytes (4 or 16). */
    @Override
    public byte[] network() {
        return network.clone();
    }

    /** Whether the text parses as a block; for validators that only need a yes or no. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            // IPv4-mapped IPv6 (::ffff:a.b.c.d) compares as IPv4.
            if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
                a = Arrays.copyOfRange(a, 12, 16);
            } else {
                return false;
            }
        }
        return Arrays.equals(mask(a, prefix), network);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - bits)));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
