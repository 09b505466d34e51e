package dev.gatehouse.proxy.route;

import dev.gatehouse.config.Cidr;
import dev.gatehouse.config.ListenerConfig;

import java.net.InetAddress;
import java.util.List;

/** What the request path needs to know of its listener, resolved once. */
public record ListenerSettings(String name, String scheme, List<Cidr> trustedProxies, long maxBodyBytes,
                        int maxUriLength, boolean compression, PathNormalizer path) {

    public static ListenerSettings of(ListenerConfig c, boolean compression) {
        return new ListenerSettings(c.name(), c.isTls() ? "https" : "http",
                c.trustedProxies().stream().map(Cidr::parse).toList(), c.maxBodySize().bytes(),
                c.maxUriLength().bytesAsInt(), compression, new PathNormalizer(c.path()));
    }

    public boolean trusted(String peer) {
        if (trustedProxies.isEmpty() || peer == null) {
            return false;
        }
        try {
            // A literal address: no DNS lookup happens.
            InetAddress a = InetAddress.getByName(peer);
            for (Cidr c : trustedProxies) {
                if (c.contains(a)) {
                    return true;
                }
            }
        } catch (java.net.UnknownHostException e) {
            return false;
        }
        return false;
    }
}
