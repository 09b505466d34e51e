package dev.gatehouse.proxy.filter;

import dev.gatehouse.proxy.route.ProxyRuntime;

import dev.gatehouse.config.CacheConfig;
import dev.gatehouse.config.ConfigParser;
import dev.gatehouse.config.ConfigProblem;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.SharedConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An admin write can name any file the node can read as a JWKS or a pool's CA bundle; when it is not one, the problem
 * names the file and what is wrong, never its text (which would let a write token read the node's files).
 */
class JwksFileErrorsTest {

    private static final String CANARY = "CANARY-S3CRET";

    @TempDir
    Path dir;

    @Test
    void problemsNameTheFileButQuoteNothingFromIt() throws Exception {
        List<String> contents = List.of(
                "root:x:0:0:" + CANARY + "\n",
                "{\"keys\": [" + CANARY + "]}",
                "{\"keys\": [{\"kty\": \"EC\", \"crv\": \"" + CANARY + "\", \"x\": \"AA\", \"y\": \"AA\"}]}",
                "{\"keys\": \"" + CANARY + "\"}",
                "{\"keys\": [{\"kty\": \"RSA\", \"n\": \"" + CANARY + "!\", \"e\": \"AQAB\"}]}");
        for (int i = 0; i < contents.size(); i++) {
            Path jwks = dir.resolve("jwks-" + i + ".json");
            Files.writeString(jwks, contents.get(i), StandardCharsets.UTF_8);
            Path ca = dir.resolve("ca-" + i + ".pem");
            Files.writeString(ca, contents.get(i), StandardCharsets.UTF_8);
            GatehouseConfig config = ConfigParser.parse("listeners: [ { name: l, port: 0 } ]\n"
                    + "pools: [ { name: p, backends: [ { url: \"https://127.0.0.1:1\" } ], tls: { ca: \"" + ca + "\" } } ]\n"
                    + "routes: [ { name: r, pool: p, filters: [ { type: jwt, issuer: i, audience: a, jwks: \""
                    + jwks + "\" } ] } ]\n");
            List<ConfigProblem> problems = new ProxyRuntime(new SharedConfig(List.of(), List.of(), CacheConfig.DEFAULT), 1)
                    .check(config.shared());
            assertThat(problems).as(contents.get(i)).extracting(ConfigProblem::path)
                    .contains("routes[0].filters[0]", "pools[0].tls.ca");
            assertThat(problems).as(contents.get(i)).allSatisfy(p -> assertThat(p.message())
                    .doesNotContain(CANARY).doesNotContain("root:x"));
            assertThat(problems).anySatisfy(p -> assertThat(p.message()).contains(jwks.toString()));
        }
    }
}
