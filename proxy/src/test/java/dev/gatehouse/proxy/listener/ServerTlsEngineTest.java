package dev.gatehouse.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.TlsEngine;
import org.junit.jupiter.api.Test;

import java.util.List;

/** Choosing the listeners' TLS engine from {@code tls-engine}, with and without a loadable OpenSSL. */
class ServerTlsEngineTest {

    @Test
    void openSslLoadsOnThisBuildsPlatformSoAutoIsOpenSsl() {
        // The build ships BoringSSL for linux-x86_64 (this machine): were it missing, auto would quietly be JSSE.
        assertThat(ServerTlsEngine.openSslAvailable()).as("netty-tcnative-boringssl-static loads").isTrue();
        assertThat(ServerTlsEngine.resolve(TlsEngine.AUTO)).isEqualTo(TlsEngine.OPENSSL);
        assertThat(ServerTlsEngine.problems(TlsEngine.OPENSSL)).isEmpty();
        assertThat(ServerTlsEngine.describe(TlsEngine.OPENSSL)).isEqualTo("openssl (BoringSSL)");
    }

    @Test
    void withoutOpenSslAutoIsTheJdkAndJdkIsAlwaysTheJdk() {
        assertThat(ServerTlsEngine.resolve(TlsEngine.AUTO, false)).isEqualTo(TlsEngine.JDK);
        assertThat(ServerTlsEngine.resolve(TlsEngine.JDK, true)).isEqualTo(TlsEngine.JDK);
        assertThat(ServerTlsEngine.problems(TlsEngine.AUTO, false, null)).isEmpty();
        assertThat(ServerTlsEngine.problems(TlsEngine.JDK, false, null)).isEmpty();
    }

    @Test
    void openSslThatDoesNotLoadIsAProblemAtTlsEngineWithTheReason() {
        List<ConfigProblem> problems = ServerTlsEngine.problems(TlsEngine.OPENSSL, false,
                new IllegalStateException("failed", new UnsatisfiedLinkError("no netty_tcnative_linux_s390x")));

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0).path()).isEqualTo("tls-engine");
        assertThat(problems.get(0).message())
                .startsWith("openssl: the OpenSSL engine is not available on this machine (")
                .contains("UnsatisfiedLinkError: no netty_tcnative_linux_s390x")
                .endsWith("); use auto (OpenSSL where available, else the JDK's engine) or jdk");
        assertThatThrownBy(() -> ServerTlsEngine.resolve(TlsEngine.OPENSSL, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("tls-engine: openssl: the OpenSSL engine is not available");
    }

    @Test
    void theOpenSslOptionsSurviveVertxCopyingThem() {
        var options = ServerTlsEngine.options(TlsEngine.OPENSSL);
        assertThat(options.copy()).isInstanceOf(ServerTlsEngine.OpenSsl4Listeners.class);
        assertThat(ServerTlsEngine.options(TlsEngine.JDK)).isInstanceOf(io.vertx.core.net.JdkSSLEngineOptions.class);
    }
}
