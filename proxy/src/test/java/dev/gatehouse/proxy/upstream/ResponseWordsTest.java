package dev.gatehouse.proxy.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseWordsTest {

    private static byte[] framed(String word) {
        return ("xx" + word + "yy").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void sharesExactSpellingsOnly() {
        byte[] b = framed("Content-Type");
        assertThat((Object) ResponseWords.name(b, 2, 12)).hasToString("Content-Type");
        assertThat((Object) ResponseWords.name(b, 2, 12)).isSameAs(ResponseWords.name(framed("Content-Type"), 2, 12));
        assertThat((Object) ResponseWords.name(framed("content-type"), 2, 12)).hasToString("content-type");
        // Another case, a near miss, a prefix, an empty or an over-long name: not shared, decoded as sent.
        assertThat((Object) ResponseWords.name(framed("CONTENT-TYPE"), 2, 12)).isNull();
        assertThat((Object) ResponseWords.name(framed("Content-Typf"), 2, 12)).isNull();
        assertThat((Object) ResponseWords.name(framed("Content-Type"), 2, 7)).isNull();
        assertThat((Object) ResponseWords.name(framed(""), 2, 0)).isNull();
        assertThat((Object) ResponseWords.name(framed("X".repeat(200)), 2, 200)).isNull();
    }

    @Test
    void statusWordsAreTheSharedOnes() {
        assertThat(ResponseWords.code(framed("200"), 2, 3)).isEqualTo("200");
        assertThat(ResponseWords.code(framed("299"), 2, 3)).isNull();
        assertThat(ResponseWords.code(framed("2000"), 2, 4)).isNull();
        String ok = ResponseWords.reason(framed("OK"), 2, 2);
        assertThat(ok).isSameAs(HttpResponseStatus.OK.reasonPhrase());
        assertThat(HttpResponseStatus.valueOf(200, ok)).isSameAs(HttpResponseStatus.OK);
        assertThat(ResponseWords.reason(framed("Not Modified"), 2, 12)).isEqualTo("Not Modified");
        assertThat(ResponseWords.reason(framed("ok"), 2, 2)).isNull();
        assertThat(ResponseWords.reason(framed("Fine"), 2, 4)).isNull();
    }
}
