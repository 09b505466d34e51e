package dev.gatehouse.proxy.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class HeadWordsTest {

    private static byte[] framed(String word) {
        return ("xx" + word + "yy").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void sharesExactSpellingsOnly() {
        byte[] b = framed("Content-Type");
        assertThat((Object) HeadWords.name(b, 2, 12)).hasToString("Content-Type");
        assertThat((Object) HeadWords.name(b, 2, 12)).isSameAs(HeadWords.name(framed("Content-Type"), 2, 12));
        assertThat((Object) HeadWords.name(framed("content-type"), 2, 12)).hasToString("content-type");
        assertThat((Object) HeadWords.name(framed("User-Agent"), 2, 10)).hasToString("User-Agent");
        // Another case, a near miss, a prefix, an empty or an over-long name: not shared, decoded as sent.
        assertThat((Object) HeadWords.name(framed("CONTENT-TYPE"), 2, 12)).isNull();
        assertThat((Object) HeadWords.name(framed("Content-Typf"), 2, 12)).isNull();
        assertThat((Object) HeadWords.name(framed("Content-Type"), 2, 7)).isNull();
        assertThat((Object) HeadWords.name(framed(""), 2, 0)).isNull();
        assertThat((Object) HeadWords.name(framed("X".repeat(200)), 2, 200)).isNull();
    }

    @Test
    void statusWordsAreTheSharedOnes() {
        assertThat(HeadWords.code(framed("200"), 2, 3)).isEqualTo("200");
        assertThat(HeadWords.code(framed("299"), 2, 3)).isNull();
        assertThat(HeadWords.code(framed("2000"), 2, 4)).isNull();
        String ok = HeadWords.reason(framed("OK"), 2, 2);
        assertThat(ok).isSameAs(HttpResponseStatus.OK.reasonPhrase());
        assertThat(HttpResponseStatus.valueOf(200, ok)).isSameAs(HttpResponseStatus.OK);
        assertThat(HeadWords.reason(framed("Not Modified"), 2, 12)).isEqualTo("Not Modified");
        assertThat(HeadWords.reason(framed("ok"), 2, 2)).isNull();
        assertThat(HeadWords.reason(framed("Fine"), 2, 4)).isNull();
    }
}
