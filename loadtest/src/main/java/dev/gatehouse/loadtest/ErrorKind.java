package dev.gatehouse.loadtest;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/** Why a request did not succeed; the labels appear in the report. */
enum ErrorKind {
    /** A response with a 4xx status. */
    STATUS_4XX("4xx"),
    /** A response with a 5xx status. */
    STATUS_5XX("5xx"),
    /** No connection: refused, unreachable, unknown host or connect timeout. */
    CONNECT("connect"),
    /** Connected, but no response bytes for longer than the timeout. */
    TIMEOUT("timeout"),
    /** The connection failed mid-exchange: reset, closed early, protocol error. */
    IO("io"),
    /** Open loop only: due before the end of the run but never sent, because the in-flight cap was reached. */
    UNSENT("unsent");

    final String label;

    ErrorKind(String label) {
        this.label = label;
    }

    /** The error kind of a status, or {@code null} for 1xx-3xx. */
    static ErrorKind ofStatus(int status) {
        if (status >= 500) {
            return STATUS_5XX;
        }
        return status >= 400 ? STATUS_4XX : null;
    }

    static ErrorKind ofFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException) {
                return CONNECT;
            }
            if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return TIMEOUT;
            }
        }
        return IO;
    }
}
