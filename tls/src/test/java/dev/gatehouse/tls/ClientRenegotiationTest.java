package dev.gatehouse.tls;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check really tells the two apart: each case runs in a JVM of its own, because JSSE reads the property once per
 * JVM, at its first server handshake.
 */
class ClientRenegotiationTest {

    /** Entry point of the child JVM: {@code refuse} calls {@link ClientRenegotiation#refuse()} first. */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("refuse")) {
            ClientRenegotiation.refuse();
        }
        System.out.println("refused=" + ClientRenegotiation.refusedByJdk());
    }

    @Test
    void refuseMakesJsseRefuseAClientsRenegotiation() throws Exception {
        assertThat(child("refuse")).isEqualTo("refused=true");
    }

    @Test
    void withoutItJsseRenegotiatesAndTheCheckSeesIt() throws Exception {
        assertThat(child("leave")).isEqualTo("refused=false");
    }

    @Test
    void anOperatorsExplicitSettingWins() throws Exception {
        assertThat(child("refuse", "-D" + ClientRenegotiation.PROPERTY + "=false")).isEqualTo("refused=false");
    }

    @Test
    void inThisJvmTooOnceRefused() {
        ClientRenegotiation.refuse();
        // Only meaningful when no server handshake ran here before; the child JVMs above are the real test.
        assertThat(System.getProperty(ClientRenegotiation.PROPERTY)).isEqualTo("true");
    }

    private static String child(String mode, String... jvmOptions) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-Xmx128m"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                ClientRenegotiationTest.class.getName(), mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.exitValue()).as(out).isZero();
        String[] lines = out.split("\\R");
        return lines[lines.length - 1];
    }
}
