package dev.gatehouse.config;

import static dev.gatehouse.config.Configs.LISTENER;
import static dev.gatehouse.config.Configs.POOL;
import static dev.gatehouse.config.Configs.ROUTE;
import static dev.gatehouse.config.Configs.onlyProblem;
import static dev.gatehouse.config.Configs.withListener;
import static dev.gatehouse.config.Configs.withPool;
import static dev.gatehouse.config.Configs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The TLS keys added for issue 4: reload-interval, hsts, redirect-to-https and a pool's upstream tls. Reading,
 * defaults, and one test per validation rule with its exact path.
 */
class TlsOptionsTest {

    private static final String CERT = "certificates: [ { cert: a.pem, key: a.key } ]";

    private static String tlsListener(String extra) {
        return withListener("tls: { " + CERT + " }, " + extra);
    }

    @Test
    void tlsDefaultsToAFiveSecondReload() {
        TlsConfig t = ConfigParser.parse(withListener("tls: { " + CERT + " }")).listeners().get(0).tls();

        assertThat(t.reloadInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.clientAuth()).isEqualTo(TlsConfig.ClientAuth.NONE);
    }

    @Test
    void reloadIntervalBelow100msIsRefused() {
        onlyProblem(withListener("tls: { " + CERT + ", reload-interval: 50ms }"), "listeners[0].tls.reload-interval",
                "at least 100ms");
    }

    @Test
    void trustWithoutClientAuthIsRefused() {
        // Otherwise an operator believes client certificates are checked when they are not asked for.
        onlyProblem(withListener("tls: { " + CERT + ", trust: ca.pem }"), "listeners[0].tls.trust",
                "only used with client-auth request or require");
    }

    @Test
    void hstsDefaults() {
        HstsConfig h = ConfigParser.parse(tlsListener("hsts: {}")).listeners().get(0).hsts();

        assertThat(h.maxAge()).isEqualTo(Duration.ofDays(365));
        assertThat(h.headerValue()).isEqualTo("max-age=31536000");
    }

    @Test
    void hstsHeaderWithEveryFlag() {
        HstsConfig h = ConfigParser.parse(tlsListener("hsts: { max-age: 730d, include-subdomains: true, preload: true }"))
                .listeners().get(0).hsts();

        assertThat(h.headerValue()).isEqualTo("max-age=63072000; includeSubDomains; preload");
    }

    @Test
    void hstsOnAPlainListenerIsRefused() {
        onlyProblem(withListener("hsts: { max-age: 1d }"), "listeners[0].hsts", "only on a TLS listener");
    }

    @Test
    void hstsPreloadNeedsSubdomainsAndAYear() {
        onlyProblem(tlsListener("hsts: { max-age: 30d, preload: true }"), "listeners[0].hsts.preload",
                "needs include-subdomains: true and a max-age of at least 365d");
    }

    @Test
    void redirectListenerReadsItsPort() {
        ListenerConfig l = ConfigParser.parse(withListener("redirect-to-https: 443")).listeners().get(0);

        assertThat(l.isRedirect()).isTrue();
        assertThat(l.redirectToHttps()).isEqualTo(443);
    }

    @Test
    void redirectPortOutOfRangeIsRefused() {
        onlyProblem(withListener("redirect-to-https: 70000"), "listeners[0].redirect-to-https", "70000");
    }

    @Test
    void redirectListenerWithTlsIsRefused() {
        onlyProblem(tlsListener("redirect-to-https: 443"), "listeners[0].redirect-to-https",
                "a redirect listener is plain HTTP");
    }

    @Test
    void poolTlsIsReadWithDefaults() {
        UpstreamTlsConfig t = ConfigParser.parse(withPool("tls: { ca: ca.pem, server-name: api.internal }"))
                .pools().get(0).tls();

        assertThat(t).isEqualTo(new UpstreamTlsConfig("ca.pem", "api.internal", null, null, null, null, true));
    }

    @Test
    void poolWithoutTlsHasNone() {
        assertThat(ConfigParser.parse(yaml(LISTENER, POOL, ROUTE)).pools().get(0).tls()).isNull();
    }

    @Test
    void clientCertificateWithoutKeyIsRefused() {
        onlyProblem(withPool("tls: { cert: client.pem }"), "pools[0].tls.key", "give cert and key together");
    }

    @Test
    void keyWithoutClientCertificateIsRefused() {
        onlyProblem(withPool("tls: { key: client.key }"), "pools[0].tls.cert", "give cert and key together");
    }

    @Test
    void twoPasswordSourcesAreRefused() {
        onlyProblem(withPool("tls: { cert: c.pem, key: c.key, key-password-file: p, key-password-env: P }"),
                "pools[0].tls", "not both");
    }

    @Test
    void passwordWithoutKeyIsRefused() {
        onlyProblem(withPool("tls: { key-password-env: P }"), "pools[0].tls.key-password-env", "only used with key");
    }

    @Test
    void badServerNameIsRefused() {
        onlyProblem(withPool("tls: { server-name: \"*.internal\" }"), "pools[0].tls.server-name", "not a host name");
    }

    @Test
    void caWithVerifyOffIsRefused() {
        onlyProblem(withPool("tls: { ca: ca.pem, verify: false }"), "pools[0].tls.ca", "not used with verify: false");
    }

    @Test
    void unknownKeyInPoolTlsIsNamed() {
        onlyProblem(withPool("tls: { server-nam: a.b }"), "pools[0].tls.server-nam", "did you mean \"server-name\"");
    }

    @Test
    void poolTlsSurvivesAdminPoolWrites() {
        PoolConfig p = ConfigParser.parse(withPool("tls: { ca: ca.pem }")).pools().get(0);

        assertThat(p.withName("other").tls()).isEqualTo(p.tls());
        assertThat(p.withBackends(p.backends()).tls()).isEqualTo(p.tls());
    }
}
