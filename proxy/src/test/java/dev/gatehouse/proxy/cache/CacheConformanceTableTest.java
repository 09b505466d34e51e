package dev.gatehouse.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proxy.cache.ConformanceCorpus.Case;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The conformance corpus is well formed (every key known, ids unique, every case with its rule, RFC section and
 * quote) and {@code docs/cache-conformance.md} is the table generated from it. With {@code -Dconformance.write=true}
 * this test (re)writes the table instead: the generator.
 */
class CacheConformanceTableTest {

    static final Path TABLE = Path.of("..", "docs", "cache-conformance.md");

    @Test
    void corpusIsWellFormedAndTheTableIsCurrent() throws IOException {
        List<Case> cases = ConformanceCorpus.load();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(100);
        assertThat(cases).allSatisfy(c -> {
            assertThat(c.id()).matches("[a-z0-9][a-z0-9-]*");
            assertThat(c.rfc()).matches("RFC \\d{4} §.*");
            assertThat(c.quote()).isNotBlank();
            assertThat(c.steps()).isNotEmpty();
        });
        String table = ConformanceCorpus.table(cases);
        if (Boolean.getBoolean("conformance.write")) {
            Files.createDirectories(TABLE.getParent());
            Files.writeString(TABLE, table, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(TABLE, StandardCharsets.UTF_8))
                .as("docs/cache-conformance.md is generated from the corpus: regenerate it (-Dconformance.write=true)")
                .isEqualTo(table);
    }
}
