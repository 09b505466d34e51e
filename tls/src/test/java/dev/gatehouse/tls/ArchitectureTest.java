package dev.gatehouse.tls;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN.md's module directions, as seen from tls: plain JDK and Bouncy Castle API over the config model, no Vert.x,
 * Netty or Hazelcast, and no module above it. Only this module's main classes are imported.
 */
class ArchitectureTest {

    private static final JavaClasses TLS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.tls");

    @Test
    void importsSomething() {
        assertThat(TLS).isNotEmpty();
    }

    @Test
    void dependsOnlyOnConfigJdkAndBouncyCastle() {
        classes().should().onlyDependOnClassesThat()
                .resideInAnyPackage("dev.gatehouse.tls..", "dev.gatehouse.config..", "java..", "javax..",
                        "org.bouncycastle..",
                        // logging only: slf4j is the API every module logs through
                        "org.slf4j..")
                .because("tls is plain JDK/Bouncy Castle API over config (DESIGN.md, Layout)")
                .check(TLS);
    }
}
