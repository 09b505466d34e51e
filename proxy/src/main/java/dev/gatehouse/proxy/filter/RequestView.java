package dev.gatehouse.proxy.filter;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/**
 * What a {@link ProxyFilter} sees of one request, whatever protocol carried it (HTTP/1.1 on the raw codec, HTTP/2,
 * HTTP/1.x after an upgrade was refused): the parsed method, the normalised path, the client's headers and identity.
 * A filter answers by returning a {@link ProxyFilter.Rejection}. Reading costs no allocation.
 */
public interface RequestView {

    HttpMethod method();

    /** The path in normal form (see {@link PathNormalizer}): what routes match and backends receive. */
    String path();

    /** The first value of request header {@code name}, or {@code null}. */
    String header(CharSequence name);

    /** The client's request headers (read only by convention: edits go to the upstream headers). */
    MultiMap headers();

    /** The client's address: the PROXY protocol source when enabled, else the TCP peer. */
    String clientAddress();

    String requestId();

    /** The Vert.x instance, for filters that hand work to a worker thread or fetch keys. */
    Vertx vertx();

    /** Claims of a verified JWT, set by the jwt filter for the filters after it; {@code null} otherwise. */
    JsonObject claims();

    void claims(JsonObject claims);
}
