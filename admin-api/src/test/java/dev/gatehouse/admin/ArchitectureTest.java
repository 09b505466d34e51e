package dev.gatehouse.admin;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN.md's module directions, as seen from admin-api: the control plane depends on config only. It sees the node
 * through small {@code *Port} interfaces that app implements, never the proxy, tls or Hazelcast directly. Only this
 * module's main classes are imported.
 */
class ArchitectureTest {

    private static final JavaClasses ADMIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.admin");

    @Test
    void importsSomething() {
        assertThat(ADMIN).isNotEmpty();
    }

    @Test
    void dependsOnNoOtherModuleButConfig() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("dev.gatehouse.proxy..", "dev.gatehouse.tls..", "dev.gatehouse.loadtest..",
                        "dev.gatehouse.app..")
                .because("config <- admin-api, everything <- app (DESIGN.md, Layout)")
                .check(ADMIN);
    }

    @Test
    void dependsOnNoHazelcast() {
        noClasses().should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
                .because("cluster wiring lives in app; admin-api writes through ports")
                .check(ADMIN);
    }
}
