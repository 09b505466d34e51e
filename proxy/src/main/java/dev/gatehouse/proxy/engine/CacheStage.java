package dev.gatehouse.proxy.engine;

import dev.gatehouse.proxy.cache.CacheControl;
import dev.gatehouse.proxy.cache.CacheKey;
import dev.gatehouse.proxy.cache.CacheStatus;
import dev.gatehouse.proxy.cache.Conditional;
import dev.gatehouse.proxy.cache.Freshness;
import dev.gatehouse.proxy.cache.Invalidation;
import dev.gatehouse.proxy.cache.MissCollapsing;
import dev.gatehouse.proxy.cache.Ranges;
import dev.gatehouse.proxy.cache.ResponseCache;
import dev.gatehouse.proxy.cache.Storability;
import dev.gatehouse.proxy.cache.StoredResponse;
import dev.gatehouse.proxy.cache.Validators;
import dev.gatehouse.proxy.cache.Vary;
import dev.gatehouse.proxy.route.RouteCaching;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One request's trip through the response cache (RFC 9111), a stage of the {@link Exchange} between the request
 * filters and backend selection. It looks the request up, answers it from a stored response when one may be used
 * (fresh, or stale where the directives allow, a conditional request with 304, a range with 206 or 416, HEAD from a
 * stored GET), else lets the exchange go forward (collapsed with concurrent misses of the same key, conditional when a
 * stored response can be revalidated), and stores what comes back when it may: the body is copied aside as it streams
 * to the client, up to {@code max-entry-size}, and put in the store after the client has its answer. Unsafe requests
 * that succeed invalidate what they changed (§4.4).
 *
 * <p>Lives on the exchange's event loop, like the exchange.
 */
final class CacheStage {

    /** Keys with a background refresh in flight on this node (stale-while-revalidate: one refresh per key). */
    private static final Set<String> REFRESHING = ConcurrentHashMap.newKeySet();
    /** Keys whose last fill was not storable: their misses do not wait for one another. */
    static final UncacheableKeys UNCACHEABLE = new UncacheableKeys();
    /** The pseudo request field that keeps one route's stored responses apart from another's under one URL. */
    static final String ROUTE_FIELD = ":route";
    private static final String SURROGATE_KEY = "Surrogate-Key";
    private static final String CACHE_TAG = "Cache-Tag";
    private static final String RANGE = "Range";

    private final Exchange x;
    private final RouteCaching caching;
    private final ResponseCache cache;
    private final boolean head;
    private final CacheControl requestCc;
    /** Background refresh of a stale entry (no client waits for it). */
    private final boolean refresh;
    /** False when only invalidating for an unsafe request on a route that does not cache: nothing else shows. */
    private final boolean routeCaches;
    private String key;
    CacheStatus cacheStatus;

    /** The stored variant that matched (stale, or being revalidated), prepared. */
    private Prepared stale;
    /** Forward to fill the cache: the response may be stored. */
    private boolean fetching;
    /** Forward conditionally, to revalidate {@link #stale}. */
    private boolean revalidating;
    /** Why a stored response was revalidated: it was stale, or the request asked (fwd=request). */
    private CacheStatus.Fwd revalidationFwd = CacheStatus.Fwd.STALE;
    /** A 304 selected nothing stored, and the origin was asked again unconditionally. */
    private boolean refetched;
    private boolean leader;
    private boolean collapsed;
    /** The upstream response is consumed by the cache: a 304 that revalidated, or a 5xx replaced by a stale hit. */
    boolean takeover;
    private boolean staleOnError;
    /** The client gets a 304 made from the 200 being stored: the body goes to the store only. */
    boolean suppressBody;
    private long requestTimeMillis;
    private long responseTimeMillis;
    private int upstreamStatus;
    private MultiMap upstreamHeaders;
    /** The request as sent upstream (a fill's): what the origin's Vary refers to. */
    private MultiMap upstreamRequest;

    // The body copied aside for the store.
    private boolean capturing;
    private boolean putStarted;
    private byte[] captured;
    private int capturedLength;
    private Storability.Decision decision;
    private long keepUntilMillis;

    private CacheStage(Exchange x, RouteCaching caching, ResponseCache cache, boolean refresh) {
        this.x = x;
        this.caching = caching;
        this.cache = cache;
        this.refresh = refresh;
        this.head = x.method() == HttpMethod.HEAD;
        this.requestCc = CacheControl.request(x.headers());
        this.routeCaches = x.route.caching == caching;
    }

    /**
     * The stage of an exchange on a caching route. Returns true when it took the request over (a lookup that ends
     * by answering, or by calling {@link Exchange#forward}); false when the exchange goes forward at once.
     */
    static CacheStage of(Exchange x, RouteCaching caching, ResponseCache cache, boolean refresh) {
        return new CacheStage(x, caching, cache, refresh);
    }

    boolean begin() {
        HttpMethod m = x.method();
        if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
            // Unsafe methods go forward and invalidate on success (responseHead); others pass by.
            cacheStatus = CacheStatus.forward(CacheStatus.Fwd.METHOD);
            return false;
        }
        String authority = x.hostHeader();
        if (authority == null || x.hasRequestBody() || "*".equals(x.path())) {
            cacheStatus = CacheStatus.forward(CacheStatus.Fwd.BYPASS);
            return false;
        }
        if (x.headers().contains("If-Match") || x.headers().contains("If-Unmodified-Since")) {
            // RFC 9111 §4.3.2: preconditions only the origin can judge; a cache "MUST NOT evaluate" them, and a
            // stored 200 would answer one that fails. They go to the origin as sent, and its answer is not stored.
            cacheStatus = CacheStatus.forward(CacheStatus.Fwd.REQUEST).detail("origin-precondition");
            return false;
        }
        key = CacheKey.primary("GET", x.handler.listener.scheme(), authority, x.pathAndQuery());
        lookup(false);
        return true;
    }

    private void lookup(boolean afterWait) {
        io.vertx.core.Future<List<StoredResponse>> f = cache.store().get(key);
        f.onComplete(ar -> {
            if (x.done) {
                return;
            }
            found(ar.succeeded() ? ar.result() : List.of(), afterWait);
        });
    }

    private void found(List<StoredResponse> variants, boolean afterWait) {
        Instant now = Instant.now();
        StoredResponse match = null;
        for (StoredResponse v : variants) {
            if (matches(v)) {
                match = v;
                break;
            }
        }
        if (match == null) {
            if (requestCc.onlyIfCached()) {
                gatewayTimeout();
                return;
            }
            cacheStatus = CacheStatus.forward(variants.isEmpty() ? CacheStatus.Fwd.URI_MISS
                    : CacheStatus.Fwd.VARY_MISS);
            fetch(afterWait);
            return;
        }
        Prepared p = x.handler.prepared(match, caching);
        Freshness.Reuse reuse = refresh ? Freshness.Reuse.REVALIDATE : p.freshness.reuse(requestCc, now);
        switch (reuse) {
            case FRESH, STALE -> serve(p, now, CacheStatus.hit());
            case STALE_WHILE_REVALIDATE -> {
                // A hit (RFC 9211: hit and fwd exclude each other); its negative ttl says it was stale.
                serve(p, now, CacheStatus.hit().detail("stale-while-revalidate"));
                backgroundRefresh();
            }
            case GATEWAY_TIMEOUT -> gatewayTimeout();
            case REVALIDATE -> {
                stale = p;
                // Forwarded for the request's directives (no-cache, max-age=0...) while still fresh: fwd=request.
                revalidationFwd = requestCc.noCache() || p.freshness.fresh(now)
                        ? CacheStatus.Fwd.REQUEST : CacheStatus.Fwd.STALE;
                cacheStatus = CacheStatus.forward(revalidationFwd);
                revalidating = Validators.hasValidator(p.headers);
                fetch(afterWait);
            }
        }
    }

    /** Whether a stored variant answers this request: the same route, and every field its Vary names (§4.1). */
    private boolean matches(StoredResponse v) {
        String route = null;
        MultiMap varied = null;
        for (StoredResponse.Header h : v.vary()) {
            if (h.name().equals(ROUTE_FIELD)) {
                route = h.value();
            } else {
                if (varied == null) {
                    varied = MultiMap.caseInsensitiveMultiMap();
                }
                varied.add(h.name(), h.value());
            }
        }
        if (!x.route.name.equals(route)) {
            return false;
        }
        boolean varies = false;
        for (StoredResponse.Header h : v.headers()) {
            if (h.name().equalsIgnoreCase("Vary")) {
                varies = true;
                break;
            }
        }
        if (!varies) {
            return true;
        }
        MultiMap stored = MultiMap.caseInsensitiveMultiMap();
        for (StoredResponse.Header h : v.headers()) {
            stored.add(h.name(), h.value());
        }
        return Vary.of(stored).matches(varied == null ? MultiMap.caseInsensitiveMultiMap() : varied, x.headers());
    }

    /** Goes forward to fill the cache: collapsed with the other misses of the key unless it already waited. */
    private void fetch(boolean afterWait) {
        if (head || x.headers().contains(RANGE)) {
            // A HEAD response or a part is not what a stored GET is made of: forward, store nothing.
            x.forward();
            return;
        }
        fetching = true;
        if (afterWait) {
            x.forwardAfterWait();
            return;
        }
        if (refresh || caching.collapseWaitMillis <= 0 || requestCc.noStore()
                || UNCACHEABLE.marked(key, System.currentTimeMillis())) {
            x.forward();
            return;
        }
        MissCollapsing collapsing = cache.collapsing();
        collapsing.join(key, caching.collapseWaitMillis).onComplete(ar -> {
            MissCollapsing.Turn turn = ar.succeeded() ? ar.result() : MissCollapsing.Turn.TIMED_OUT;
            if (x.done) {
                if (turn == MissCollapsing.Turn.LEAD) {
                    collapsing.done(key);
                }
                return;
            }
            switch (turn) {
                case LEAD -> {
                    leader = true;
                    x.forwardAfterWait();
                }
                case FILLED -> {
                    collapsed = true;
                    x.handler.observer.cacheCollapsed(x.route.name);
                    lookup(true);
                }
                case TIMED_OUT -> x.forwardAfterWait();
            }
        });
    }

    private void gatewayTimeout() {
        // Generated here and based on no stored response: no Cache-Status member (RFC 9211 §2).
        cacheStatus = CacheStatus.forward(CacheStatus.Fwd.MISS).detail("only-if-cached");
        x.respond(504, "only-if-cached: nothing usable is stored\n", null, "CACHE_MISS_ONLY_IF_CACHED", false);
    }

    /** Stale-while-revalidate: another exchange, with no client, revalidates the entry on this event loop. */
    private void backgroundRefresh() {
        if (!REFRESHING.add(key)) {
            return;
        }
        String k = key;
        try {
            Exchange r = new Exchange(x.handler, new RefreshDownstream(x.downstream, x.headers(), () -> REFRESHING.remove(k)));
            r.refresh = true;
            r.start();
        } catch (RuntimeException e) {
            REFRESHING.remove(k);
            throw e;
        }
    }

    // ---- answering from the store ---------------------------------------------------------------------------

    private void serve(Prepared p, Instant now, CacheStatus s) {
        cacheStatus = s.ttl(p.freshness.ttl(now)).collapsed(collapsed);
        String method = head ? "HEAD" : "GET";
        long length = p.body.remaining();
        Instant responseTime = p.stored.responseTime();
        HeadersMultiMap out;
        int code = p.stored.status();
        ByteBuf body;
        boolean bodiless = head || code == 204 || code == 304;
        if (code == 200 && Conditional.notModified(method, x.headers(), p.headers, responseTime)) {
            code = 304;
            bodiless = true;
            out = x.relayedHeaders(Conditional.notModifiedHeaders(p.headers), "1.1");
            body = Unpooled.EMPTY_BUFFER;
        } else {
            out = x.relayedHeaders(p.headers, "1.1");
            body = p.content();
            if (code == 200 && x.headers().contains(RANGE)) {
                Ranges.Answer a = Ranges.answer(method, x.headers(), p.headers, length, now);
                if (a.status() == 206) {
                    code = 206;
                    out.set("Content-Range", a.contentRange());
                    body = body.slice((int) a.first(), (int) (a.last() - a.first() + 1));
                } else if (a.status() == 416) {
                    code = 416;
                    out.set("Content-Range", a.contentRange());
                    body.release();
                    body = Unpooled.EMPTY_BUFFER;
                }
            }
            if (code == 204) {
                out.remove(HttpHeaders.CONTENT_LENGTH); // RFC 9110 §8.6: never on a 204
            } else {
                out.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.readableBytes()));
            }
        }
        out.set("Age", Long.toString(p.freshness.age(now)));
        // The request id is this request's, not the one the origin echoed when the response was stored.
        out.set(Forwarding.X_REQUEST_ID, x.requestId());
        decorate(out);
        x.serveStored(code, out, body, bodiless);
    }

    /** Marks a response the client gets: targeted cache fields removed, this cache's Cache-Status member added. */
    private void decorate(MultiMap out) {
        CacheControl.stripTargeted(out, caching.stripCdnCacheControl);
        cacheStatus.appendTo(out);
    }

    // ---- going forward ----------------------------------------------------------------------------------------

    /** The upstream request: a fill asks for the whole response (the cache answers the client's conditions). */
    void upstreamRequest(MultiMap out) {
        requestTimeMillis = System.currentTimeMillis();
        if (fetching) {
            upstreamRequest = out;
            Validators.stripClientConditionals(out);
            if (revalidating) {
                out.addAll(Validators.revalidationHeaders(stale.headers));
            }
        }
    }

    /**
     * The head of the response the exchange will relay. Returns true when the cache takes the response over (a 304
     * that revalidated the stored response, or an error a stale response answers instead): the exchange then drains
     * it and calls {@link #takenOver}.
     */
    boolean responseHead(int code, MultiMap res) {
        responseTimeMillis = System.currentTimeMillis();
        upstreamStatus = code;
        HttpMethod m = x.method();
        if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
            invalidate(m, code, res);
            cacheStatus.fwdStatus(code);
            return false;
        }
        if (cacheStatus == null || key == null) {
            return false;
        }
        cacheStatus.fwdStatus(code);
        if (stale != null && revalidating && code == 304) {
            upstreamHeaders = copy(res);
            takeover = true;
            return true;
        }
        if (stale != null && (code == 500 || code == 502 || code == 503 || code == 504)
                && stale.freshness.usableOnError(requestCc, Instant.ofEpochMilli(responseTimeMillis))) {
            takeover = true;
            staleOnError = true;
            return true;
        }
        if (!fetching) {
            return false;
        }
        CacheControl responseCc = CacheControl.response(res);
        decision = caching.storability.decide("GET", x.headers(), code, res, requestCc, responseCc);
        if (!decision.storable()) {
            cacheStatus.detail(decision.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            notStorable();
            return false;
        }
        if (variesOnProxyFields(res)) {
            // The origin varies on a field a filter set or changed: the client's request cannot select it.
            cacheStatus.detail("vary-on-proxy-field");
            notStorable();
            return false;
        }
        Freshness f = Freshness.of(code, res, responseCc, Instant.ofEpochMilli(requestTimeMillis),
                Instant.ofEpochMilli(responseTimeMillis), caching.heuristic);
        keepUntilMillis = keepUntil(f, responseCc, res, responseTimeMillis);
        long declared = contentLength(res);
        if (keepUntilMillis <= responseTimeMillis) {
            cacheStatus.detail("stale-on-arrival");
            notStorable();
            return false;
        }
        if (declared > caching.maxEntryBytes || declared > Integer.MAX_VALUE - 16) {
            cacheStatus.detail("too-large");
            notStorable();
            return false;
        }
        upstreamHeaders = copy(res);
        capturing = true;
        captured = new byte[declared >= 0 ? (int) declared : 4096];
        cacheStatus.stored(true).ttl(f.ttl(Instant.ofEpochMilli(responseTimeMillis)));
        return false;
    }

    /**
     * The relayed head, about to go to the client: marked, and when the client's own condition holds on the response
     * being stored (its conditionals were not sent upstream), replaced by the head of a 304.
     */
    HeadersMultiMap downstreamHead(int code, HeadersMultiMap out) {
        if (cacheStatus == null || !routeCaches) {
            return out;
        }
        if (fetching && code == 200 && upstreamHeaders != null
                && Conditional.notModified("GET", x.headers(), upstreamHeaders, Instant.ofEpochMilli(responseTimeMillis))) {
            suppressBody = true;
            HeadersMultiMap h = x.relayedHeaders(Conditional.notModifiedHeaders(upstreamHeaders), "1.1");
            decorate(h);
            return h;
        }
        decorate(out);
        return out;
    }

    /** Copies a piece of the body aside for the store, until it would exceed {@code max-entry-size}. */
    void body(ByteBuf piece) {
        if (!capturing) {
            return;
        }
        int n = piece.readableBytes();
        long total = (long) capturedLength + n;
        if (total > caching.maxEntryBytes) {
            // Too large to store: it streams through; the copy so far goes.
            capturing = false;
            captured = null;
            releaseLeader();
            return;
        }
        if (total > captured.length) {
            captured = Arrays.copyOf(captured, (int) Math.min(caching.maxEntryBytes,
                    Math.max(total, (long) captured.length * 2)));
        }
        piece.getBytes(piece.readerIndex(), captured, capturedLength, n);
        capturedLength += n;
    }

    /** The whole response went to the client: what was copied aside is stored, without the client waiting. */
    void responseEnd() {
        if (!capturing) {
            return;
        }
        capturing = false;
        putStarted = true;
        Instant now = Instant.now();
        MultiMap storedFields = Validators.storedHeaders(upstreamHeaders, decision.stripFields());
        storedFields.remove(HttpHeaders.CONTENT_LENGTH);
        storedFields.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(capturedLength));
        StoredResponse r = new StoredResponse(upstreamStatus, fields(storedFields),
                ByteBuffer.wrap(captured, 0, capturedLength), Instant.ofEpochMilli(requestTimeMillis),
                Instant.ofEpochMilli(responseTimeMillis), varied(upstreamHeaders), tags(upstreamHeaders), now,
                Instant.ofEpochMilli(keepUntilMillis));
        captured = null;
        put(r);
    }

    private void put(StoredResponse r) {
        String route = x.route.name;
        long bytes = r.body().remaining();
        var observer = x.handler.observer;
        UNCACHEABLE.clear(key);
        cache.store().put(key, r).onComplete(ar -> {
            observer.cacheStore(route, ar.succeeded(), bytes);
            releaseLeader();
        });
    }

    /** The cache took the upstream response over; it has been read to its end. */
    void takenOver() {
        Instant now = Instant.now();
        if (staleOnError) {
            serve(stale, now, CacheStatus.forward(CacheStatus.Fwd.STALE).fwdStatus(upstreamStatus)
                    .detail("stale-if-error"));
            return;
        }
        if (!Validators.selects(stale.headers, upstreamHeaders)) {
            // §4.3.4: a 304 that selects nothing stored updates nothing and cannot answer a client that asked
            // unconditionally: the representation changed under another validator (a farm of origins with ETags of
            // their own, say). Asked once more without conditionals, as nginx and Varnish refetch; that answer is
            // relayed and stored like any miss's.
            if (!refetched) {
                refetched = true;
                takeover = false;
                revalidating = false;
                upstreamHeaders = null;
                cacheStatus.detail("304-mismatch");
                x.refetch();
                return;
            }
            releaseLeader();
            x.fail(ProxyError.UPSTREAM_PROTOCOL, "304 Not Modified does not match the stored response");
            return;
        }
        // §4.3.4: the stored response with the 304's fields, fresh again from the time of the 304.
        MultiMap merged = Validators.merge(stale.headers, upstreamHeaders);
        // Age counts from the validation (RFC 9111 §5.1): the stored response's old Age goes, the 304's own stays.
        merged.remove("Age");
        if (upstreamHeaders.contains("Age")) {
            merged.set("Age", upstreamHeaders.get("Age"));
        }
        CacheControl responseCc = CacheControl.response(merged);
        Freshness f = Freshness.of(stale.stored.status(), merged, responseCc, Instant.ofEpochMilli(requestTimeMillis),
                Instant.ofEpochMilli(responseTimeMillis), caching.heuristic);
        long keep = keepUntil(f, responseCc, merged, responseTimeMillis);
        StoredResponse r = new StoredResponse(stale.stored.status(), fields(merged), stale.stored.body(),
                Instant.ofEpochMilli(requestTimeMillis), Instant.ofEpochMilli(responseTimeMillis), stale.stored.vary(),
                tags(merged), now, Instant.ofEpochMilli(Math.max(keep, responseTimeMillis + 1)));
        // The updated response is stored only if it still may be: a 304 can bring private, no-store or Set-Cookie.
        boolean store = keep > responseTimeMillis && caching.storability.decide("GET", x.headers(),
                stale.stored.status(), merged, requestCc, responseCc).storable();
        Prepared p = new Prepared(r, caching);
        if (store) {
            putStarted = true;
            put(r);
        } else {
            releaseLeader();
        }
        serve(p, now, CacheStatus.forward(revalidationFwd).fwdStatus(304).stored(store));
    }

    /**
     * The exchange is failing with a proxy error before any of the response went out: a stale response answers
     * instead where stale-if-error (or the request's max-stale) allows it. True when it did.
     */
    boolean answersError(ProxyError error) {
        if (stale == null || x.done || !upstreamError(error)) {
            return false;
        }
        Instant now = Instant.now();
        if (!stale.freshness.usableOnError(requestCc, now)) {
            return false;
        }
        Prepared p = stale;
        stale = null;
        serve(p, now, CacheStatus.forward(CacheStatus.Fwd.STALE).detail("stale-if-error"));
        return true;
    }

    private static boolean upstreamError(ProxyError e) {
        return e == ProxyError.UPSTREAM_CONNECT_FAILED || e == ProxyError.UPSTREAM_RESET
                || e == ProxyError.UPSTREAM_TIMEOUT || e == ProxyError.NO_HEALTHY_BACKEND
                || e == ProxyError.UPSTREAM_PROTOCOL || e == ProxyError.OVERLOADED;
    }

    /** The exchange is over: a leader that stores nothing lets its followers go on. */
    void finished() {
        capturing = false;
        captured = null;
        if (!putStarted) {
            releaseLeader();
        }
    }

    /** The fill's answer will not be stored: the waiting misses go on, and the next ones do not wait (hit-for-miss). */
    private void notStorable() {
        if (upstreamStatus < 500) {
            // A 5xx says nothing lasting about the resource; collapsing still shields a struggling origin.
            UNCACHEABLE.mark(key, responseTimeMillis);
        }
        releaseLeader();
    }

    private void releaseLeader() {
        if (leader) {
            leader = false;
            cache.collapsing().done(key);
        }
    }

    /** §4.4: a successful unsafe request invalidates the target and the same-origin locations it names. */
    private void invalidate(HttpMethod m, int code, MultiMap res) {
        String authority = x.hostHeader();
        if (authority == null) {
            return;
        }
        List<String> keys = Invalidation.keys(m.name(), code, x.handler.listener.scheme(), authority,
                x.pathAndQuery(), res);
        if (keys.isEmpty()) {
            return;
        }
        for (String k : keys) {
            cache.store().remove(k);
        }
        x.handler.observer.cacheInvalidated(x.route.name, keys.size());
    }

    /** The X-Cache word for the access log. */
    String summary() {
        if (!routeCaches) {
            return null;
        }
        return cacheStatus == null ? CacheStatus.Summary.BYPASS.name() : cacheStatus.summary().name();
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * Until when the store keeps a response: its expiry, plus the longest stale window it may be served in, plus
     * {@code keep} when it has a validator (so it can still be revalidated with a 304 instead of refetched).
     */
    private long keepUntil(Freshness f, CacheControl cc, MultiMap headers, long responseTime) {
        long expires = responseTime + f.ttl(Instant.ofEpochMilli(responseTime)) * 1000;
        long window = Math.max(Math.max(cc.staleWhileRevalidate(), cc.staleIfError()), 0) * 1000;
        long keep = Validators.hasValidator(headers) ? caching.keepMillis : 0;
        return expires + window + keep;
    }

    /** Whether a field the response's Vary names went upstream with other values than the client sent. */
    private boolean variesOnProxyFields(MultiMap res) {
        if (upstreamRequest == null || !res.contains("Vary")) {
            return false;
        }
        for (String name : Vary.of(res).names()) {
            if (!x.headers().getAll(name).equals(upstreamRequest.getAll(name))) {
                return true;
            }
        }
        return false;
    }

    private static long contentLength(MultiMap res) {
        String v = res.get(HttpHeaders.CONTENT_LENGTH);
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static MultiMap copy(MultiMap in) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> e : in) {
            out.add(e.getKey(), e.getValue());
        }
        return out;
    }

    private static List<StoredResponse.Header> fields(MultiMap in) {
        List<StoredResponse.Header> out = new ArrayList<>(in.size());
        for (Map.Entry<String, String> e : in) {
            out.add(new StoredResponse.Header(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The route, and the request's values of the fields the response's Vary names (§4.1). */
    private List<StoredResponse.Header> varied(MultiMap res) {
        List<StoredResponse.Header> out = new ArrayList<>(2);
        out.add(new StoredResponse.Header(ROUTE_FIELD, x.route.name));
        for (String name : Vary.of(res).names()) {
            for (String v : x.headers().getAll(name)) {
                out.add(new StoredResponse.Header(name, v));
            }
        }
        return out;
    }

    /** Purge tags: {@code Surrogate-Key} (space-separated) and {@code Cache-Tag} (comma-separated). */
    static List<String> tags(MultiMap res) {
        Set<String> tags = new LinkedHashSet<>();
        for (String line : res.getAll(SURROGATE_KEY)) {
            for (String t : line.trim().split("\\s+")) {
                if (!t.isEmpty()) {
                    tags.add(t);
                }
            }
        }
        for (String line : res.getAll(CACHE_TAG)) {
            for (String t : line.split(",")) {
                String s = t.trim();
                if (!s.isEmpty()) {
                    tags.add(s);
                }
            }
        }
        return List.copyOf(tags);
    }

    /**
     * A stored response made ready to answer from: its fields as a map and its freshness, computed once per stored
     * instance (a store hands out the same instance until the entry changes) and kept per event loop.
     */
    static final class Prepared {
        final StoredResponse stored;
        final RouteCaching caching;
        final MultiMap headers;
        final Freshness freshness;
        final ByteBuffer body;

        Prepared(StoredResponse stored, RouteCaching caching) {
            this.stored = stored;
            this.caching = caching;
            HeadersMultiMap h = HeadersMultiMap.httpHeaders();
            for (StoredResponse.Header f : stored.headers()) {
                h.add(f.name(), f.value());
            }
            this.headers = h;
            this.freshness = Freshness.of(stored.status(), h, CacheControl.response(h), stored.requestTime(),
                    stored.responseTime(), caching.heuristic);
            this.body = stored.body();
        }

        /** A copy of the body in direct memory, written to sockets as it is; owned by the loop's slot. */
        ByteBuf direct;

        int makeDirect() {
            int n = body.remaining();
            ByteBuf d = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(n, n);
            d.writeBytes(body.duplicate());
            direct = d;
            return n;
        }

        /** Gives up the direct copy (responses still being written keep their own references); its size. */
        int releaseDirect() {
            ByteBuf d = direct;
            if (d == null) {
                return 0;
            }
            direct = null;
            int n = d.readableBytes();
            d.release();
            return n;
        }

        /** The body to send: a retained view of the direct copy, or the stored bytes wrapped. */
        ByteBuf content() {
            ByteBuf d = direct;
            return d != null ? d.retainedDuplicate() : Unpooled.wrappedBuffer(body.duplicate());
        }
    }
}
