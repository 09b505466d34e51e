package dev.gatehouse.admin;

import dev.gatehouse.config.AdminConfig;
import dev.gatehouse.config.TlsConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.gatehouse.admin.AdminHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class AdminServerTest {

    @Test
    void servesHttpsWithTheGivenSslOptions(Vertx vertx) {
        SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
        FakePorts fakes = new FakePorts(vertx, 0);
        AdminServer server = new AdminServer(vertx, fakes.ports(true), AdminHarness.tokens(),
                new ServerSSLOptions().setKeyCertOptions(cert.keyCertOptions()));
        await(server.start());
        assertThat(server.actualPort()).isPositive();
        WebClient client = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustAll(true)
                .setVerifyHost(false));
        HttpResponse<Buffer> r = await(client.get(server.actualPort(), "127.0.0.1", "/api/v1/config")
                .putHeader("Authorization", "Bearer " + AdminHarness.READ_TOKEN).send());
        assertThat(r.statusCode()).isEqualTo(200);
        await(server.close());
    }

    @Test
    void refusesPlainHttpWhenAdminTlsIsConfigured(Vertx vertx) {
        FakePorts fakes = new FakePorts(vertx, 0);
        TlsConfig tls = new TlsConfig(List.of(new TlsConfig.CertificateConfig("c.pem", "k.pem", null, null)), null,
                null, null);
        AdminConfig admin = new AdminConfig("127.0.0.1", 0, AdminHarness.tokens().tokens(), tls);
        AdminServer server = new AdminServer(vertx, fakes.ports(true), admin);
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("admin.tls");
    }
}
