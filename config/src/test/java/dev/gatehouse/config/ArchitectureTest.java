package dev.gatehouse.config;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN.md's module directions, as seen from config: it holds only data and rules, so it depends on no other
 * Gatehouse module and on no runtime (Vert.x, Netty, Hazelcast). Only this module's main classes are imported.
 */
class ArchitectureTest {

    private static final JavaClasses CONFIG = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.config");

    @Test
    void importsSomething() {
        assertThat(CONFIG).isNotEmpty();
    }

    @Test
    void dependsOnNoRuntime() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.vertx..", "io.netty..", "com.hazelcast..")
                .because("config is data and rules only (DESIGN.md, Layout)")
                .check(CONFIG);
    }

    @Test
    void dependsOnNoOtherModule() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("dev.gatehouse.tls..", "dev.gatehouse.proxy..", "dev.gatehouse.admin..",
                        "dev.gatehouse.loadtest..", "dev.gatehouse.app..")
                .because("dependencies point one way: config <- tls <- proxy, config <- admin-api, everything <- app")
                .check(CONFIG);
    }
}
