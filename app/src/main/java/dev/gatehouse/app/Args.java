package dev.gatehouse.app;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Strict option parsing: known options only, each value present. */
final class Args {

    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static Args parse(String[] args, List<String> options, List<String> booleanFlags) {
        Args a = new Args();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            if (booleanFlags.contains(arg)) {
                a.flags.add(arg);
            } else if (options.contains(arg)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException(arg + " needs a value");
                    }
                    value = args[++i];
                }
                a.values.put(arg, value);
            } else {
                throw new UsageException("unknown option \"" + arg + "\"");
            }
        }
        return a;
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(name + " is required");
        }
        return v;
    }

    String get(String name) {
        return values.get(name);
    }

    boolean flag(String name) {
        return flags.contains(name);
    }
}
