package dev.gatehouse.proxy.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** W3C traceparent parsing, continuation and generation. */
class TraceContextTest {

    private static final String VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final String SHAPE = "00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}";

    @Test
    void aValidParentKeepsTraceIdAndFlagsWithANewParentId() {
        TraceContext t = TraceContext.continueOrStart(VALID);

        assertThat(t.continued()).isTrue();
        assertThat(t.traceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(t.parentId()).isEqualTo("b7ad6b7169203331");
        assertThat(t.flags()).isEqualTo("01");
        assertThat(t.spanId()).matches("[0-9a-f]{16}").isNotEqualTo("b7ad6b7169203331").isNotEqualTo("0000000000000000");
        assertThat(t.traceparent()).matches(SHAPE)
                .startsWith("00-0af7651916cd43dd8448eb211c80319c-").endsWith("-01");
    }

    @Test
    void unsampledFlagsArePassedOn() {
        assertThat(TraceContext.continueOrStart("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00").traceparent())
                .endsWith("-00");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "garbage",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",            // no flags
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",         // all-zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",         // all-zero parent id
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",         // upper case
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",   // version 00 has exactly four fields
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",         // version ff is forbidden
        "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
        "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333z-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",        // a later version, but no '-' after the flags
    })
    void anInvalidParentStartsANewTrace(String incoming) {
        TraceContext t = TraceContext.continueOrStart(incoming);

        assertThat(TraceContext.isValid(incoming)).isFalse();
        assertThat(t.continued()).isFalse();
        assertThat(t.parentId()).isNull();
        assertThat(t.traceparent()).matches(SHAPE).endsWith("-01");
        assertThat(TraceContext.isValid(t.traceparent())).isTrue();
        assertThat(t.traceId()).isNotEqualTo("0af7651916cd43dd8448eb211c80319c");
    }

    @Test
    void aLaterVersionIsContinuedAsVersion00() {
        TraceContext t = TraceContext.continueOrStart(
                "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds");

        assertThat(t.continued()).isTrue();
        assertThat(t.traceparent()).startsWith("00-0af7651916cd43dd8448eb211c80319c-");
    }

    @Test
    void anAbsentParentStartsATraceAndIdsAreFresh() {
        Set<String> traces = new HashSet<>();
        Set<String> spans = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            TraceContext t = TraceContext.continueOrStart(null);
            assertThat(t.traceparent()).matches(SHAPE);
            traces.add(t.traceId());
            spans.add(t.spanId());
        }
        assertThat(traces).hasSize(1000);
        assertThat(spans).hasSize(1000);
    }
}
