package dev.gatehouse.proxy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.PackageMatchers;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN.md's module directions, as seen from proxy (config &lt;- tls &lt;- proxy, everything &lt;- app), and the
 * confinement of Vert.x internal APIs. Only this module's main classes are imported.
 */
class ArchitectureTest {

    private static final JavaClasses PROXY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.proxy");

    /** Vert.x packages that are not public API: they change between Vert.x releases without notice. */
    private static final String[] VERTX_INTERNALS = {
            "io.vertx.core.impl..", "io.vertx.core.*.impl..", "io.vertx.core.internal..",
            "io.vertx.core.net.impl..", "io.vertx.core.http.impl.."};

    /**
     * The one adapter over Vert.x internals (issue 10): every other class reaches them through it, so a Vert.x upgrade
     * that breaks one breaks this class, which {@link VertxInternalsTest} checks.
     */
    private static final Set<String> VERTX_INTERNALS_USERS = Set.of("dev.gatehouse.proxy.vertx.VertxInternals");

    /** Vert.x's header map, which its codecs encode directly: used as a plain data type (see VertxInternals). */
    private static final String HEADERS_MULTI_MAP = "io.vertx.core.http.impl.headers.HeadersMultiMap";

    private static final DescribedPredicate<JavaClass> INTERNAL = DescribedPredicate.describe(
            "are Vert.x internals other than HeadersMultiMap", (JavaClass t) -> isInternal(t));

    private static boolean isInternal(JavaClass target) {
        JavaClass c = target.getBaseComponentType();
        if (c.getName().equals(HEADERS_MULTI_MAP)) {
            return false;
        }
        for (String internal : VERTX_INTERNALS) {
            if (PackageMatchers.of(internal).test(c.getPackageName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The proxy's packages by role, and who may use whom: listeners and transports drive the engine; the engine runs
     * routes, filters, the upstream pool, health signals and observers; nothing below calls back up. One direction,
     * so each package can be read (and replaced) from the bottom up.
     */
    @Test
    void rolePackagesDependOneWay() {
        com.tngtech.archunit.library.Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Proxy").definedBy("dev.gatehouse.proxy")
                .layer("Listener").definedBy("dev.gatehouse.proxy.listener..")
                .layer("Engine").definedBy("dev.gatehouse.proxy.engine..")
                .layer("Health").definedBy("dev.gatehouse.proxy.health..")
                .layer("Observe").definedBy("dev.gatehouse.proxy.observe..")
                .layer("Route").definedBy("dev.gatehouse.proxy.route..")
                .layer("Filter").definedBy("dev.gatehouse.proxy.filter..")
                .layer("Upstream").definedBy("dev.gatehouse.proxy.upstream..")
                .layer("Balance").definedBy("dev.gatehouse.proxy.balance..")
                .layer("Vertx").definedBy("dev.gatehouse.proxy.vertx..")
                .layer("Cache").definedBy("dev.gatehouse.proxy.cache..")
                .whereLayer("Listener").mayOnlyBeAccessedByLayers("Proxy")
                .whereLayer("Engine").mayOnlyBeAccessedByLayers("Proxy", "Listener")
                .whereLayer("Health").mayOnlyBeAccessedByLayers("Proxy", "Listener", "Engine")
                .whereLayer("Observe").mayOnlyBeAccessedByLayers("Proxy", "Listener", "Engine")
                .whereLayer("Route").mayOnlyBeAccessedByLayers("Proxy", "Listener", "Engine", "Health", "Observe")
                .whereLayer("Filter").mayOnlyBeAccessedByLayers("Proxy", "Engine", "Route")
                .whereLayer("Upstream").mayOnlyBeAccessedByLayers("Proxy", "Listener", "Engine", "Health", "Route")
                .whereLayer("Vertx").mayOnlyBeAccessedByLayers("Listener", "Upstream")
                .whereLayer("Cache").mayOnlyBeAccessedByLayers("Proxy", "Listener", "Engine", "Route")
                .because("issue 10: a house that shows its architecture, one direction between role packages")
                .check(PROXY);
    }

    /** The cache's RFC semantics are pure: they use nothing of the proxy, so the engine wires them in, not back. */
    @Test
    void cacheUsesNothingOfTheProxy() {
        noClasses().that().resideInAPackage("dev.gatehouse.proxy.cache..")
                .should().dependOnClassesThat(DescribedPredicate.describe("are proxy classes outside the cache",
                        (JavaClass t) -> t.getPackageName().startsWith("dev.gatehouse.proxy")
                                && !t.getPackageName().startsWith("dev.gatehouse.proxy.cache")))
                .because("issue 11: transport-neutral cache semantics over headers, status, method and a clock")
                .check(PROXY);
    }

    @Test
    void rolePackagesAreFreeOfCycles() {
        com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices()
                .matching("dev.gatehouse.proxy.(*)..").should().beFreeOfCycles()
                .check(PROXY);
    }

    @Test
    void importsSomething() {
        assertThat(PROXY).isNotEmpty();
    }

    @Test
    void dependsOnNoModuleAboveIt() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("dev.gatehouse.admin..", "dev.gatehouse.loadtest..", "dev.gatehouse.app..")
                .because("config <- tls <- proxy, everything <- app (DESIGN.md, Layout)")
                .check(PROXY);
    }

    @Test
    void dependsOnNoHazelcast() {
        noClasses().should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
                .because("the data plane sees the cluster through interfaces app wires in")
                .check(PROXY);
    }

    @Test
    void onlyListedClassesUseVertxInternals() {
        noClasses().that(DescribedPredicate.describe("are not listed in VERTX_INTERNALS_USERS",
                        (JavaClass c) -> !VERTX_INTERNALS_USERS.contains(topLevelSimpleName(c))))
                .should().dependOnClassesThat(INTERNAL)
                .because("Vert.x internals break on upgrades: keep their use confined (issue 10)")
                .check(PROXY);
    }

    /** The list is the current state, not a wish: a class that stopped using internals must leave it. */
    @Test
    void everyListedClassStillUsesVertxInternals() {
        Set<String> users = new TreeSet<>();
        for (JavaClass c : PROXY) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                if (isInternal(d.getTargetClass())) {
                    users.add(topLevelSimpleName(c));
                }
            }
        }
        assertThat(users).as("classes of proxy using Vert.x internals (shrink VERTX_INTERNALS_USERS to match)")
                .containsExactlyInAnyOrderElementsOf(VERTX_INTERNALS_USERS);
    }

    private static String topLevelSimpleName(JavaClass c) {
        String name = c.getName().substring(c.getPackageName().length() + 1);
        int nested = name.indexOf('$');
        String top = nested < 0 ? name : name.substring(0, nested);
        // Classes of sub-packages are listed by full name.
        return c.getPackageName().equals("dev.gatehouse.proxy") ? top : c.getPackageName() + "." + top;
    }
}
