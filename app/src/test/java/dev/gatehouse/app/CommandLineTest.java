package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line: exit codes and what it prints for good and bad input. */
class CommandLineTest {

    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    Path file(String text) throws IOException {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void validateAcceptsTheDemoConfig() {
        assertThat(run("validate", "--config", "../config/examples/demo.yaml")).isZero();
        assertThat(out()).contains("OK");
    }

    @Test
    void validatePrintsEveryErrorWithItsPathAndExits2() throws IOException {
        Path f = file("""
                listeners: [ { name: public, port: 8080, idle-timout: 5s } ]
                pools:
                  - { name: api, balancer: round-robbin, backends: [ { url: "http://127.0.0.1:9001" } ] }
                routes:
                  - { name: r, pool: apii, match: { path-prefix: / } }
                """);
        assertThat(run("validate", "--config", f.toString())).isEqualTo(2);
        assertThat(err()).contains("configuration has 3 errors")
                .contains("listeners[0].idle-timout: unknown key (did you mean \"idle-timeout\"?)")
                .contains("pools[0].balancer: \"round-robbin\" is not one of")
                .contains("routes[0].pool: unknown pool \"apii\"");
    }

    @Test
    void runRefusesABadConfigWithExit2AndStartsNothing() throws IOException {
        Path f = file("listeners: [ { name: public, port: 70000 } ]\n");
        assertThat(run("run", "--config", f.toString())).isEqualTo(2);
        assertThat(err()).contains("listeners[0].port: 70000 (expected: 0-65535)");
    }

    @Test
    void aMissingFileOrABrokenYamlIsAClearError() throws IOException {
        assertThat(run("validate", "--config", dir.resolve("nope.yaml").toString())).isEqualTo(2);
        assertThat(err()).contains("nope.yaml: no such file");
        Path f = file("listeners: [ { name: public\n");
        assertThat(run("validate", "--config", f.toString())).isEqualTo(2);
        assertThat(err()).contains("line");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err()).contains("unknown command \"frobnicate\"");
        assertThat(run("validate")).isEqualTo(2);
        assertThat(err()).contains("--config is required");
        assertThat(run("validate", "--config")).isEqualTo(2);
        assertThat(run("run", "--confg", "x")).isEqualTo(2);
        assertThat(err()).contains("unknown option \"--confg\"");
    }

    @Test
    void aJwtFilterWhoseJwksCannotBeReadIsReportedWithItsPath() throws IOException {
        Path f = file("""
                listeners: [ { name: public, port: 8080 } ]
                pools: [ { name: api, backends: [ { url: "http://127.0.0.1:9001" } ] } ]
                routes:
                  - name: r
                    pool: api
                    filters: [ { type: jwt, issuer: "https://id.example.com", jwks: jwks.json } ]
                """);
        assertThat(run("validate", "--config", f.toString())).isEqualTo(2);
        assertThat(err()).contains("routes[0].filters[0]: jwks.json: cannot read JWKS");
    }
}
