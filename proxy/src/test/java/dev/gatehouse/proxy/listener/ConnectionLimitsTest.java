package dev.gatehouse.proxy.listener;

import dev.gatehouse.proxy.observe.ProxyMetrics;

import dev.gatehouse.proxy.route.ProxyRuntime;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cap's bookkeeping on embedded channels; ConnectionLimitsIT covers it (and send-timeout) over real sockets. */
class ConnectionLimitsTest {

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    }

    @Test
    void admitsUpToTheCapRefusesBeyondAndFreesASlotOnClose() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProxyRuntime runtime = new ProxyRuntime(dev.gatehouse.config.ConfigParser.parse("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: web, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes: [ { name: a, pool: web } ]
                """).shared(), 1);
        ProxyMetrics metrics = new ProxyMetrics(registry, runtime, ProxyMetrics.Settings.DEFAULT);
        ConnectionLimits limits = new ConnectionLimits("public", 2, 1_000_000_000L, metrics);
        EmbeddedChannel a = channel();
        EmbeddedChannel b = channel();
        EmbeddedChannel c = channel();

        assertThat(limits.admit(a.pipeline())).isTrue();
        assertThat(limits.admit(b.pipeline())).isTrue();
        assertThat(limits.admit(c.pipeline())).isFalse();
        assertThat(a.pipeline().get(SendDeadline.NAME)).isNotNull();

        // The refused one swallows what it is sent and is closed once the pending tasks run.
        c.writeInbound(Unpooled.copiedBuffer(new byte[] {'G', 'E', 'T'}));
        assertThat((Object) c.readInbound()).isNull();
        c.runPendingTasks();
        assertThat(c.isOpen()).isFalse();
        assertThat(limits.open()).isEqualTo(2);
        assertThat(registry.get("gatehouse.connections.refused").tag("listener", "public").counter().count())
                .isEqualTo(1.0);

        a.close();
        assertThat(limits.open()).isEqualTo(1);
        assertThat(limits.admit(channel().pipeline())).isTrue();
    }

    @Test
    void zeroMeansNoLimit() {
        ConnectionLimits limits = new ConnectionLimits("public", 0, 1_000_000_000L, null);
        for (int i = 0; i < 100; i++) {
            assertThat(limits.admit(channel().pipeline())).isTrue();
        }
        assertThat(limits.open()).isEqualTo(100);
    }
}
