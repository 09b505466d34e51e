package dev.gatehouse.proxy.filter;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/**
 * A request as filters see it, built by a test: a GET of {@code /} from 127.0.0.1 unless told otherwise. Filters
 * that hand work to other threads (bcrypt, JWKS fetches) get the real Vert.x instance passed in.
 */
public final class TestRequest implements RequestView {

    private HttpMethod method = HttpMethod.GET;
    private String path = "/";
    private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    private String clientAddress = "127.0.0.1";
    private String requestId = "test-request";
    private Vertx vertx;
    private JsonObject claims;

    static TestRequest get() {
        return new TestRequest();
    }

    /** A request carrying {@code pairs} as name, value, name, value... */
    static TestRequest withHeaders(String... pairs) {
        TestRequest r = new TestRequest();
        for (int i = 0; i < pairs.length; i += 2) {
            r.header(pairs[i], pairs[i + 1]);
        }
        return r;
    }

    TestRequest method(HttpMethod method) {
        this.method = method;
        return this;
    }

    TestRequest path(String path) {
        this.path = path;
        return this;
    }

    TestRequest header(String name, String value) {
        headers.add(name, value);
        return this;
    }

    TestRequest client(String address) {
        this.clientAddress = address;
        return this;
    }

    TestRequest requestId(String id) {
        this.requestId = id;
        return this;
    }

    TestRequest vertx(Vertx vertx) {
        this.vertx = vertx;
        return this;
    }

    @Override
    public HttpMethod method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String header(CharSequence name) {
        return headers.get(name);
    }

    @Override
    public MultiMap headers() {
        return headers;
    }

    @Override
    public String clientAddress() {
        return clientAddress;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public Vertx vertx() {
        if (vertx == null) {
            throw new IllegalStateException("this test request has no Vert.x instance: pass one with vertx(...)");
        }
        return vertx;
    }

    @Override
    public JsonObject claims() {
        return claims;
    }

    @Override
    public void claims(JsonObject claims) {
        this.claims = claims;
    }
}
