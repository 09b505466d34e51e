#!/usr/bin/env bash
# Benchmarks nginx, HAProxy and Gatehouse as reverse proxies in front of the same three demo backends, with wrk,
# in interleaved rounds; prints medians per proxy, workload and body size and writes the raw results to
# bench/results/. The default set (also --only full) is issue 12's: the plain route at 1 KiB and 64 KiB, full TLS
# handshakes, HTTPS keep-alive, 1,000 connections, 10,000 idle keep-alive connections (errors and resident memory)
# and an open-loop fixed-rate run (latency percentiles from `gatehouse loadtest`), in under 10 minutes on 2 cores.
# Other workloads (filters, jwt, chunked, head, cache) are chosen with --only; the cache workload adds Varnish and
# nginx's proxy_cache. See bench/README.md. Everything binds 127.0.0.1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
SCRIPT_ARGS="$*"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
PROXY_WARMUP=${PROXY_WARMUP:-10s}
SIZES=${SIZES:-1024,65536}
SINGLE_SIZE=${SINGLE_SIZE:-1024}
ONLY=${ONLY:-nginx,haproxy,gatehouse}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
BACKEND_PORTS=${BACKEND_PORTS:-18101,18102,18103}
NGINX_PORT=${NGINX_PORT:-18081}
HAPROXY_PORT=${HAPROXY_PORT:-18082}
GATEHOUSE_PORT=${GATEHOUSE_PORT:-18083}
VERTX_FLOOR_PORT=${VERTX_FLOOR_PORT:-18084}
GATEHOUSE_BASE_PORT=${GATEHOUSE_BASE_PORT:-18085}
VARNISH_PORT=${VARNISH_PORT:-18086}
CACHE_KEYS=${CACHE_KEYS:-100}
GATEHOUSE_ADMIN_PORT=${GATEHOUSE_ADMIN_PORT:-18090}
GATEHOUSE_CLUSTER_PORT=${GATEHOUSE_CLUSTER_PORT:-18570}
TLS_PORT_OFFSET=${TLS_PORT_OFFSET:-100}
MANY_CONNECTIONS=${MANY_CONNECTIONS:-1000}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
IDLE_HOLD=${IDLE_HOLD:-10s}
OPEN_LOOP_RATE=${OPEN_LOOP_RATE:-5000}
OPEN_LOOP_DURATION=${OPEN_LOOP_DURATION:-8s}
OPEN_LOOP_WARMUP=${OPEN_LOOP_WARMUP:-5s}
OPEN_LOOP_ROUNDS=${OPEN_LOOP_ROUNDS:-3}
GATEHOUSE_JAVA=${GATEHOUSE_JAVA:-java}
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--XX:+UseParallelGC -Xms512m -Xmx512m}
# idle10k measures Gatehouse as users run it: a fresh process with the launcher's JVM flags (its DEFAULT_OPTS, or
# the OPTS default of an older ./gatehouse), not the fixed 512 MB heap the throughput workloads use
LAUNCHER_JAVA_OPTS=$(sed -n -e 's/^DEFAULT_OPTS="\([^"$]*\)"$/\1/p' -e 's/^OPTS=.*:-\(-[^}$]*\)}}$/\1/p' \
    "$ROOT/gatehouse" 2>/dev/null | head -1)
# and, as the launcher does on JDK 23+, the flags it adds there (Netty's Unsafe use allowed)
java_major=$("$GATEHOUSE_JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [[ -n $LAUNCHER_JAVA_OPTS ]] && (( ${java_major:-0} >= 23 )); then
    LAUNCHER_JAVA_OPTS+=$(sed -n 's/^ *DEFAULT_OPTS="\$DEFAULT_OPTS\( [^"$]*\)"$/\1/p' "$ROOT/gatehouse" | head -1)
fi
IDLE_GATEHOUSE_JAVA_OPTS=${IDLE_GATEHOUSE_JAVA_OPTS:-${LAUNCHER_JAVA_OPTS:--XX:+UseParallelGC -Xms64m -Xmx512m}}
GATEHOUSE_TLS_ENGINE=${GATEHOUSE_TLS_ENGINE:-}
BACKEND_JAVA_OPTS=${BACKEND_JAVA_OPTS:--Xms256m -Xmx512m}

usage() {
    cat <<EOF
usage: bench/run.sh [--rounds N] [--duration 5s] [--warmup 1s] [--proxy-warmup 10s] [--sizes 1024,65536]
                    [--only PROXY,...,WORKLOAD,...] [--connections 64] [--threads 2] [--single-size 1024]
                    [--many-connections 1000] [--idle-connections 10000] [--idle-hold 10s]
                    [--open-loop-rate 5000] [--open-loop-duration 8s] [--open-loop-warmup 5s]
                    [--open-loop-rounds 3] [--tls-port-offset 100]
                    [--backend-ports 18101,18102,18103] [--nginx-port 18081] [--haproxy-port 18082]
                    [--gatehouse-port 18083] [--vertx-floor-port 18084] [--varnish-port 18086]
                    [--admin-port 18090] [--cluster-port 18570] [--cache-keys 100]

Runs 'wrk -t2 -c64 -d<duration> --latency' against each proxy for each workload and body size (/bytes/<size>), in
interleaved rounds, and prints the median req/s, p99 latency and proxy CPU microseconds per request; then the
workloads that are not wrk runs (idle10k, open-loop), once per proxy. Sizes take bytes or a K/KB/KiB or M/MB/MiB
suffix. Each JVM proxy is first warmed up for --proxy-warmup per workload and size (10s and 60s are the issue's two
points; nginx, HAProxy and Varnish have no JIT to warm).

--only takes proxies and workloads, in any mix (default: nginx,haproxy,gatehouse,full):
  proxies    nginx haproxy gatehouse gatehouse-base (needs BASELINE_JAR) vertx-floor varnish
  workloads  plain    GET /bytes/<size> on a route without filters (always run: the others are read against it)
             filters  GET /filters/bytes/<size>, a route with a headers and a cors filter, allowed Origin sent
             jwt      GET /jwt/bytes/<size>, a route with a jwt filter (RS256, local JWKS file), valid token sent
             chunked  POST /bytes/<size> with a 128-byte body in two chunks (Transfer-Encoding: chunked)
             head     HEAD /bytes/0 (wrk cannot read a HEAD response that announces a body length)
             cache    GET /cache/bytes/<size>?max-age=3600&k=<1..N> (N = --cache-keys), cacheable answers served
                      from each proxy's cache: nginx proxy_cache, Varnish, Gatehouse's route cache; every cache
                      is filled with one pass over the keys and must answer the next pass from cache, else the
                      run stops
             tls-handshake  https GET /bytes/<single-size> with 'Connection: close': a full TLS handshake per
                      request (wrk resumes no session), on a TLS listener at <proxy port + tls-port-offset>; the
                      same ECDSA P-256 certificate ('gatehouse tls self-signed') on every proxy
             tls-keepalive  https GET /bytes/<single-size> over --connections (64) kept-alive TLS connections
             conn1k   GET /bytes/<single-size> over --many-connections (1000) keep-alive connections
             idle10k  --idle-connections (10000) keep-alive connections opened, one GET answered on each, held idle
                      for --idle-hold, then a second GET on each (bench/IdleConnections.java); reports errors and
                      the proxy's resident memory (VmRSS) before and with the connections held. Gatehouse runs it
                      in a fresh process with the launcher's JVM flags (IDLE_GATEHOUSE_JAVA_OPTS)
             open-loop  'gatehouse loadtest --rate <open-loop-rate>/s --duration <open-loop-duration>
                      --warmup <open-loop-warmup>' on GET /bytes/<single-size>: p50/p90/p99/p99.9 latency at the
                      same fixed rate on every proxy, in --open-loop-rounds interleaved rounds (medians reported)
             full     plain, tls-handshake, tls-keepalive, conn1k, idle10k and open-loop (issue 12's set)
  Naming no workload runs full. filters and jwt run on gatehouse and gatehouse-base only; chunked and head on all
  but vertx-floor and varnish; cache on nginx, gatehouse, gatehouse-base and varnish; varnish runs only cache;
  the tls workloads on nginx, haproxy, gatehouse and gatehouse-base; conn1k, idle10k and open-loop on all but
  varnish. Naming cache without any proxy runs nginx, gatehouse and varnish. The tls workloads, conn1k, idle10k
  and open-loop run at one size (--single-size), the others at every --sizes.

Environment: the options above as ROUNDS, DURATION, WARMUP, PROXY_WARMUP, SIZES, ONLY, WRK_CONNECTIONS,
WRK_THREADS, SINGLE_SIZE, MANY_CONNECTIONS, IDLE_CONNECTIONS, IDLE_HOLD, OPEN_LOOP_RATE, OPEN_LOOP_DURATION,
OPEN_LOOP_WARMUP, OPEN_LOOP_ROUNDS, TLS_PORT_OFFSET, BACKEND_PORTS, NGINX_PORT, HAPROXY_PORT, GATEHOUSE_PORT, VARNISH_PORT, GATEHOUSE_ADMIN_PORT,
GATEHOUSE_CLUSTER_PORT, CACHE_KEYS; also
  GATEHOUSE_JAVA       the java binary that runs Gatehouse (default: java on the PATH), e.g. a JDK 25
  GATEHOUSE_JAVA_OPTS  JVM flags for Gatehouse (default: $GATEHOUSE_JAVA_OPTS)
  IDLE_GATEHOUSE_JAVA_OPTS  JVM flags for Gatehouse in idle10k (default, the launcher's: $IDLE_GATEHOUSE_JAVA_OPTS)
  GATEHOUSE_TLS_ENGINE Gatehouse's TLS engine (auto, openssl or jdk), written as 'tls-engine: <value>' into its
                       config only when set (with the TLS workloads), so a build without the key runs unset
  BACKEND_JAVA_OPTS    JVM flags for the demo backends (default: $BACKEND_JAVA_OPTS)
  GATEHOUSE_CP         classpath for the demo backends (default: app/target/gatehouse.jar, or the loadtest
                       module's classes and dependencies when the jar is absent and Gatehouse is not run)
  BASELINE_JAR         an earlier build's gatehouse.jar, run as the proxy gatehouse-base
  BACKEND_KIND=static  nginx static-file backends instead of the demo backends
  KEEP_TMP=1           keep the temporary directory with configs and logs
EOF
}

parse_options --rounds=ROUNDS --duration=DURATION --warmup=WARMUP --proxy-warmup=PROXY_WARMUP --sizes=SIZES \
    --only=ONLY --connections=WRK_CONNECTIONS --threads=WRK_THREADS --backend-ports=BACKEND_PORTS \
    --nginx-port=NGINX_PORT --haproxy-port=HAPROXY_PORT --gatehouse-port=GATEHOUSE_PORT \
    --vertx-floor-port=VERTX_FLOOR_PORT --varnish-port=VARNISH_PORT --cache-keys=CACHE_KEYS \
    --admin-port=GATEHOUSE_ADMIN_PORT --cluster-port=GATEHOUSE_CLUSTER_PORT --single-size=SINGLE_SIZE \
    --many-connections=MANY_CONNECTIONS --idle-connections=IDLE_CONNECTIONS --idle-hold=IDLE_HOLD \
    --open-loop-rate=OPEN_LOOP_RATE --open-loop-duration=OPEN_LOOP_DURATION --open-loop-warmup=OPEN_LOOP_WARMUP \
    --open-loop-rounds=OPEN_LOOP_ROUNDS --tls-port-offset=TLS_PORT_OFFSET \
    -- "$@"

# ---- validate arguments ------------------------------------------------------------------------------------

check_round_options
check_wrk_options

ALL_PROXIES=(nginx haproxy gatehouse gatehouse-base vertx-floor varnish)   # fixed order: nginx is the reference
# plain first: the others are read against it
ALL_WORKLOADS=(plain filters jwt chunked head cache tls-handshake tls-keepalive conn1k idle10k open-loop)
FULL_WORKLOADS=(plain tls-handshake tls-keepalive conn1k idle10k open-loop)   # --only full, and the default
ONE_SIZE_WORKLOADS=(tls-handshake tls-keepalive conn1k idle10k open-loop)     # measured at SINGLE_SIZE only
ONCE_WORKLOADS=(idle10k open-loop)                                            # not wrk rounds: once per proxy
[[ $CACHE_KEYS =~ ^[1-9][0-9]*$ ]] && (( CACHE_KEYS <= 100000 )) \
    || die "--cache-keys: '$CACHE_KEYS' (expected: a whole number 1..100000)"
[[ $TLS_PORT_OFFSET =~ ^[1-9][0-9]*$ ]] || die "--tls-port-offset: '$TLS_PORT_OFFSET' (expected: a whole number)"
[[ $MANY_CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--many-connections: '$MANY_CONNECTIONS' (expected: a whole number)"
[[ $IDLE_CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--idle-connections: '$IDLE_CONNECTIONS' (expected: a whole number)"
[[ $IDLE_HOLD =~ ^[1-9][0-9]*[sm]?$ ]] || die "--idle-hold: '$IDLE_HOLD' (expected e.g. 10s)"
[[ $OPEN_LOOP_RATE =~ ^[1-9][0-9]*$ ]] || die "--open-loop-rate: '$OPEN_LOOP_RATE' (expected: requests per second)"
[[ $OPEN_LOOP_DURATION =~ ^[1-9][0-9]*[smh]?$ ]] || die "--open-loop-duration: '$OPEN_LOOP_DURATION' (expected e.g. 10s)"
[[ $OPEN_LOOP_WARMUP =~ ^[0-9]+[smh]?$ ]] || die "--open-loop-warmup: '$OPEN_LOOP_WARMUP' (expected e.g. 5s)"
[[ $OPEN_LOOP_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--open-loop-rounds: '$OPEN_LOOP_ROUNDS' (expected a count of 1 or more)"
[[ $PROXY_WARMUP =~ ^[0-9]+[smh]?$ ]] || die "--proxy-warmup: '$PROXY_WARMUP' (expected e.g. 10s, 60s, or 0)"

in_list() {      # WORD LIST...
    local w=$1
    shift
    [[ " $* " == *" $w "* ]]
}

# the workloads each proxy can serve: filters and jwt are Gatehouse route filters; vertx-floor forwards plain GETs
# (no TLS listener); varnish is only measured as a cache
serves() {       # PROXY WORKLOAD
    [[ $1 == varnish ]] && { [[ $2 == cache ]]; return; }
    case $2 in
        plain | conn1k | idle10k | open-loop) return 0 ;;
        filters | jwt) [[ $1 == gatehouse || $1 == gatehouse-base ]] ;;
        chunked | head | tls-handshake | tls-keepalive) [[ $1 != vertx-floor ]] ;;
        cache) [[ $1 == nginx || $1 == gatehouse || $1 == gatehouse-base ]] ;;
        *) return 1 ;;
    esac
}

jvm_proxy() {    # PROXY: a JVM, whose JIT a warm-up compiles
    [[ $1 == gatehouse || $1 == gatehouse-base || $1 == vertx-floor ]]
}

IFS=',' read -r -a wanted <<<"$ONLY"
named_proxies=()
named_workloads=()
for w in "${wanted[@]}"; do
    if in_list "$w" "${ALL_PROXIES[@]}"; then
        named_proxies+=("$w")
    elif in_list "$w" "${ALL_WORKLOADS[@]}"; then
        named_workloads+=("$w")
    elif [[ $w == full ]]; then
        named_workloads+=("${FULL_WORKLOADS[@]}")
    else
        die "--only: unknown name '$w' (proxies: ${ALL_PROXIES[*]}; workloads: ${ALL_WORKLOADS[*]} full)"
    fi
    [[ $w != gatehouse-base || -f ${BASELINE_JAR:-} ]] \
        || die "--only gatehouse-base: set BASELINE_JAR to an earlier build's gatehouse.jar"
done
if (( ${#named_proxies[@]} == 0 )); then
    named_proxies=(nginx haproxy gatehouse)
    in_list cache "${named_workloads[@]}" && named_proxies=(nginx gatehouse varnish)
fi
(( ${#named_workloads[@]} == 0 )) && ! in_list varnish "${named_proxies[@]}" && named_workloads=("${FULL_WORKLOADS[@]}")
PROXIES=()
for p in "${ALL_PROXIES[@]}"; do
    in_list "$p" "${named_proxies[@]}" && PROXIES+=("$p")
done
WORKLOADS=(plain)
for w in "${ALL_WORKLOADS[@]:1}"; do
    in_list "$w" "${named_workloads[@]}" || continue
    served=0
    for p in "${PROXIES[@]}"; do
        serves "$p" "$w" && served=1
    done
    (( served )) || die "--only $w: none of ${PROXIES[*]} serves it (filters, jwt: gatehouse, gatehouse-base; cache: nginx, gatehouse, gatehouse-base, varnish; tls: not vertx-floor)"
    WORKLOADS+=("$w")
done
# the (workload, proxy) pairs measured with wrk each round, workload-major; idle10k and open-loop run once after
PAIRS=()
for w in "${WORKLOADS[@]}"; do
    in_list "$w" "${ONCE_WORKLOADS[@]}" && continue
    for p in "${PROXIES[@]}"; do
        serves "$p" "$w" && PAIRS+=("$w $p")
    done
done
for p in "${PROXIES[@]}"; do
    [[ $p == varnish ]] && ! in_list cache "${WORKLOADS[@]}" && die "--only varnish: it runs only the cache workload (add cache)"
done
wants_tls=0
in_list tls-handshake "${WORKLOADS[@]}" && wants_tls=1
in_list tls-keepalive "${WORKLOADS[@]}" && wants_tls=1

size_bytes() {   # 1024 | 1k | 1KB | 1KiB | 2M ... -> bytes
    local s=${1^^}
    if [[ $s =~ ^([0-9]+)(K|KB|KIB)$ ]]; then echo $(( BASH_REMATCH[1] * 1024 ))
    elif [[ $s =~ ^([0-9]+)(M|MB|MIB)$ ]]; then echo $(( BASH_REMATCH[1] * 1024 * 1024 ))
    elif [[ $s =~ ^([0-9]+)B?$ ]]; then echo "${BASH_REMATCH[1]}"
    else return 1
    fi
}
size_label() {   # bytes -> 1KiB, 64KiB, 1MiB, 100B
    local b=$1
    if (( b >= 1048576 && b % 1048576 == 0 )); then echo "$(( b / 1048576 ))MiB"
    elif (( b >= 1024 && b % 1024 == 0 )); then echo "$(( b / 1024 ))KiB"
    else echo "${b}B"
    fi
}
SIZE_LIST=()
IFS=',' read -r -a raw_sizes <<<"$SIZES"
for s in "${raw_sizes[@]}"; do
    b=$(size_bytes "$s") || die "--sizes: '$s' is not a size (expected e.g. 1024, 64KiB)"
    SIZE_LIST+=("$b")
done
SINGLE_SIZE=$(size_bytes "$SINGLE_SIZE") || die "--single-size: '$SINGLE_SIZE' is not a size (expected e.g. 1024, 1KiB)"

one_size() {     # WORKLOAD: measured at SINGLE_SIZE only
    in_list "$1" "${ONE_SIZE_WORKLOADS[@]}"
}
# the sizes measured with wrk: every --sizes for the sized workloads, SINGLE_SIZE for the others
MEASURE_SIZES=("${SIZE_LIST[@]}")
for pair in "${PAIRS[@]}"; do
    one_size "${pair%% *}" && ! in_list "$SINGLE_SIZE" "${MEASURE_SIZES[@]}" && MEASURE_SIZES+=("$SINGLE_SIZE")
done
measured_at() {  # WORKLOAD SIZE: whether that workload runs at that size
    if one_size "$1"; then [[ $2 == "$SINGLE_SIZE" ]]; else in_list "$2" "${SIZE_LIST[@]}"; fi
}
pairs_at() {     # SIZE: the array SIZE_PAIRS, the pairs measured at that size
    local pair
    SIZE_PAIRS=()
    for pair in "${PAIRS[@]}"; do
        measured_at "${pair%% *}" "$1" && SIZE_PAIRS+=("$pair")
    done
}

split_backend_ports
check_ports "${BACKENDS[@]}" "$NGINX_PORT" "$HAPROXY_PORT" "$GATEHOUSE_PORT" "$GATEHOUSE_ADMIN_PORT" \
    "$GATEHOUSE_CLUSTER_PORT" "$VARNISH_PORT"

seconds() {      # 10s | 2m | 1h | 0 -> seconds
    case $1 in
        *h) echo $(( ${1%h} * 3600 )) ;;
        *m) echo $(( ${1%m} * 60 )) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}

# ---- tools ---------------------------------------------------------------------------------------------------

need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
{ in_list jwt "${WORKLOADS[@]}" || (( wants_tls )); } && ! command -v openssl >/dev/null && need_pkgs+=(openssl)
{ in_list open-loop "${WORKLOADS[@]}" || in_list idle10k "${WORKLOADS[@]}"; } && ! command -v jq >/dev/null && need_pkgs+=(jq)
[[ " ${PROXIES[*]} " == *" nginx "* ]] && ! command -v nginx >/dev/null && ! [[ -x /usr/sbin/nginx ]] && need_pkgs+=(nginx)
[[ ${BACKEND_KIND:-demo} == static ]] && ! command -v nginx >/dev/null && ! [[ -x /usr/sbin/nginx ]] \
    && ! in_list nginx "${need_pkgs[@]}" && need_pkgs+=(nginx)
[[ " ${PROXIES[*]} " == *" haproxy "* ]] && ! command -v haproxy >/dev/null && ! [[ -x /usr/sbin/haproxy ]] && need_pkgs+=(haproxy)
[[ " ${PROXIES[*]} " == *" varnish "* ]] && ! command -v varnishd >/dev/null && ! [[ -x /usr/sbin/varnishd ]] && need_pkgs+=(varnish)
in_list cache "${WORKLOADS[@]}" && ! command -v curl >/dev/null && need_pkgs+=(curl)
if (( ${#need_pkgs[@]} > 0 )); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench: installing ${need_pkgs[*]} with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
            || die "apt-get install ${need_pkgs[*]} failed"
    else
        die "missing ${need_pkgs[*]}: run 'sudo apt-get install -y ${need_pkgs[*]}' (or this script as root)"
    fi
fi
export PATH="$PATH:/usr/sbin:/sbin"
command -v java >/dev/null || die "java not found (Java 17+ is needed: apt-get install -y openjdk-17-jdk-headless)"
CLK_TCK=$(getconf CLK_TCK) || die "getconf CLK_TCK failed"

# Many connections need file descriptors: the proxies, wrk and the idle10k opener inherit this shell's limit, raised
# to what idle10k (or conn1k) needs plus room for upstream connections, files and the JVM's own.
fds_needed=4096
in_list conn1k "${WORKLOADS[@]}" && (( MANY_CONNECTIONS * 2 + 1024 > fds_needed )) && fds_needed=$(( MANY_CONNECTIONS * 2 + 1024 ))
in_list idle10k "${WORKLOADS[@]}" && (( IDLE_CONNECTIONS + 2048 > fds_needed )) && fds_needed=$(( IDLE_CONNECTIONS + 2048 ))
if (( $(ulimit -n) < fds_needed )); then
    ulimit -n "$fds_needed" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
    (( $(ulimit -n) >= fds_needed )) || die "open files limit $(ulimit -n) (hard $(ulimit -Hn)) is below the $fds_needed" \
        "that conn1k/idle10k need: raise it (ulimit -n, /etc/security/limits.conf) or lower --idle-connections"
fi
if in_list idle10k "${WORKLOADS[@]}"; then
    read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
    (( port_hi - port_lo + 1 > IDLE_CONNECTIONS + 2000 )) \
        || die "idle10k: the ephemeral port range $port_lo-$port_hi (/proc/sys/net/ipv4/ip_local_port_range) is too" \
            "small for $IDLE_CONNECTIONS connections from one address"
fi
# nginx: connections per worker (a worker may take most of idle10k's) and HAProxy's maxconn
NGINX_WORKER_CONNECTIONS=$(( fds_needed > 4096 ? fds_needed : 4096 ))
NGINX_RLIMIT_NOFILE=$(ulimit -n)
HAPROXY_MAXCONN=$(( fds_needed > 4096 ? fds_needed : 4096 ))
# with conn1k, nginx keeps as many idle upstream connections as HAProxy (http-reuse always) and Gatehouse (a pool)
# do, instead of closing all but 64 per worker under 1,000 concurrent requests
in_list conn1k "${WORKLOADS[@]}" && NGINX_UPSTREAM_KEEPALIVE=$MANY_CONNECTIONS

# ---- temp dir, process bookkeeping, cleanup --------------------------------------------------------------

make_tmp gatehouse-bench
chmod 711 "$TMP"   # nginx workers may run as an unprivileged user

# ---- workloads: wrk scripts, the JWT key and token ---------------------------------------------------------

CORS_ORIGIN=https://app.example.com
JWT_ISSUER=https://bench.gatehouse.test
JWT_AUDIENCE=bench
# the chunked workload's body (as its wrk script writes it too): 128 bytes in two chunks
CHUNKED_BODY=$'40\r\n'$(printf 'a%.0s' {1..64})$'\r\n40\r\n'$(printf 'b%.0s' {1..64})$'\r\n0\r\n\r\n'

b64url() {
    openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# An RSA-2048 key, its public half as a JWKS file ($TMP/jwks.json) and a token signed with it (RS256, valid for a
# day) in JWT_TOKEN. openssl only: no JWT library needed.
make_jwt() {
    local key=$TMP/jwt-key.pem n now header claims signature
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:65537 -out "$key" \
        2>/dev/null || die "openssl genpkey failed"
    n=$(openssl rsa -in "$key" -noout -modulus | sed 's/^Modulus=//') || die "openssl rsa -modulus failed"
    n=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$n")" | b64url)
    printf '{"keys":[{"kty":"RSA","kid":"bench","use":"sig","alg":"RS256","n":"%s","e":"AQAB"}]}\n' "$n" \
        >"$TMP/jwks.json"
    now=$(date +%s)
    header=$(printf '{"alg":"RS256","typ":"JWT","kid":"bench"}' | b64url)
    claims=$(printf '{"iss":"%s","aud":"%s","sub":"bench","iat":%d,"exp":%d}' "$JWT_ISSUER" "$JWT_AUDIENCE" \
        "$now" $(( now + 86400 )) | b64url)
    signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$key" -binary | b64url) \
        || die "openssl dgst -sign failed"
    JWT_TOKEN=$header.$claims.$signature
}

# $TMP/wrk-<workload>.lua for each workload but plain. wrk sends one fixed request per workload (no Lua runs per
# request), so wrk costs the same whichever the workload. The cache workload is the exception when it has more than
# one key: $TMP/wrk-cache-<size>.lua cycles through the keys' requests, formatted once at start (a Lua call per
# request, the same for every proxy).
write_wrk_scripts() {
    local w size
    for w in "${WORKLOADS[@]}"; do
        [[ $w == plain ]] || one_size "$w" && continue   # plain wrk requests, options at most
        if [[ $w == cache ]]; then
            (( CACHE_KEYS > 1 )) || continue
            for size in "${SIZE_LIST[@]}"; do
                {
                    echo "local keys, paths, n = $CACHE_KEYS, {}, 0"
                    echo 'function init(args)'
                    echo "    for i = 1, keys do paths[i] = wrk.format(nil, \"$(cache_path "$size" "")\" .. i) end"
                    echo 'end'
                    echo 'function request()'
                    echo '    n = n % keys + 1'
                    echo '    return paths[n]'
                    echo 'end'
                } >"$TMP/wrk-cache-$size.lua"
            done
            continue
        fi
        case $w in
            filters) echo "wrk.headers[\"Origin\"] = \"$CORS_ORIGIN\"" ;;
            jwt) echo "wrk.headers[\"Authorization\"] = \"Bearer $JWT_TOKEN\"" ;;
            chunked)
                # wrk.format would add Content-Length for wrk.body: frame the body ourselves after the head
                echo 'wrk.method = "POST"'
                echo 'wrk.headers["Transfer-Encoding"] = "chunked"'
                echo 'wrk.headers["Content-Type"] = "application/octet-stream"'
                echo 'local body = "40\r\n" .. string.rep("a", 64) .. "\r\n40\r\n" .. string.rep("b", 64) .. "\r\n0\r\n\r\n"'
                echo 'local format = wrk.format'
                echo 'wrk.format = function(method, path, headers, _) return format(method, path, headers, nil) .. body end'
                ;;
            head) echo 'wrk.method = "HEAD"' ;;
        esac >"$TMP/wrk-$w.lua"
    done
}

# the cache workload's path for SIZE and KEY: cacheable for an hour (the demo backends read max-age; the static
# backends send Cache-Control and Expires for any query with max-age); the proxies strip /cache
cache_path() {       # SIZE KEY
    echo "/cache/bytes/$1?max-age=3600&k=$2"
}

workload_path() {    # WORKLOAD SIZE -> the request path (the cache workload's first key)
    case $1 in
        cache) cache_path "$2" 1 ;;
        filters) echo "/filters/bytes/$2" ;;
        jwt) echo "/jwt/bytes/$2" ;;
        head) echo "/bytes/0" ;;   # wrk's parser would wait for the body a HEAD response announces
        *) echo "/bytes/$2" ;;
    esac
}

# wrk_args WORKLOAD SIZE: sets the array WRK_ARGS to the script or header option (if any), WRK_PATH to the URL's
# path, WRK_C to the connections and WRK_TLS to 1 for https
wrk_args() {
    WRK_ARGS=()
    WRK_C=$WRK_CONNECTIONS
    WRK_TLS=0
    case $1 in
        plain) ;;
        cache) (( CACHE_KEYS > 1 )) && WRK_ARGS=(-s "$TMP/wrk-cache-$2.lua") ;;
        tls-handshake) WRK_TLS=1 WRK_ARGS=(-H 'Connection: close') ;;   # a new connection, a full handshake each
        tls-keepalive) WRK_TLS=1 ;;
        conn1k) WRK_C=$MANY_CONNECTIONS ;;
        *) WRK_ARGS=(-s "$TMP/wrk-$1.lua") ;;
    esac
    WRK_PATH=$(workload_path "$1" "$2")
}

# wrk_url WORKLOAD PROXY SIZE: sets WRK_ARGS, WRK_C and WRK_URL, the URL on that proxy's plain or TLS listener
wrk_url() {
    wrk_args "$1" "$3"
    if (( WRK_TLS )); then
        WRK_URL="https://127.0.0.1:$(( ${PORT[$2]} + TLS_PORT_OFFSET ))$WRK_PATH"
    else
        WRK_URL="http://127.0.0.1:${PORT[$2]}$WRK_PATH"
    fi
}

in_list jwt "${WORKLOADS[@]}" && make_jwt
write_wrk_scripts

# ---- classpath for the demo backends -----------------------------------------------------------------------

wants_gatehouse=0
[[ " ${PROXIES[*]} " == *" gatehouse "* || " ${PROXIES[*]} " == *" vertx-floor "* ]] && wants_gatehouse=1
# the TLS certificate comes from 'gatehouse tls self-signed', open-loop's load from 'gatehouse loadtest'
(( wants_tls )) || in_list open-loop "${WORKLOADS[@]}" && wants_gatehouse=1

(( wants_gatehouse )) && build_jar_if_missing

if [[ -n ${GATEHOUSE_CP:-} ]]; then
    BACKEND_CP=$GATEHOUSE_CP
elif [[ -f $JAR ]]; then
    BACKEND_CP=$JAR
else
    if [[ ! -d $ROOT/loadtest/target/classes/dev ]]; then
        echo "bench: building the loadtest module"
        (cd "$ROOT" && ./mvnw -q -pl loadtest -am -DskipTests install) || die "build of loadtest failed"
    fi
    (cd "$ROOT" && { ./mvnw -o -q -pl loadtest dependency:build-classpath -Dmdep.includeScope=runtime \
            -Dmdep.outputFile="$TMP/loadtest.cp" >/dev/null 2>&1 \
        || ./mvnw -q -pl loadtest dependency:build-classpath -Dmdep.includeScope=runtime \
            -Dmdep.outputFile="$TMP/loadtest.cp" >/dev/null; }) || die "could not resolve the loadtest classpath"
    BACKEND_CP="$ROOT/loadtest/target/classes:$(<"$TMP/loadtest.cp")"
fi

# ---- start everything --------------------------------------------------------------------------------------

declare -A PORT PID
PORT[nginx]=$NGINX_PORT
PORT[haproxy]=$HAPROXY_PORT
PORT[gatehouse]=$GATEHOUSE_PORT
PORT[vertx-floor]=$VERTX_FLOOR_PORT
PORT[gatehouse-base]=$GATEHOUSE_BASE_PORT
PORT[varnish]=$VARNISH_PORT

for p in "${BACKENDS[@]}"; do
    port_in_use "$p" && die "port $p is in use (set --backend-ports)"
done
for p in "${PROXIES[@]}"; do
    port_in_use "${PORT[$p]}" && die "port ${PORT[$p]} for $p is in use (set --$p-port)"
    if (( wants_tls )) && serves "$p" tls-handshake; then
        port_in_use $(( ${PORT[$p]} + TLS_PORT_OFFSET )) \
            && die "port $(( ${PORT[$p]} + TLS_PORT_OFFSET )) for $p's TLS listener is in use (set --tls-port-offset)"
    fi
    if in_list idle10k "${WORKLOADS[@]}" && [[ $p == gatehouse || $p == gatehouse-base ]]; then
        port_in_use $(( ${PORT[$p]} + 2 * TLS_PORT_OFFSET )) \
            && die "port $(( ${PORT[$p]} + 2 * TLS_PORT_OFFSET )) for $p's idle10k instance is in use (set --tls-port-offset)"
    fi
done

# one certificate for every TLS listener: the ECDSA P-256 leaf 'gatehouse tls self-signed' makes, and for HAProxy
# the same certificate and key in one file
if (( wants_tls )); then
    java -jar "$JAR" tls self-signed --host localhost --out "$TMP/certs" >"$TMP/certs.log" 2>&1 \
        || { cat "$TMP/certs.log" >&2; die "could not generate the certificate"; }
    CERT=$TMP/certs/localhost.pem
    KEY=$TMP/certs/localhost.key
    cat "$CERT" "$KEY" >"$TMP/certs/localhost-haproxy.pem"
    chmod 644 "$CERT" "$KEY" "$TMP/certs/localhost-haproxy.pem"   # nginx workers may run unprivileged; a test key
    # TLS 1.2/1.3 with the same suites, in the same order (AES-128-GCM first), on nginx and HAProxy; Gatehouse's
    # are its tls module's policy
    TLS12_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305
    TLS13_SUITES=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
fi

# HTTPS GET through openssl, the certificate verified against the test CA -> the status code
https_status() {  # PORT PATH
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" \
        | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -servername localhost -CAfile "$TMP/certs/ca.pem" \
            -verify_return_error 2>/dev/null | head -1 | awk '{print $2}'
}

start_backends "$BACKEND_CP"
echo "bench: backends ready on ${BACKEND_PORTS} (pid $BACKENDS_PID)"
nonzero "$WARMUP" && echo "bench: warming up the backends (JIT) directly, $WARMUP per backend and size"
warm_up_backends "${SIZE_LIST[@]}"
if nonzero "$WARMUP"; then   # and their POST and HEAD answers, when a workload sends them
    for w in chunked head; do
        in_list "$w" "${WORKLOADS[@]}" || continue
        for size in "${SIZE_LIST[@]}"; do
            wrk_args "$w" "$size"
            for p in "${BACKENDS[@]}"; do
                run_wrk "$WARMUP" "${WRK_ARGS[@]}" "http://127.0.0.1:$p$WRK_PATH" >/dev/null 2>&1
            done
        done
    done
fi

# nginx's proxy_cache keeps its files on tmpfs (/dev/shm) when it can, so a hit reads memory, as Varnish's malloc
# storage and Gatehouse's heap do; the bench temp dir otherwise
cache_dir() {
    if [[ -z ${CACHE_DIR:-} ]]; then
        if CACHE_DIR=$(mktemp -d /dev/shm/gatehouse-bench-cache.XXXXXX 2>/dev/null); then
            EXTRA_DIRS+=("$CACHE_DIR")
        else
            CACHE_DIR=$TMP/cache
        fi
        mkdir -p "$CACHE_DIR" && chmod 777 "$CACHE_DIR"   # nginx workers may run as an unprivileged user
    fi
    echo "$CACHE_DIR"
}

start_nginx() {
    local conf=$TMP/nginx.conf
    in_list cache "${WORKLOADS[@]}" && cache_dir >/dev/null   # here, not in a subshell: cleanup removes it
    {
        nginx_conf_head
        if in_list cache "${WORKLOADS[@]}"; then
            echo "    proxy_cache_path $CACHE_DIR/nginx levels=1:2 keys_zone=bench:16m max_size=256m inactive=1h use_temp_path=off;"
        fi
        echo "    server {"
        echo "        listen 127.0.0.1:$NGINX_PORT;"
        echo "        location / {"
        echo "            proxy_pass http://bench;"
        echo "            proxy_http_version 1.1;"
        echo "            proxy_set_header Connection \"\";"
        echo "            proxy_max_temp_file_size 0;   # stream what the buffers cannot hold; never spill to disk"
        echo "        }"
        if in_list cache "${WORKLOADS[@]}"; then
            echo "        location /cache/ {"
            echo "            proxy_pass http://bench/;   # /cache/x -> /x"
            echo "            proxy_http_version 1.1;"
            echo "            proxy_set_header Connection \"\";"
            echo "            proxy_cache bench;"
            echo "            proxy_cache_valid 200 1h;"
            echo "            proxy_cache_lock on;"
            echo "            sendfile on;   # hits are files (on tmpfs): sent without a copy through user space"
            echo "            add_header X-Cache-Status \$upstream_cache_status;"
            echo "        }"
        fi
        echo "    }"
        if (( wants_tls )); then
            echo "    server {"
            echo "        listen 127.0.0.1:$(( NGINX_PORT + TLS_PORT_OFFSET )) ssl;"
            echo "        ssl_certificate $CERT;"
            echo "        ssl_certificate_key $KEY;"
            echo "        ssl_protocols TLSv1.2 TLSv1.3;"
            echo "        ssl_ciphers $TLS12_CIPHERS;"
            echo "        ssl_conf_command Ciphersuites $TLS13_SUITES;"
            echo "        ssl_prefer_server_ciphers on;"
            echo "        ssl_session_cache shared:SSL:10m;"
            echo "        location / {"
            echo "            proxy_pass http://bench;"
            echo "            proxy_http_version 1.1;"
            echo "            proxy_set_header Connection \"\";"
            echo "            proxy_max_temp_file_size 0;"
            echo "        }"
            echo "    }"
        fi
        echo "}"
    } >"$conf"
    nginx -t -q -e "$TMP/nginx-error.log" -c "$conf" >"$TMP/nginx.log" 2>&1 \
        || { cat "$TMP/nginx.log" >&2; die "nginx rejected $conf"; }
    nginx -e "$TMP/nginx-error.log" -c "$conf" >>"$TMP/nginx.log" 2>&1 &
    PID[nginx]=$!
}

start_haproxy() {
    local conf=$TMP/haproxy.cfg i=1 p
    {
        echo "global"
        echo "    nbthread 2"
        echo "    maxconn $HAPROXY_MAXCONN"
        # HAProxy counts two descriptors per connection (client and server) and by default refuses to start when
        # it cannot raise its limit to that; idle keep-alive connections need one each (server side pooled)
        (( HAPROXY_MAXCONN * 2 + 100 > $(ulimit -n) )) && echo "    no strict-limits"
        if (( wants_tls )); then
            echo "    ssl-default-bind-options ssl-min-ver TLSv1.2"
            echo "    ssl-default-bind-ciphers $TLS12_CIPHERS"
            echo "    ssl-default-bind-ciphersuites $TLS13_SUITES"
        fi
        echo "defaults"
        echo "    mode http"
        echo "    maxconn $HAPROXY_MAXCONN"
        echo "    option http-keep-alive"
        echo "    http-reuse always"
        echo "    timeout connect 2s"
        echo "    timeout client 65s"
        echo "    timeout server 30s"
        echo "    timeout http-keep-alive 65s   # as nginx's keepalive_timeout (Gatehouse's idle-timeout: 60s)"
        echo "    # no 'log' line: logging off"
        echo "frontend bench"
        echo "    bind 127.0.0.1:$HAPROXY_PORT"
        (( wants_tls )) && echo "    bind 127.0.0.1:$(( HAPROXY_PORT + TLS_PORT_OFFSET )) ssl crt $TMP/certs/localhost-haproxy.pem"
        echo "    default_backend bench"
        echo "backend bench"
        echo "    balance roundrobin"
        for p in "${BACKENDS[@]}"; do
            echo "    server backend-$i 127.0.0.1:$p"
            i=$(( i + 1 ))
        done
    } >"$conf"
    haproxy -c -q -f "$conf" >"$TMP/haproxy.log" 2>&1 || { cat "$TMP/haproxy.log" >&2; die "haproxy rejected $conf"; }
    haproxy -db -f "$conf" >>"$TMP/haproxy.log" 2>&1 &
    PID[haproxy]=$!
}

# Varnish (malloc storage) over the same backends, round-robin through a director; /cache/x goes to the backends as
# /x. Unprivileged-friendly: its working dir in TMP, no jail, no management port. Its CPU is counted over the
# manager and the child (cpu_ticks sums the process and its children).
start_varnish() {
    local vcl=$TMP/varnish.vcl i=1 p
    {
        echo "vcl 4.1;"
        echo "import directors;"
        for p in "${BACKENDS[@]}"; do
            echo "backend b$i { .host = \"127.0.0.1\"; .port = \"$p\"; }"
            i=$(( i + 1 ))
        done
        echo "sub vcl_init {"
        echo "    new bench = directors.round_robin();"
        for (( i = 1; i <= ${#BACKENDS[@]}; i++ )); do
            echo "    bench.add_backend(b$i);"
        done
        echo "}"
        echo "sub vcl_recv {"
        echo "    set req.backend_hint = bench.backend();"
        echo "    if (req.url ~ \"^/cache/\") { set req.url = regsub(req.url, \"^/cache/\", \"/\"); }"
        echo "}"
    } >"$vcl"
    varnishd -C -n "$TMP/varnish" -f "$vcl" >"$TMP/varnish.log" 2>&1 \
        || { cat "$TMP/varnish.log" >&2; die "varnishd rejected $vcl"; }
    varnishd -F -j none -n "$TMP/varnish" -a "127.0.0.1:$VARNISH_PORT" -T none -f "$vcl" -s malloc,256m \
        >>"$TMP/varnish.log" 2>&1 &
    PID[varnish]=$!
}

start_gatehouse() {
    start_gatehouse_jar gatehouse "$JAR" "$GATEHOUSE_PORT" "$GATEHOUSE_ADMIN_PORT" "$GATEHOUSE_CLUSTER_PORT"
}

# gatehouse-base: an earlier build (BASELINE_JAR) beside the current one, for before/after figures in one run.
start_gatehouse-base() {
    start_gatehouse_jar gatehouse-base "$BASELINE_JAR" "$GATEHOUSE_BASE_PORT" $((GATEHOUSE_ADMIN_PORT + 1)) \
        $((GATEHOUSE_CLUSTER_PORT + 1))
}

# start_gatehouse_jar NAME JAR PORT ADMIN-PORT CLUSTER-PORT [JAVA-OPTS (default GATEHOUSE_JAVA_OPTS)]
start_gatehouse_jar() {
    local name=$1 jar=$2 GATEHOUSE_PORT=$3 GATEHOUSE_ADMIN_PORT=$4 GATEHOUSE_CLUSTER_PORT=$5
    local java_opts=${6:-$GATEHOUSE_JAVA_OPTS}
    local conf=$TMP/$name.yaml p
    {
        echo "data-dir: $TMP/$name-data"
        # the TLS engine only when asked: a build without the key would reject it
        (( wants_tls )) && [[ -n $GATEHOUSE_TLS_ENGINE ]] && echo "tls-engine: $GATEHOUSE_TLS_ENGINE"
        echo "listeners:"
        echo "  - name: bench"
        echo "    host: 127.0.0.1"
        echo "    port: $GATEHOUSE_PORT"
        if (( wants_tls )); then
            echo "  - name: bench-tls"
            echo "    host: 127.0.0.1"
            echo "    port: $(( GATEHOUSE_PORT + TLS_PORT_OFFSET ))"
            echo "    tls:"
            echo "      certificates: [ { cert: $CERT, key: $KEY } ]"
        fi
        echo "pools:"
        echo "  - name: bench"
        echo "    balancer: round-robin"
        echo "    backends:"
        for p in "${BACKENDS[@]}"; do
            echo "      - { url: http://127.0.0.1:$p }"
        done
        echo "routes:"
        echo "  - name: plain"
        echo "    match: { path-prefix: /bytes/ }"
        echo "    pool: bench"
        if in_list filters "${WORKLOADS[@]}"; then
            echo "  - name: filters"
            echo "    match: { path-prefix: /filters/ }"
            echo "    pool: bench"
            echo "    prefix-rewrite: /"
            echo "    filters:"
            echo "      - { type: headers, request: { set: { X-Env: bench }, remove: [X-Debug] }, response: { set: { X-Frame-Options: DENY } } }"
            echo "      - { type: cors, origins: [\"$CORS_ORIGIN\"], methods: [GET, POST], headers: [Authorization], max-age: 10m }"
        fi
        if in_list cache "${WORKLOADS[@]}"; then
            echo "  - name: cache"
            echo "    match: { path-prefix: /cache/ }"
            echo "    pool: bench"
            echo "    prefix-rewrite: /"
            echo "    cache: { enabled: true }"
        fi
        if in_list jwt "${WORKLOADS[@]}"; then
            echo "  - name: jwt"
            echo "    match: { path-prefix: /jwt/ }"
            echo "    pool: bench"
            echo "    prefix-rewrite: /"
            echo "    filters:"
            echo "      - { type: jwt, issuer: \"$JWT_ISSUER\", audience: $JWT_AUDIENCE, jwks: $TMP/jwks.json }"
        fi
        if in_list cache "${WORKLOADS[@]}"; then
            echo "cache: { max-size: 256MB }   # as Varnish's -s malloc,256m"
        fi
        echo "admin:"
        echo "  host: 127.0.0.1"
        echo "  port: $GATEHOUSE_ADMIN_PORT"
        # stopped in a second rather than after the 5 s readiness delay (an earlier build may not know the key)
        [[ $jar == "$JAR" ]] && echo "shutdown: { readiness-delay: 0s, drain-timeout: 1s }"
    } >"$conf"
    java -jar "$jar" validate --config "$conf" >"$TMP/$name-validate.log" 2>&1 \
        || { cat "$TMP/$name-validate.log" >&2; die "$name ($jar) rejected $conf"; }
    # shellcheck disable=SC2086
    "$GATEHOUSE_JAVA" $java_opts -jar "$jar" run --config "$conf" >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!
}

# vertx-floor: the smallest Vert.x core forwarder (BareForwarderMain), Vert.x's own floor on this machine.
start_vertx-floor() {
    # shellcheck disable=SC2086
    java $GATEHOUSE_JAVA_OPTS -cp "$JAR" dev.gatehouse.loadtest.BareForwarderMain --port "$VERTX_FLOOR_PORT" \
        --backends "$BACKEND_PORTS" >"$TMP/vertx-floor.log" 2>&1 &
    PID[vertx-floor]=$!
}

for p in "${PROXIES[@]}"; do
    "start_$p"
    PIDS+=("${PID[$p]}")
    wait_ready "$p" "${PORT[$p]}" /bytes/16 "${PID[$p]}" "$TMP/$p.log" 60
    echo "bench: $p ready on 127.0.0.1:${PORT[$p]} (pid ${PID[$p]})"
    if (( wants_tls )) && serves "$p" tls-handshake; then
        # the certificate verified against the test CA, so every proxy really serves the same one
        wait_ready "$p" $(( ${PORT[$p]} + TLS_PORT_OFFSET )) /bytes/16 "${PID[$p]}" "$TMP/$p.log" 30 https_status
        echo "bench: $p ready on https://127.0.0.1:$(( ${PORT[$p]} + TLS_PORT_OFFSET ))"
    fi
done

# probe PORT WORKLOAD: the response head (status line and headers, CR removed) of one request of that workload
probe() {
    local port=$1 w=$2 method=GET extra='' body='' line
    case $w in
        filters) extra="Origin: $CORS_ORIGIN"$'\r\n' ;;
        jwt) extra="Authorization: Bearer $JWT_TOKEN"$'\r\n' ;;
        chunked) method=POST extra=$'Transfer-Encoding: chunked\r\n' body=$CHUNKED_BODY ;;
        head) method=HEAD ;;
    esac
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n%sConnection: close\r\n\r\n%s' "$method" \
            "$(workload_path "$w" 16)" "$port" "$extra" "$body" >&3
        while IFS= read -r -t 5 line <&3; do
            line=${line%$'\r'}
            [[ -z $line ]] && break
            printf '%s\n' "$line"
        done
    ) 2>/dev/null
}

# Every workload gets its 200 from every proxy that runs it before anything is measured (a 401 from jwt or a
# missing CORS header means the workload measures something else); filters must show both filters at work.
for pair in "${PAIRS[@]}"; do
    read -r w p <<<"$pair"
    [[ $w == tls-* ]] && continue   # answered 200 over TLS above
    head=$(probe "${PORT[$p]}" "$w")
    ok=1
    [[ $(awk 'NR == 1 {print $2}' <<<"$head") == 200 ]] || ok=0
    if [[ $w == filters ]]; then
        grep -qix "access-control-allow-origin: $CORS_ORIGIN" <<<"$head" || ok=0
        grep -qix 'x-frame-options: DENY' <<<"$head" || ok=0
    fi
    (( ok )) || { printf '%s\n' "$head" >&2; die "workload $w on $p: not the expected 200 (response head above)"; }
done
echo "bench: workloads ${WORKLOADS[*]} answer 200 on every proxy that runs them"

# cache_pass PROXY SIZE: GET every key of the cache workload once, in order, on one keep-alive connection; prints
# "<answers from the cache> <200 answers> <answers>" and leaves curl's per-request line (status|X-Cache-Status|
# Cache-Status|X-Varnish|Age) in $TMP/cache-pass.txt. What counts as an answer from the cache: nginx's
# X-Cache-Status HIT; a Cache-Status whose member has a hit parameter (Gatehouse); an X-Varnish with two
# transaction ids, the request's and the one that stored the object (Varnish).
cache_pass() {
    local proxy=$1 size=$2 args=() i
    for (( i = 1; i <= CACHE_KEYS; i++ )); do
        args+=(-o /dev/null "http://127.0.0.1:${PORT[$proxy]}$(cache_path "$size" "$i")")
    done
    curl -s --max-time 300 \
        -w '%{http_code}|%header{x-cache-status}|%header{cache-status}|%header{x-varnish}|%header{age}\n' \
        "${args[@]}" >"$TMP/cache-pass.txt"
    awk -F'|' -v p="$proxy" '
        { n++; if ($1 == 200) ok++
          if (p == "nginx") hit = ($2 == "HIT")
          else if (p == "varnish") hit = (split($4, ids, " ") == 2)
          else hit = (tolower($3) ~ /; *hit *(;|$|=\?1)/)
          hits += hit }
        END { printf "%d %d %d\n", hits, ok, n }' "$TMP/cache-pass.txt"
}

# check_cache_hits WHEN: every proxy's cache must answer every key of every size from the cache; else the run stops
# (a cache that is not hitting would measure the origin path). A store may finish just after its response went
# out (Gatehouse stores asynchronously), so a pass that misses is repeated once after a second.
check_cache_hits() {
    local pair w proxy size hits ok n
    in_list cache "${WORKLOADS[@]}" || return 0
    for size in "${SIZE_LIST[@]}"; do
        for pair in "${PAIRS[@]}"; do
            read -r w proxy <<<"$pair"
            [[ $w == cache ]] || continue
            read -r hits ok n <<<"$(cache_pass "$proxy" "$size")"
            if (( hits != CACHE_KEYS )); then
                sleep 1
                read -r hits ok n <<<"$(cache_pass "$proxy" "$size")"
            fi
            if (( hits != CACHE_KEYS || ok != CACHE_KEYS )); then
                echo "bench: $1: $proxy answered $hits of $CACHE_KEYS keys ($(size_label "$size")) from its cache" \
                    "($ok of $n with 200); the first answers (status|X-Cache-Status|Cache-Status|X-Varnish|Age):" >&2
                head -n 5 "$TMP/cache-pass.txt" >&2
                die "cache workload: $proxy is not hitting; not measuring it (see $TMP/$proxy.log)"
            fi
            echo "bench: $1: $proxy answers all $CACHE_KEYS keys of $(size_label "$size") from its cache"
        done
    done
}

if in_list cache "${WORKLOADS[@]}"; then
    echo "bench: filling every cache with one pass over $CACHE_KEYS keys per size"
    for size in "${SIZE_LIST[@]}"; do
        for pair in "${PAIRS[@]}"; do
            read -r w p <<<"$pair"
            [[ $w == cache ]] && cache_pass "$p" "$size" >/dev/null
        done
    done
    check_cache_hits "before measuring"
fi

# ---- run ---------------------------------------------------------------------------------------------------

mkdir -p "$ROOT/bench/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$ROOT/bench/results/$STAMP.txt"
ROWS=$TMP/rows.tsv
: >"$ROWS"
: >"$TMP/wrk-all.txt"

runs=0
warm_pairs=0    # the JVM proxies' (workload, size) pairs, each warmed up once
for size in "${MEASURE_SIZES[@]}"; do
    pairs_at "$size"
    runs=$(( runs + ROUNDS * ${#SIZE_PAIRS[@]} ))
    for pair in "${SIZE_PAIRS[@]}"; do
        jvm_proxy "${pair#* }" && warm_pairs=$(( warm_pairs + 1 ))
    done
done
once_s=0        # idle10k: opening, the hold, the second requests (and a fresh Gatehouse); open-loop: its rounds, each with the generator's warm-up
for p in "${PROXIES[@]}"; do
    in_list idle10k "${WORKLOADS[@]}" && serves "$p" idle10k && once_s=$(( once_s + $(seconds "$IDLE_HOLD") + 8 ))
    in_list open-loop "${WORKLOADS[@]}" && serves "$p" open-loop && once_s=$(( once_s + OPEN_LOOP_ROUNDS * ( $(seconds "$OPEN_LOOP_DURATION") + $(seconds "$OPEN_LOOP_WARMUP") + 2 ) ))
done
warm_s=0
nonzero "$PROXY_WARMUP" && warm_s=$(( warm_pairs * $(seconds "$PROXY_WARMUP") ))
total_s=$(( warm_s + runs * ( $(seconds "$WARMUP") + $(seconds "$DURATION") ) + once_s ))
echo "bench: about $(( (total_s + 59) / 60 )) min from here (${#PAIRS[@]} wrk workload/proxy pairs, ${#MEASURE_SIZES[@]} size(s), $ROUNDS round(s)$(
    (( once_s > 0 )) && echo "; then $(printf '%s ' "${WORKLOADS[@]}" | tr ' ' '\n' | grep -xE 'idle10k|open-loop' | paste -sd, -) once per proxy"))"

# A JVM reaches steady state only after its JIT has compiled the hot path: every JVM proxy gets the same long
# warm-up for every workload at every size once, before any measured run (nginx, HAProxy and Varnish have no JIT:
# a warm-up would change nothing but the time the run takes).
if nonzero "$PROXY_WARMUP" && (( warm_pairs > 0 )); then
    echo "bench: warming up each JVM proxy for $PROXY_WARMUP per workload and size before measuring"
    for size in "${MEASURE_SIZES[@]}"; do
        pairs_at "$size"
        for pair in "${SIZE_PAIRS[@]}"; do
            read -r workload proxy <<<"$pair"
            jvm_proxy "$proxy" || continue
            wrk_url "$workload" "$proxy" "$size"
            WRK_CONNECTIONS=$WRK_C run_wrk "$PROXY_WARMUP" "${WRK_ARGS[@]}" "$WRK_URL" >/dev/null 2>&1
        done
    done
fi

(( runs > 0 )) && echo "bench: $runs runs of wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency ($(
    in_list conn1k "${WORKLOADS[@]}" && echo "conn1k: -c$MANY_CONNECTIONS; ")warm-up $WARMUP each)"
n=0
for size in "${MEASURE_SIZES[@]}"; do
    pairs_at "$size"
    count=${#SIZE_PAIRS[@]}
    stride=$(( count / ROUNDS > 1 ? count / ROUNDS : 1 ))   # each round starts elsewhere in the list
    for (( r = 0; r < ROUNDS; r++ )); do
        for (( k = 0; k < count; k++ )); do
            read -r workload proxy <<<"${SIZE_PAIRS[$(( (k + r * stride) % count ))]}"   # rotate the order each round
            wrk_url "$workload" "$proxy" "$size"
            n=$(( n + 1 ))
            nonzero "$WARMUP" && WRK_CONNECTIONS=$WRK_C run_wrk "$WARMUP" "${WRK_ARGS[@]}" "$WRK_URL" >/dev/null 2>&1
            before=$(cpu_ticks "${PID[$proxy]}")
            out=$(WRK_CONNECTIONS=$WRK_C run_wrk "$DURATION" --latency "${WRK_ARGS[@]}" "$WRK_URL" 2>&1)
            after=$(cpu_ticks "${PID[$proxy]}")
            kill -0 "${PID[$proxy]}" 2>/dev/null || { echo "$out" >&2; die "$proxy died during the run (see $TMP/$proxy.log)"; }
            {
                echo "### round $(( r + 1 )) $workload $proxy $(size_label "$size") $WRK_URL"
                echo "$out"
                echo
            } >>"$TMP/wrk-all.txt"
            parse_wrk "$out" || { echo "$out" >&2; die "could not parse wrk's output"; }
            cpu_s=$(awk -v t=$(( after - before )) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
            cpu_us=$(cpu_us_per_req "$before" "$after" "$requests")
            printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( r + 1 ))" "$size" "$workload" "$proxy" "$rps" \
                "$p99" "$requests" "$cpu_s" "$cpu_us" "$(( ${non2xx:-0} + ${sockerr:-0} ))" >>"$ROWS"
            printf 'bench: [%d/%d] round %d %-13s %-14s %-6s %10s req/s  p99 %8s ms  %6s CPU µs/req%s\n' "$n" \
                "$runs" "$(( r + 1 ))" "$workload" "$proxy" "$(size_label "$size")" "$rps" "$p99" "$cpu_us" \
                "$( (( ${non2xx:-0} + ${sockerr:-0} > 0 )) && echo "  ERRORS: non-2xx ${non2xx:-0}, socket ${sockerr:-0}")"
        done
    done
done

check_cache_hits "after measuring"   # nothing was evicted or expired while measured

# ---- idle10k: many idle keep-alive connections, errors and resident memory --------------------------------------

# rss_kb PID: VmRSS of the process and its direct children (nginx's workers, Varnish's child), in kB
rss_kb() {
    local root=$1 total=0 d line rest kb
    for d in /proc/[0-9]*; do
        { read -r line <"$d/stat"; } 2>/dev/null || continue
        rest=${line##*) }
        # shellcheck disable=SC2086
        set -- $rest
        if [[ ${d#/proc/} == "$root" || $2 == "$root" ]]; then
            kb=$(awk '/^VmRSS:/ {print $2}' "$d/status" 2>/dev/null)
            total=$(( total + ${kb:-0} ))
        fi
    done
    echo "$total"
}

IDLE_ROWS=$TMP/idle.tsv
: >"$IDLE_ROWS"
# idle_rss OUT LINE PID OPENER: once the opener has printed LINE, PID's resident memory (kB); empty if it never does
idle_rss() {
    local i
    for (( i = 0; i < 3000; i++ )); do   # at most 5 minutes (the opener gives up on a phase after 2)
        if grep -q "^$2" "$1" 2>/dev/null; then
            rss_kb "$3"
            return
        fi
        kill -0 "$4" 2>/dev/null || return
        sleep 0.1
    done
}

# idle_run PROXY PORT PID: runs the opener against PORT and reads PID's memory before, once every connection is open
# and answered (held), and at the end of the hold (idle for --idle-hold)
idle_run() {
    local proxy=$1 port=$2 pid=$3 out=$TMP/idle-$1.out before held idle result opener
    : >"$out"
    before=$(rss_kb "$pid")
    java -Xmx128m -XX:TieredStopAtLevel=1 "$ROOT/bench/IdleConnections.java" --port "$port" \
        --connections "$IDLE_CONNECTIONS" --hold "$IDLE_HOLD" --path "/bytes/$SINGLE_SIZE" >"$out" 2>"$out.err" &
    opener=$!
    PIDS+=("$opener")
    held=$(idle_rss "$out" held "$pid" "$opener")
    idle=$(idle_rss "$out" hold-end "$pid" "$opener")
    wait "$opener"
    result=$(grep '^{' "$out" | tail -1)
    [[ -n $result ]] || { cat "$out" "$out.err" >&2; die "idle10k on $proxy: the opener reported nothing"; }
    kill -0 "$pid" 2>/dev/null || die "$proxy died during idle10k (see $TMP/$proxy.log)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$proxy" "$before" "${held:-0}" "${idle:-0}" "$result" >>"$IDLE_ROWS"
    printf 'bench: idle10k %-14s %s; RSS %d MB before, %d MB held, %d MB at the end of the hold\n' "$proxy" "$result" \
        $(( before / 1024 )) $(( ${held:-0} / 1024 )) $(( ${idle:-0} / 1024 ))
}

if in_list idle10k "${WORKLOADS[@]}"; then
    echo "bench: idle10k: $IDLE_CONNECTIONS keep-alive connections per proxy, held idle for $IDLE_HOLD, then used again"
    for proxy in "${PROXIES[@]}"; do
        serves "$proxy" idle10k || continue
        if [[ $proxy == gatehouse || $proxy == gatehouse-base ]]; then
            # a fresh process with the launcher's JVM flags, on ports of its own, stopped after
            jar=$JAR
            [[ $proxy == gatehouse-base ]] && jar=$BASELINE_JAR
            offset=$([[ $proxy == gatehouse ]] && echo 0 || echo 1)
            idle_port=$(( ${PORT[$proxy]} + 2 * TLS_PORT_OFFSET ))
            wants_tls=0 start_gatehouse_jar "$proxy-idle" "$jar" "$idle_port" $(( GATEHOUSE_ADMIN_PORT + 2 + offset )) \
                $(( GATEHOUSE_CLUSTER_PORT + 2 + offset )) "$IDLE_GATEHOUSE_JAVA_OPTS"
            PIDS+=("${PID[$proxy-idle]}")
            wait_ready "$proxy-idle" "$idle_port" /bytes/16 "${PID[$proxy-idle]}" "$TMP/$proxy-idle.log" 60
            idle_run "$proxy" "$idle_port" "${PID[$proxy-idle]}"
            kill "${PID[$proxy-idle]}" 2>/dev/null
            wait "${PID[$proxy-idle]}" 2>/dev/null
        else
            idle_run "$proxy" "${PORT[$proxy]}" "${PID[$proxy]}"
        fi
    done
fi

# ---- open-loop: latency percentiles at one fixed rate ---------------------------------------------------------

OPEN_ROWS=$TMP/open-loop.tsv     # one row per proxy: the medians over the rounds
OPEN_RUNS=$TMP/open-loop-runs.tsv # one row per run
: >"$OPEN_ROWS"
: >"$OPEN_RUNS"
if in_list open-loop "${WORKLOADS[@]}"; then
    echo "bench: open-loop: gatehouse loadtest --rate $OPEN_LOOP_RATE/s --duration $OPEN_LOOP_DURATION" \
        "--warmup $OPEN_LOOP_WARMUP, $OPEN_LOOP_ROUNDS interleaved round(s) per proxy"
    open_proxies=()
    for proxy in "${PROXIES[@]}"; do serves "$proxy" open-loop && open_proxies+=("$proxy"); done
    for (( r = 1; r <= OPEN_LOOP_ROUNDS; r++ )); do
        # the order rotates each round, so no proxy always follows the same one
        n=${#open_proxies[@]}
        for (( i = 0; i < n; i++ )); do
            proxy=${open_proxies[$(( (i + r - 1) % n ))]}
            json=$TMP/open-loop-$proxy-$r.json
            before=$(cpu_ticks "${PID[$proxy]}")
            # The generator is a fresh JVM: its warm-up compiles its own sending path, else its delays (reported as
            # send lag, and counted in the latency from the intended time) dominate the tail it measures.
            java -XX:+UseParallelGC -Xms256m -Xmx512m -jar "$JAR" loadtest \
                --url "http://127.0.0.1:${PORT[$proxy]}/bytes/$SINGLE_SIZE" --rate "$OPEN_LOOP_RATE/s" \
                --duration "$OPEN_LOOP_DURATION" --warmup "$OPEN_LOOP_WARMUP" --json --no-progress \
                >"$json" 2>"$json.err"
            after=$(cpu_ticks "${PID[$proxy]}")
            jq -e .latency_ms "$json" >/dev/null 2>&1 || { cat "$json" "$json.err" >&2; die "open-loop on $proxy: loadtest failed"; }
            kill -0 "${PID[$proxy]}" 2>/dev/null || die "$proxy died during open-loop (see $TMP/$proxy.log)"
            # CPU over the warm-up and the measured part, per request sent in both (the rate is fixed)
            sent=$(( OPEN_LOOP_RATE * ( $(seconds "$OPEN_LOOP_DURATION") + $(seconds "$OPEN_LOOP_WARMUP") ) ))
            cpu_us=$(cpu_us_per_req "$before" "$after" "$sent")
            line=$(jq -r --arg p "$proxy" --arg cpu "$cpu_us" '[$p, .target_rate, .achieved_rate, .latency_ms.p50,
                .latency_ms.p90, .latency_ms.p99, .latency_ms.p99_9, .latency_ms.max, .errors.total,
                (.responses - .successes), $cpu, .send_lag_ms.p99] | @tsv' "$json")
            printf '%s\n' "$line" >>"$OPEN_RUNS"
            read -r _ _ achieved p50 p90 p99o p999 _ errs _ _ lag <<<"$line"
            printf 'bench: open-loop %-14s round %s  %s req/s  p50 %s  p90 %s  p99 %s  p99.9 %s ms  errors %s  %s CPU µs/req  (generator send lag p99 %s ms)\n' \
                "$proxy" "$r" "$achieved" "$p50" "$p90" "$p99o" "$p999" "$errs" "$cpu_us" "$lag"
        done
    done
    # per proxy: the median of each column over its rounds; errors and non-2xx summed, max the largest
    for proxy in "${open_proxies[@]}"; do
        omed() { awk -F'\t' -v p="$proxy" -v c="$1" '$1 == p {print $c}' "$OPEN_RUNS" | median; }
        osum() { awk -F'\t' -v p="$proxy" -v c="$1" '$1 == p {s += $c} END {print s + 0}' "$OPEN_RUNS"; }
        omax() { awk -F'\t' -v p="$proxy" -v c="$1" '$1 == p && $c > m {m = $c} END {print m + 0}' "$OPEN_RUNS"; }
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$proxy" "$(omed 2)" "$(omed 3)" "$(omed 4)" \
            "$(omed 5)" "$(omed 6)" "$(omed 7)" "$(omax 8)" "$(osum 9)" "$(osum 10)" "$(omed 11)" "$(omed 12)" >>"$OPEN_ROWS"
    done
fi

# ---- summary -----------------------------------------------------------------------------------------------

# col SIZE WORKLOAD PROXY COLUMN: that column of the matching rows
col() {
    awk -F'\t' -v s="$1" -v w="$2" -v p="$3" -v c="$4" '$2 == s && $3 == w && $4 == p {print $c}' "$ROWS"
}
ratio() {        # A B -> A/B with two decimals, or - without a B
    awk -v a="$1" -v b="$2" 'BEGIN {if (b == "" || b == "nan" || b == 0) print "-"; else printf "%.2f", a / b}'
}

SUMMARY=$TMP/summary.txt
against_plain=0   # the rps/plain and CPU/plain columns, only when there is something besides plain
(( ${#WORKLOADS[@]} > 1 )) && against_plain=1
row() {          # SIZE WORKLOAD PROXY REQ/S P99 CPU VS-NGINX RPS/PLAIN CPU/PLAIN ERRORS
    printf '%-7s %-13s %-14s %10s %9s %11s %9s' "${@:1:7}"
    (( against_plain )) && printf ' %10s %10s' "$8" "$9"
    printf ' %7s\n' "${10}"
}
{
    (( ${#PAIRS[@]} > 0 )) && row size workload proxy "req/s" "p99 ms" "CPU µs/req" "vs nginx" "rps/plain" "CPU/plain" errors
    for size in "${MEASURE_SIZES[@]}"; do
        for workload in "${WORKLOADS[@]}"; do
            in_list "$workload" "${ONCE_WORKLOADS[@]}" && continue
            measured_at "$workload" "$size" || continue
            ref=
            serves nginx "$workload" && in_list nginx "${PROXIES[@]}" && ref=$(col "$size" "$workload" nginx 5 | median)
            for proxy in "${PROXIES[@]}"; do
                serves "$proxy" "$workload" || continue
                rps=$(col "$size" "$workload" "$proxy" 5 | median)
                p99=$(col "$size" "$workload" "$proxy" 6 | median)
                cpu=$(col "$size" "$workload" "$proxy" 9 | median)
                errs=$(col "$size" "$workload" "$proxy" 10 | awk '{t += $1} END {print t + 0}')
                plain_rps=$(col "$size" plain "$proxy" 5 | median)
                plain_cpu=$(col "$size" plain "$proxy" 9 | median)
                row "$(size_label "$size")" "$workload" "$proxy" "$(printf '%.0f' "$rps")" "$(printf '%.3f' "$p99")" \
                    "$(printf '%.1f' "$cpu")" "$(ratio "$rps" "$ref")" "$(ratio "$rps" "$plain_rps")" \
                    "$(ratio "$cpu" "$plain_cpu")" "$errs"
            done
        done
    done
    # issue 11's cache targets: Gatehouse's hits against nginx proxy_cache and Varnish (req/s >= 1.0x both, p99 no
    # worse than nginx's)
    if in_list cache "${WORKLOADS[@]}" && in_list gatehouse "${PROXIES[@]}"; then
        echo
        printf '%-7s %-22s %9s %9s %11s\n' size "cache: gatehouse vs" "req/s" "p99" "CPU µs/req"
        for size in "${SIZE_LIST[@]}"; do
            for ref in nginx varnish; do
                in_list "$ref" "${PROXIES[@]}" || continue
                printf '%-7s %-22s %9s %9s %11s\n' "$(size_label "$size")" \
                    "$([[ $ref == nginx ]] && echo "nginx proxy_cache" || echo varnish)" \
                    "$(ratio "$(col "$size" cache gatehouse 5 | median)" "$(col "$size" cache "$ref" 5 | median)")" \
                    "$(ratio "$(col "$size" cache gatehouse 6 | median)" "$(col "$size" cache "$ref" 6 | median)")" \
                    "$(ratio "$(col "$size" cache gatehouse 9 | median)" "$(col "$size" cache "$ref" 9 | median)")"
            done
        done
    fi
    # issue 12's 1,000-connection target is HAProxy's req/s
    if in_list conn1k "${WORKLOADS[@]}" && in_list gatehouse "${PROXIES[@]}" && in_list haproxy "${PROXIES[@]}"; then
        echo
        printf 'conn1k: gatehouse vs haproxy  req/s %s  p99 %s  CPU µs/req %s\n' \
            "$(ratio "$(col "$SINGLE_SIZE" conn1k gatehouse 5 | median)" "$(col "$SINGLE_SIZE" conn1k haproxy 5 | median)")" \
            "$(ratio "$(col "$SINGLE_SIZE" conn1k gatehouse 6 | median)" "$(col "$SINGLE_SIZE" conn1k haproxy 6 | median)")" \
            "$(ratio "$(col "$SINGLE_SIZE" conn1k gatehouse 9 | median)" "$(col "$SINGLE_SIZE" conn1k haproxy 9 | median)")"
    fi
    if [[ -s $IDLE_ROWS ]]; then
        echo
        printf '%-14s %11s %9s %10s %9s %7s %7s %10s %9s %9s %8s\n' "idle10k" connections "first ok" "closed idle" \
            "second ok" errors "open s" "RSS before" "RSS held" "RSS end" "KB/conn"
        while IFS=$'\t' read -r proxy before held idle json; do
            jq -r --arg p "$proxy" --argjson b "$before" --argjson h "$held" --argjson e "$idle" '[$p, .connections,
                .first_ok, .closed_during_hold, .second_ok, .errors, .open_s, "\($b / 1024 | floor) MB",
                "\($h / 1024 | floor) MB", "\($e / 1024 | floor) MB",
                (if .connections > 0 then (([$h, $e] | max) - $b) / .connections * 10 | round / 10 else 0 end)] | @tsv' \
                <<<"$json" | awk -F'\t' '{printf "%-14s %11s %9s %10s %9s %7s %7s %10s %9s %9s %8s\n",
                    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
        done <"$IDLE_ROWS"
        echo "(RSS held: once every connection had its first answer; end: after the $IDLE_HOLD idle hold; KB/conn: the larger over connections)"
        if in_list gatehouse "${PROXIES[@]}"; then
            held=$(awk -F'\t' '$1 == "gatehouse" {print int(($3 > $4 ? $3 : $4) / 1024)}' "$IDLE_ROWS")
            echo "gatehouse (launcher flags: $IDLE_GATEHOUSE_JAVA_OPTS) held $IDLE_CONNECTIONS connections in" \
                "${held:-?} MB resident: $( (( ${held:-999999} < 400 )) && echo "under" || echo "NOT under") the 400 MB goal"
        fi
    fi
    if [[ -s $OPEN_ROWS ]]; then
        echo
        printf '%-14s %9s %9s %8s %8s %8s %8s %8s %7s %6s %11s %9s\n' "open-loop" "rate/s" achieved "p50 ms" "p90 ms" \
            "p99 ms" "p99.9 ms" "max ms" errors non2xx "CPU µs/req" "lag p99"
        awk -F'\t' '{printf "%-14s %9s %9s %8s %8s %8s %8s %8s %7s %6s %11s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12}' \
            "$OPEN_ROWS"
        echo "(medians of $OPEN_LOOP_ROUNDS interleaved round(s); max: the largest; errors: summed; lag p99: the generator's own send delay, included in the latencies)"
    fi
} >"$SUMMARY"

# the machine and the settings, at the top of the results file and of the printed summary
{
    echo "# Gatehouse proxy benchmark $STAMP (bench/run.sh $SCRIPT_ARGS)"
    echo "# machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, $(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 / 1024 )) GB; $(uname -sr)"
    echo "# $("$GATEHOUSE_JAVA" -version 2>&1 | head -1) ($(readlink -f "$(command -v "$GATEHOUSE_JAVA")" 2>/dev/null)); $(nginx -v 2>&1 | head -1 || true); $(haproxy -v 2>/dev/null | head -1 | cut -d' ' -f1-3 || true); $(varnishd -V 2>&1 | head -1 || echo "no varnishd"); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "# load average before the runs: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# proxy warm-up: $PROXY_WARMUP per workload and size, JVM proxies only; then $ROUNDS round(s) of wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency, each after a $WARMUP warm-up"
    in_list cache "${WORKLOADS[@]}" && echo "# cache workload: $CACHE_KEYS keys per size, nginx cache in ${CACHE_DIR:-none}"
    echo "# backends ${BACKEND_KIND:-demo} 127.0.0.1:{$BACKEND_PORTS}; GATEHOUSE_JAVA_OPTS=$GATEHOUSE_JAVA_OPTS"
    (( wants_tls )) && echo "# TLS: ECDSA P-256 from 'gatehouse tls self-signed' on every proxy, TLS 1.2/1.3; Gatehouse TLS engine: ${GATEHOUSE_TLS_ENGINE:-its default (GATEHOUSE_TLS_ENGINE unset)}; its log: $(grep -m1 -o 'bench-tls TLS: .*' "$TMP/gatehouse.log" 2>/dev/null || echo '-')"
    in_list conn1k "${WORKLOADS[@]}" && echo "# conn1k: wrk -c$MANY_CONNECTIONS; nginx worker_connections $NGINX_WORKER_CONNECTIONS, upstream keepalive ${NGINX_UPSTREAM_KEEPALIVE:-64}; HAProxy maxconn $HAPROXY_MAXCONN"
    in_list idle10k "${WORKLOADS[@]}" && echo "# idle10k: $IDLE_CONNECTIONS connections held $IDLE_HOLD; Gatehouse in a fresh process with the launcher's flags: $IDLE_GATEHOUSE_JAVA_OPTS; RSS = VmRSS of the process and its children"
    in_list open-loop "${WORKLOADS[@]}" && echo "# open-loop: gatehouse loadtest --rate $OPEN_LOOP_RATE/s --duration $OPEN_LOOP_DURATION --warmup $OPEN_LOOP_WARMUP, /bytes/$SINGLE_SIZE, $OPEN_LOOP_ROUNDS interleaved round(s) (latency from the intended send time)"
    [[ -n ${BASELINE_JAR:-} ]] && in_list gatehouse-base "${PROXIES[@]}" && echo "# gatehouse-base: $BASELINE_JAR"
    echo "# workloads: ${WORKLOADS[*]}; ulimit -n $(ulimit -n)"
    echo "# medians over rounds (CPU = utime+stime of the proxy's processes / requests); vs nginx: req/s against"
    echo "# nginx on the same workload; rps/plain, CPU/plain: against the same proxy's plain route"
} >"$TMP/header.txt"

{
    cat "$TMP/header.txt"
    cat "$SUMMARY"
    echo
    printf '# round\tsize\tworkload\tproxy\treq/s\tp99_ms\trequests\tcpu_s\tcpu_us_per_req\terrors\n'
    cat "$ROWS"
    if [[ -s $IDLE_ROWS ]]; then
        echo
        printf '# idle10k\tproxy\trss_kb_before\trss_kb_held\trss_kb_end_of_hold\topener\n'
        sed 's/^/idle10k\t/' "$IDLE_ROWS"
    fi
    if [[ -s $OPEN_ROWS ]]; then
        echo
        printf '# open-loop (medians over the rounds)\tproxy\ttarget_rate\tachieved_rate\tp50_ms\tp90_ms\tp99_ms\tp99_9_ms\tmax_ms\terrors\tnon2xx\tcpu_us_per_req\tsend_lag_p99_ms\n'
        sed 's/^/open-loop\t/' "$OPEN_ROWS"
        printf '# open-loop runs, in the order run\tproxy\ttarget_rate\tachieved_rate\tp50_ms\tp90_ms\tp99_ms\tp99_9_ms\tmax_ms\terrors\tnon2xx\tcpu_us_per_req\tsend_lag_p99_ms\n'
        sed 's/^/open-loop-run\t/' "$OPEN_RUNS"
    fi
    echo
    echo "# configs"
    for f in "$TMP"/nginx.conf "$TMP"/haproxy.cfg "$TMP"/gatehouse*.yaml "$TMP"/varnish.vcl "$TMP"/wrk-*.lua; do
        [[ -f $f ]] && { echo "## $(basename "$f")"; cat "$f"; echo; }
    done
    for f in "$TMP"/open-loop-*.json; do
        [[ -f $f ]] && { echo "## $(basename "$f")"; cat "$f"; echo; }
    done
    echo "# wrk output"
    cat "$TMP/wrk-all.txt"
} >"$RESULTS"

echo
cat "$TMP/header.txt"
cat "$SUMMARY"
echo
echo "raw results: ${RESULTS#"$ROOT"/}"
