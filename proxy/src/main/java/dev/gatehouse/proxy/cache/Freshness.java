package dev.gatehouse.proxy.cache;

import io.vertx.core.MultiMap;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The freshness of one stored response (RFC 9111 §4.2) and whether it may answer a request (§4.2.4, §5.2, RFC 5861).
 * Computed from the stored headers and the two instants the cache recorded when it fetched the response; the clock is
 * always passed in. Ages and lifetimes are in whole seconds (§1.2.2).
 *
 * <p>Stale use is forbidden by {@code must-revalidate} and {@code proxy-revalidate} (§5.2.2.2, §5.2.2.8) and by the
 * response's or the request's {@code no-cache}. {@code s-maxage} implies {@code proxy-revalidate} (§5.2.2.10), so a
 * client's {@code max-stale} cannot reach it; the origin's own explicit {@code stale-while-revalidate} and
 * {@code stale-if-error} windows (RFC 5861) still apply to it, being the more specific permission.
 */
public final class Freshness {

    /**
     * Heuristic freshness (§4.2.2) for responses that may have it: {@code defaultTtl} (a route's default-ttl) when
     * configured, else 10% of the time since Last-Modified, at most {@code cap}.
     */
    public record Heuristic(Duration cap, Duration defaultTtl) {
        /** At most one day, no default TTL. */
        public static final Heuristic DEFAULT = new Heuristic(Duration.ofDays(1), null);
    }

    /** How a stored response may be used for a request. */
    public enum Reuse {
        /** Fresh and acceptable to the request. */
        FRESH,
        /** Stale, and the request's {@code max-stale} accepts it (§5.2.1.2). */
        STALE,
        /** Stale within {@code stale-while-revalidate}: serve it, refresh in the background (RFC 5861 §3). */
        STALE_WHILE_REVALIDATE,
        /** Must be validated (or refetched) before use (§4.3). */
        REVALIDATE,
        /** {@code only-if-cached} and nothing usable: answer 504 (§5.2.1.7). */
        GATEWAY_TIMEOUT
    }

    private final CacheControl response;
    private final long lifetime;
    private final boolean heuristic;
    private final long correctedInitialAgeMillis;
    private final Instant responseTime;

    private Freshness(CacheControl response, long lifetime, boolean heuristic, long correctedInitialAgeMillis,
            Instant responseTime) {
        this.response = response;
        this.lifetime = lifetime;
        this.heuristic = heuristic;
        this.correctedInitialAgeMillis = correctedInitialAgeMillis;
        this.responseTime = responseTime;
    }

    /**
     * @param requestTime  when the cache sent the request that produced the response (§4.2.3 request_time)
     * @param responseTime when the cache received it (§4.2.3 response_time)
     */
    public static Freshness of(int status, MultiMap headers, CacheControl response, Instant requestTime,
            Instant responseTime, Heuristic heuristicPolicy) {
        Instant date = HttpDate.parse(singleton(headers, "Date"), responseTime);
        if (date == null) {
            date = responseTime; // RFC 9110 §6.6.1: a response without Date is dated when received
        }
        long lifetime;
        boolean heuristic = false;
        if (response.sMaxAge() != CacheControl.ABSENT) {
            lifetime = response.sMaxAge(); // §4.2.1: s-maxage first, for a shared cache
        } else if (response.maxAge() != CacheControl.ABSENT) {
            lifetime = response.maxAge();
        } else if (!response.targeted() && headers.contains("Expires")) {
            lifetime = expires(headers.getAll("Expires"), date, responseTime);
        } else if (Storability.HEURISTICALLY_CACHEABLE.contains(status) || response.isPublic()) {
            lifetime = heuristic(headers, date, responseTime, heuristicPolicy);
            heuristic = lifetime > 0;
        } else {
            lifetime = 0;
        }
        // §4.2.3
        long apparentAge = Math.max(0, responseTime.toEpochMilli() - date.toEpochMilli());
        long responseDelay = Math.max(0, responseTime.toEpochMilli() - requestTime.toEpochMilli());
        long correctedAgeValue = ageValue(headers) * 1000 + responseDelay;
        long correctedInitialAge = Math.max(apparentAge, correctedAgeValue);
        return new Freshness(response, lifetime, heuristic, correctedInitialAge, responseTime);
    }

    /** §4.2.1: Expires minus Date; an invalid date (e.g. "0") is in the past (§5.3); differing repeats are stale. */
    private static long expires(List<String> lines, Instant date, Instant reference) {
        String first = Fields.trimOws(lines.get(0));
        for (String l : lines) {
            if (!Fields.trimOws(l).equals(first)) {
                return 0;
            }
        }
        Instant expires = HttpDate.parse(first, reference);
        if (expires == null) {
            return 0;
        }
        return Math.max(0, Math.min(Fields.DELTA_SECONDS_MAX, Duration.between(date, expires).getSeconds()));
    }

    /** §4.2.2. */
    private static long heuristic(MultiMap headers, Instant date, Instant reference, Heuristic policy) {
        if (policy.defaultTtl() != null) {
            return policy.defaultTtl().getSeconds();
        }
        Instant lastModified = HttpDate.parse(singleton(headers, "Last-Modified"), reference);
        if (lastModified == null || !lastModified.isBefore(date)) {
            return 0;
        }
        long tenth = Duration.between(lastModified, date).getSeconds() / 10;
        return Math.min(tenth, policy.cap().getSeconds());
    }

    /** §5.1: the first member of Age; a non-integer is ignored (0). */
    static long ageValue(MultiMap headers) {
        List<String> members = Fields.listMembers(headers, "Age");
        if (members.isEmpty()) {
            return 0;
        }
        long v = Fields.deltaSeconds(members.get(0));
        return v < 0 ? 0 : v;
    }

    private static String singleton(MultiMap headers, String name) {
        return headers.get(name);
    }

    /** Freshness lifetime in seconds (§4.2.1, §4.2.2). */
    public long lifetime() {
        return lifetime;
    }

    /** Whether the lifetime is heuristic (§4.2.2), which Cache-Status reports. */
    public boolean heuristic() {
        return heuristic;
    }

    /** current_age in seconds (§4.2.3): corrected_initial_age + resident_time; the value of the Age field sent. */
    public long age(Instant now) {
        long resident = Math.max(0, now.toEpochMilli() - responseTime.toEpochMilli());
        return Math.min(Fields.DELTA_SECONDS_MAX, (correctedInitialAgeMillis + resident) / 1000);
    }

    /** Remaining freshness in seconds, negative once stale (RFC 9211 §2.5 ttl). */
    public long ttl(Instant now) {
        return lifetime - age(now);
    }

    /** §4.2: {@code freshness_lifetime > current_age}. */
    public boolean fresh(Instant now) {
        return lifetime > age(now);
    }

    /** How the stored response may answer a request with directives {@code request} at {@code now}. */
    public Reuse reuse(CacheControl request, Instant now) {
        Reuse r = reuse0(request, now);
        return r == Reuse.REVALIDATE && request.onlyIfCached() ? Reuse.GATEWAY_TIMEOUT : r;
    }

    private Reuse reuse0(CacheControl request, Instant now) {
        if (response.noCache() || request.noCache()) {
            return Reuse.REVALIDATE; // §5.2.2.4, §5.2.1.4
        }
        long age = age(now);
        if (request.maxAge() != CacheControl.ABSENT && age > request.maxAge()) {
            return Reuse.REVALIDATE; // §5.2.1.1
        }
        if (lifetime > age) {
            if (request.minFresh() != CacheControl.ABSENT && lifetime - age < request.minFresh()) {
                return Reuse.REVALIDATE; // §5.2.1.3
            }
            return Reuse.FRESH;
        }
        long staleness = age - lifetime;
        if (request.minFresh() != CacheControl.ABSENT || response.mustRevalidate() || response.proxyRevalidate()) {
            return Reuse.REVALIDATE; // §5.2.2.2, §5.2.2.8
        }
        if (response.sMaxAge() == CacheControl.ABSENT && request.maxStale() != CacheControl.ABSENT
                && staleness <= request.maxStale()) {
            return Reuse.STALE; // §5.2.1.2; s-maxage forbids it (§5.2.2.10)
        }
        if (response.staleWhileRevalidate() != CacheControl.ABSENT && staleness <= response.staleWhileRevalidate()) {
            return Reuse.STALE_WHILE_REVALIDATE; // RFC 5861 §3
        }
        return Reuse.REVALIDATE;
    }

    /**
     * Whether the stored response may answer in place of an origin error (5xx) or an unreachable origin: within the
     * response's or the request's {@code stale-if-error} (RFC 5861 §4), or the request's {@code max-stale}, unless
     * a directive forbids stale use (§4.2.4).
     */
    public boolean usableOnError(CacheControl request, Instant now) {
        if (response.noCache() || request.noCache() || response.mustRevalidate() || response.proxyRevalidate()) {
            return false;
        }
        long staleness = age(now) - lifetime;
        if (staleness < 0) {
            return true;
        }
        return response.staleIfError() != CacheControl.ABSENT && staleness <= response.staleIfError()
                || request.staleIfError() != CacheControl.ABSENT && staleness <= request.staleIfError()
                || response.sMaxAge() == CacheControl.ABSENT && request.maxStale() != CacheControl.ABSENT
                && staleness <= request.maxStale();
    }
}
