package dev.gatehouse.loadtest;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN.md's module directions, as seen from loadtest: it depends on config only, so it measures the proxy from the
 * outside, as a client does. Only this module's main classes are imported.
 */
class ArchitectureTest {

    private static final JavaClasses LOADTEST = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.loadtest");

    @Test
    void importsSomething() {
        assertThat(LOADTEST).isNotEmpty();
    }

    @Test
    void dependsOnNoOtherModuleButConfig() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("dev.gatehouse.proxy..", "dev.gatehouse.admin..", "dev.gatehouse.tls..",
                        "dev.gatehouse.app..")
                .because("config <- loadtest, everything <- app (DESIGN.md, Layout)")
                .check(LOADTEST);
    }

    @Test
    void dependsOnNoHazelcast() {
        noClasses().should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
                .because("the load tester is a client, not a cluster member")
                .check(LOADTEST);
    }
}
