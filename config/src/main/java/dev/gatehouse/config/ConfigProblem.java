package dev.gatehouse.config;

/**
 * One thing wrong with a configuration, located by its path ({@code routes[2].pool}).
 *
 * @param path    the dotted/indexed path of the offending value; empty for the whole document
 * @param message what is wrong and, where possible, what was expected
 */
public record ConfigProblem(String path, String message) {

    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
