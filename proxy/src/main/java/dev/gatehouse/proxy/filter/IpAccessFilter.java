package dev.gatehouse.proxy.filter;

import dev.gatehouse.config.Cidr;
import dev.gatehouse.config.FilterConfig;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Allow/deny by client address. Deny wins; a non-empty allow list denies everything it does not list. */
public final class IpAccessFilter implements ProxyFilter {

    private final List<Cidr> allow;
    private final List<Cidr> deny;

    public IpAccessFilter(FilterConfig.IpFilter config) {
        this.allow = config.allow().stream().map(Cidr::parse).toList();
        this.deny = config.deny().stream().map(Cidr::parse).toList();
    }

    @Override
    public Rejection onRequest(RequestView exchange) {
        InetAddress address;
        try {
            address = InetAddress.getByName(exchange.clientAddress());
        } catch (UnknownHostException e) {
            return Rejection.of(403, "forbidden\n");
        }
        for (Cidr c : deny) {
            if (c.contains(address)) {
                return Rejection.of(403, "forbidden\n");
            }
        }
        if (allow.isEmpty()) {
            return null;
        }
        for (Cidr c : allow) {
            if (c.contains(address)) {
                return null;
            }
        }
        return Rejection.of(403, "forbidden\n");
    }
}
