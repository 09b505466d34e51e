package dev.gatehouse.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The subject DN forwarded to backends can never break a header line, whatever a certificate holds. */
class ClientIdentityTest {

    @Test
    void plainAsciiIsKeptAsIs() {
        String dn = "CN=alice,O=Acme\\, Inc.,C=DE";
        assertThat(ClientIdentity.headerSafe(dn)).isSameAs(dn);
    }

    @Test
    void lineBreaksAndControlCharactersAreEscaped() {
        assertThat(ClientIdentity.headerSafe("CN=a\r\nX-Admin: true")).isEqualTo("CN=a\\0D\\0AX-Admin: true");
        assertThat(ClientIdentity.headerSafe("CN=\u0000\u007f")).isEqualTo("CN=\\00\\7F");
    }

    @Test
    void nonAsciiIsEscapedAsUtf8BytesLikeRfc4514() {
        assertThat(ClientIdentity.headerSafe("CN=Jürgen")).isEqualTo("CN=J\\C3\\BCrgen");
        assertThat(ClientIdentity.headerSafe("CN=\uD83D\uDE00")).isEqualTo("CN=\\F0\\9F\\98\\80");
    }
}
