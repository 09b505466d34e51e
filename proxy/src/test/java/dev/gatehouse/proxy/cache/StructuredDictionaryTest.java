package dev.gatehouse.proxy.cache;

import dev.gatehouse.proxy.cache.StructuredDictionary.Token;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 8941 §3.2 Dictionaries and §4.2 parsing, as RFC 9213 §2.1 uses them for targeted fields. */
class StructuredDictionaryTest {

    @ParameterizedTest(name = "[{index}] {0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "a=1|{a=1}",
            "a=1, b=2|{a=1, b=2}",
            "a=1,b=2|{a=1, b=2}",
            "a=1 ,\tb=2|{a=1, b=2}",
            "a|{a=true}",
            "a=?1|{a=true}",
            "a=?0|{a=false}",
            "a;x=1|{a=true}",                          // parameters parsed and dropped
            "a=1;x=\"y\";z|{a=1}",
            "a=-5|{a=-5}",
            "a=1.5|{a=1.5}",
            "a=\"s\"|{a=s}",
            "a=\"with \\\"quote\\\"\"|{a=with \"quote\"}",
            "a=tok|{a=Token[value=tok]}",
            "a=*tok/x:y|{a=Token[value=*tok/x:y]}",
            "a=:aGVsbG8=:|{a=ByteSequence[base64=aGVsbG8=]}",
            "a=(1 2)|{a=[1, 2]}",
            "a=()|{a=[]}",
            "a=(\"x\" y);p|{a=[x, Token[value=y]]}",
            "a=1, a=2|{a=2}",                          // a repeated key keeps the last value, in its new place
            "a=1, b=2, a=3|{b=2, a=3}",
            "*a=1|{*a=1}",
            "a.b_c-d*=1|{a.b_c-d*=1}",
            "a=999999999999999|{a=999999999999999}",
    })
    void parses(String value, String expected) {
        Map<String, Object> d = StructuredDictionary.parse(List.of(value));
        assertThat(d).isNotNull();
        assertThat(d.toString()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] invalid: {0}")
    @ValueSource(strings = {
            "A=1",               // keys are lower-case
            "1a=1",
            "a=1,",              // trailing comma
            ",a=1",
            "a=1,,b=2",
            "a=1 b=2",
            "a=",
            "a=1000000000000000", // 16 digits
            "a=1.",
            "a=1.2345",          // at most 3 fractional digits
            "a=1234567890123.1", // at most 12 integer digits
            "a=\"unterminated",
            "a=\"bad\\escape\"",
            "a=\"tab\there\"",
            "a=?2",
            "a=:not base64!:",
            "a=:unterminated",
            "a=(1 2",
            "a=(1,2)",
            "a=@",
            "a;=1",
            "a=1;B=2",
            "\ta=1",             // only SP may lead
    })
    void rejects(String value) {
        assertThat(StructuredDictionary.parse(List.of(value))).isNull();
    }

    @Test
    void linesJoinWithAComma() {
        assertThat(StructuredDictionary.parse(List.of("a=1", "b=2"))).containsOnlyKeys("a", "b");
        assertThat(StructuredDictionary.parse(List.of())).isNull();
        assertThat(StructuredDictionary.parse(List.of("a=1", ""))).isNull();   // an empty line leaves a trailing comma
        assertThat(StructuredDictionary.parse(List.of("  "))).isEmpty();
        assertThat(new Token("x").value()).isEqualTo("x");
    }
}
