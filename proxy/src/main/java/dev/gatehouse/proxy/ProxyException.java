package dev.gatehouse.proxy;

/** A failure with its {@link ProxyError}; no stack trace, because these are expected and frequent. */
final class ProxyException extends RuntimeException {

    final ProxyError error;

    ProxyException(ProxyError error, String detail) {
        super(detail, null, false, false);
        this.error = error;
    }
}
