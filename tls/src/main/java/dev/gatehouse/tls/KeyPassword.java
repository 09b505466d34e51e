package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the password of an encrypted private key comes from: nowhere, a file, or an environment variable. Never a
 * literal, so a password never sits in a configuration file. The password is read when a key is loaded (not when
 * this object is made), so a reload picks up a rotated password file. {@link #toString()} names the source, never
 * the password.
 */
public final class KeyPassword {

    private enum Kind { NONE, FILE, ENV, LITERAL }

    private static final KeyPassword NONE = new KeyPassword(Kind.NONE, null, null, null, null);

    private final Kind kind;
    private final Path file;
    private final String variable;
    private final Function<String, String> environment;
    private final char[] literal;

    private KeyPassword(Kind kind, Path file, String variable, Function<String, String> environment,
                        char[] literal) {
        this.kind = kind;
        this.file = file;
        this.variable = variable;
        this.environment = environment;
        this.literal = literal;
    }

    /** No password: the key must not be encrypted. */
    public static KeyPassword none() {
        return NONE;
    }

    /**
     * The password is the content of {@code file} (UTF-8), without trailing line breaks. The config key is
     * {@code key-password-file}.
     */
    public static KeyPassword fromFile(Path file) {
        return new KeyPassword(Kind.FILE, requireNonNull(file, "file"), null, null, null);
    }

    /** The password is the value of the environment variable {@code variable} (config key {@code key-password-env}). */
    public static KeyPassword fromEnv(String variable) {
        return fromEnv(variable, System::getenv);
    }

    /** As {@link #fromEnv(String)} with a replaceable environment, for tests. */
    static KeyPassword fromEnv(String variable, Function<String, String> environment) {
        requireNonNull(variable, "variable");
        if (variable.isBlank()) {
            throw new IllegalArgumentException("variable: blank (expected: an environment variable name)");
        }
        return new KeyPassword(Kind.ENV, null, variable, requireNonNull(environment, "environment"), null);
    }

    /** A password held in memory; only for tests and generated material, never from configuration. */
    static KeyPassword of(char[] password) {
        return new KeyPassword(Kind.LITERAL, null, null, null, requireNonNull(password, "password").clone());
    }

    boolean isNone() {
        return kind == Kind.NONE;
    }

    /** The password file, which a watcher must watch along with the key. */
    Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * Reads the password now; the caller wipes the returned array. Returns {@code null} for {@link #none()}.
     *
     * @throws TlsMaterialException when the file cannot be read, or the file or variable is missing or empty
     */
    char[] resolve() {
        switch (kind) {
            case NONE:
                return null;
            case LITERAL:
                return literal.clone();
            case ENV: {
                String value = environment.apply(variable);
                if (value == null || value.isEmpty()) {
                    throw new TlsMaterialException(null, "key-password-env " + variable + " is not set");
                }
                return stripLineBreaks(value.toCharArray());
            }
            case FILE: {
                byte[] bytes = Pem.read(file);
                try {
                    char[] chars = decodeUtf8(bytes);
                    char[] password = stripLineBreaks(chars);
                    if (password.length == 0) {
                        throw new TlsMaterialException(file, "key password file is empty");
                    }
                    return password;
                } finally {
                    Arrays.fill(bytes, (byte) 0);
                }
            }
            default:
                throw new AssertionError(kind);
        }
    }

    private char[] decodeUtf8(byte[] bytes) {
        try {
            CharBuffer buffer = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            char[] chars = new char[buffer.remaining()];
            buffer.get(chars);
            Arrays.fill(buffer.array(), '\0');
            return chars;
        } catch (CharacterCodingException e) {
            throw new TlsMaterialException(file, "key password file is not UTF-8 text");
        }
    }

    // Editors and `echo` add a final newline that is never part of the password.
    private static char[] stripLineBreaks(char[] chars) {
        int end = chars.length;
        while (end > 0 && (chars[end - 1] == '\n' || chars[end - 1] == '\r')) {
            end--;
        }
        if (end == chars.length) {
            return chars;
        }
        char[] stripped = Arrays.copyOf(chars, end);
        Arrays.fill(chars, '\0');
        return stripped;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof KeyPassword)) {
            return false;
        }
        KeyPassword that = (KeyPassword) o;
        return kind == that.kind && Objects.equals(file, that.file) && Objects.equals(variable, that.variable)
                && Arrays.equals(literal, that.literal);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, file, variable);
    }

    /** Names the source, e.g. {@code key-password-file secrets/site.pass}; never the password itself. */
    @Override
    public String toString() {
        switch (kind) {
            case NONE:
                return "no key password";
            case FILE:
                return "key-password-file " + file;
            case ENV:
                return "key-password-env " + variable;
            default:
                return "in-memory key password";
        }
    }
}
