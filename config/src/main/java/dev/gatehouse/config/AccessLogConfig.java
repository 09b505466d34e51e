package dev.gatehouse.config;

/**
 * The node's access log ({@code access-log}): one line per request, written by a dedicated thread. Node-local:
 * each node decides where its own log goes. Routes switch it off one by one with {@code access-log: false}.
 *
 * @param enabled true when the section is present unless set false
 * @param path    a file (appended to, folders created) or {@code -} / absent for standard output
 * @param format  {@code json} (one JSON object per line) or {@code common} (the combined log format plus extras)
 * @param sample  the fraction of requests logged, 0.0-1.0; responses with status 500 and above are always logged
 */
public record AccessLogConfig(Boolean enabled, String path, Format format, Double sample) {

    /** No access log: what a file without an {@code access-log} section gets. */
    public static final AccessLogConfig OFF = new AccessLogConfig(false, null, null, null);

    /** Line formats. */
    public enum Format { JSON, COMMON }

    public AccessLogConfig {
        enabled = enabled == null ? Boolean.TRUE : enabled;
        format = format == null ? Format.JSON : format;
        sample = sample == null ? 1.0 : sample;
    }

    /** True when lines go to standard output. */
    public boolean toStdout() {
        return path == null || path.equals("-");
    }
}
