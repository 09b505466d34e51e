#!/usr/bin/env bash
# Benchmarks nginx, HAProxy and Gatehouse as reverse proxies in front of the same three demo backends, with wrk,
# in interleaved rounds; prints medians per proxy, workload and body size and writes the raw results to
# bench/results/. Workloads besides the plain route (filters, jwt, chunked, head, cache) are chosen with --only;
# the cache workload adds Varnish and nginx's proxy_cache.
# See bench/README.md. Everything binds 127.0.0.1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
PROXY_WARMUP=${PROXY_WARMUP:-20s}
SIZES=${SIZES:-1024,65536}
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
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--XX:+UseParallelGC -Xms512m -Xmx512m}
BACKEND_JAVA_OPTS=${BACKEND_JAVA_OPTS:--Xms256m -Xmx512m}

usage() {
    cat <<EOF
usage: bench/run.sh [--rounds N] [--duration 10s] [--warmup 2s] [--proxy-warmup 20s] [--sizes 1024,65536]
                    [--only PROXY,...,WORKLOAD,...] [--connections 64] [--threads 2]
                    [--backend-ports 18101,18102,18103] [--nginx-port 18081] [--haproxy-port 18082]
                    [--gatehouse-port 18083] [--vertx-floor-port 18084] [--varnish-port 18086]
                    [--admin-port 18090] [--cluster-port 18570] [--cache-keys 100]

Runs 'wrk -t2 -c64 -d<duration> --latency' against each proxy for each body size (/bytes/<size>), in
interleaved rounds, and prints the median req/s, p99 latency and proxy CPU microseconds per request.
Sizes take bytes or a K/KB/KiB or M/MB/MiB suffix.

--only takes proxies and workloads, in any mix (default: nginx,haproxy,gatehouse and plain):
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
  filters and jwt run on gatehouse and gatehouse-base only; chunked and head on all but vertx-floor and varnish;
  cache on nginx, gatehouse, gatehouse-base and varnish; varnish runs only cache. Naming cache without any proxy
  runs nginx, gatehouse and varnish.

Environment: the options above as ROUNDS, DURATION, WARMUP, SIZES, ONLY, WRK_CONNECTIONS, WRK_THREADS,
BACKEND_PORTS, NGINX_PORT, HAPROXY_PORT, GATEHOUSE_PORT, VARNISH_PORT, GATEHOUSE_ADMIN_PORT, GATEHOUSE_CLUSTER_PORT,
CACHE_KEYS; also
  GATEHOUSE_JAVA_OPTS  JVM flags for Gatehouse (default: $GATEHOUSE_JAVA_OPTS)
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
    --admin-port=GATEHOUSE_ADMIN_PORT --cluster-port=GATEHOUSE_CLUSTER_PORT -- "$@"

# ---- validate arguments ------------------------------------------------------------------------------------

check_round_options
check_wrk_options

ALL_PROXIES=(nginx haproxy gatehouse gatehouse-base vertx-floor varnish)   # fixed order: nginx is the reference
ALL_WORKLOADS=(plain filters jwt chunked head cache)                       # plain first: the others are read against it
[[ $CACHE_KEYS =~ ^[1-9][0-9]*$ ]] && (( CACHE_KEYS <= 100000 )) \
    || die "--cache-keys: '$CACHE_KEYS' (expected: a whole number 1..100000)"

in_list() {      # WORD LIST...
    local w=$1
    shift
    [[ " $* " == *" $w "* ]]
}

# the workloads each proxy can serve: filters and jwt are Gatehouse route filters; vertx-floor forwards plain GETs;
# varnish is only measured as a cache
serves() {       # PROXY WORKLOAD
    [[ $1 == varnish ]] && { [[ $2 == cache ]]; return; }
    case $2 in
        plain) return 0 ;;
        filters | jwt) [[ $1 == gatehouse || $1 == gatehouse-base ]] ;;
        chunked | head) [[ $1 != vertx-floor ]] ;;
        cache) [[ $1 == nginx || $1 == gatehouse || $1 == gatehouse-base ]] ;;
        *) return 1 ;;
    esac
}

IFS=',' read -r -a wanted <<<"$ONLY"
named_proxies=()
named_workloads=()
for w in "${wanted[@]}"; do
    if in_list "$w" "${ALL_PROXIES[@]}"; then
        named_proxies+=("$w")
    elif in_list "$w" "${ALL_WORKLOADS[@]}"; then
        named_workloads+=("$w")
    else
        die "--only: unknown name '$w' (proxies: ${ALL_PROXIES[*]}; workloads: ${ALL_WORKLOADS[*]})"
    fi
    [[ $w != gatehouse-base || -f ${BASELINE_JAR:-} ]] \
        || die "--only gatehouse-base: set BASELINE_JAR to an earlier build's gatehouse.jar"
done
if (( ${#named_proxies[@]} == 0 )); then
    named_proxies=(nginx haproxy gatehouse)
    in_list cache "${named_workloads[@]}" && named_proxies=(nginx gatehouse varnish)
fi
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
    (( served )) || die "--only $w: none of ${PROXIES[*]} serves it (filters, jwt: gatehouse, gatehouse-base; cache: nginx, gatehouse, gatehouse-base, varnish)"
    WORKLOADS+=("$w")
done
# the (workload, proxy) pairs measured each round, workload-major
PAIRS=()
for w in "${WORKLOADS[@]}"; do
    for p in "${PROXIES[@]}"; do
        serves "$p" "$w" && PAIRS+=("$w $p")
    done
done
for p in "${PROXIES[@]}"; do
    [[ $p == varnish ]] && ! in_list cache "${WORKLOADS[@]}" && die "--only varnish: it runs only the cache workload (add cache)"
done

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
in_list jwt "${WORKLOADS[@]}" && ! command -v openssl >/dev/null && need_pkgs+=(openssl)
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
        [[ $w == plain ]] && continue
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

wrk_args() {         # WORKLOAD SIZE: sets the array WRK_ARGS to the script option (if any) and the URL's path
    WRK_ARGS=()
    if [[ $1 == cache ]]; then
        (( CACHE_KEYS > 1 )) && WRK_ARGS=(-s "$TMP/wrk-cache-$2.lua")
    elif [[ $1 != plain ]]; then
        WRK_ARGS=(-s "$TMP/wrk-$1.lua")
    fi
    WRK_PATH=$(workload_path "$1" "$2")
}

in_list jwt "${WORKLOADS[@]}" && make_jwt
write_wrk_scripts

# ---- classpath for the demo backends -----------------------------------------------------------------------

wants_gatehouse=0
[[ " ${PROXIES[*]} " == *" gatehouse "* || " ${PROXIES[*]} " == *" vertx-floor "* ]] && wants_gatehouse=1

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
done

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
        echo "    maxconn 4096"
        echo "defaults"
        echo "    mode http"
        echo "    option http-keep-alive"
        echo "    http-reuse always"
        echo "    timeout connect 2s"
        echo "    timeout client 30s"
        echo "    timeout server 30s"
        echo "    timeout http-keep-alive 30s"
        echo "    # no 'log' line: logging off"
        echo "frontend bench"
        echo "    bind 127.0.0.1:$HAPROXY_PORT"
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

start_gatehouse_jar() {
    local name=$1 jar=$2 GATEHOUSE_PORT=$3 GATEHOUSE_ADMIN_PORT=$4 GATEHOUSE_CLUSTER_PORT=$5
    local conf=$TMP/$name.yaml p
    {
        echo "data-dir: $TMP/$name-data"
        echo "listeners:"
        echo "  - name: bench"
        echo "    host: 127.0.0.1"
        echo "    port: $GATEHOUSE_PORT"
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
    } >"$conf"
    java -jar "$jar" validate --config "$conf" >"$TMP/$name-validate.log" 2>&1 \
        || { cat "$TMP/$name-validate.log" >&2; die "$name ($jar) rejected $conf"; }
    # shellcheck disable=SC2086
    java $GATEHOUSE_JAVA_OPTS -jar "$jar" run --config "$conf" >"$TMP/$name.log" 2>&1 &
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

runs=$(( ${#SIZE_LIST[@]} * ROUNDS * ${#PAIRS[@]} ))
warm_s=0
nonzero "$PROXY_WARMUP" && warm_s=$(( ${#SIZE_LIST[@]} * ${#PAIRS[@]} * $(seconds "$PROXY_WARMUP") ))
total_s=$(( warm_s + runs * ( $(seconds "$WARMUP") + $(seconds "$DURATION") ) ))
echo "bench: about $(( (total_s + 59) / 60 )) min from here (${#PAIRS[@]} workload/proxy pairs, ${#SIZE_LIST[@]} size(s), $ROUNDS round(s))"

# A JVM reaches steady state only after its JIT has compiled the hot path: every proxy gets the same long
# warm-up for every workload at every size once, before any measured run (for nginx and HAProxy it changes nothing).
if nonzero "$PROXY_WARMUP"; then
    echo "bench: warming up each proxy for $PROXY_WARMUP per workload and size before measuring"
    for size in "${SIZE_LIST[@]}"; do
        for pair in "${PAIRS[@]}"; do
            read -r workload proxy <<<"$pair"
            wrk_args "$workload" "$size"
            run_wrk "$PROXY_WARMUP" "${WRK_ARGS[@]}" "http://127.0.0.1:${PORT[$proxy]}$WRK_PATH" >/dev/null 2>&1
        done
    done
fi

echo "bench: $runs runs of wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency (warm-up $WARMUP each)"
n=0
count=${#PAIRS[@]}
stride=$(( count / ROUNDS > 1 ? count / ROUNDS : 1 ))   # each round starts elsewhere in the list
for size in "${SIZE_LIST[@]}"; do
    for (( r = 0; r < ROUNDS; r++ )); do
        for (( k = 0; k < count; k++ )); do
            read -r workload proxy <<<"${PAIRS[$(( (k + r * stride) % count ))]}"   # rotate the order each round
            wrk_args "$workload" "$size"
            url="http://127.0.0.1:${PORT[$proxy]}$WRK_PATH"
            n=$(( n + 1 ))
            nonzero "$WARMUP" && run_wrk "$WARMUP" "${WRK_ARGS[@]}" "$url" >/dev/null 2>&1
            before=$(cpu_ticks "${PID[$proxy]}")
            out=$(run_wrk "$DURATION" --latency "${WRK_ARGS[@]}" "$url" 2>&1)
            after=$(cpu_ticks "${PID[$proxy]}")
            kill -0 "${PID[$proxy]}" 2>/dev/null || { echo "$out" >&2; die "$proxy died during the run (see $TMP/$proxy.log)"; }
            {
                echo "### round $(( r + 1 )) $workload $proxy $(size_label "$size")"
                echo "$out"
                echo
            } >>"$TMP/wrk-all.txt"
            parse_wrk "$out" || { echo "$out" >&2; die "could not parse wrk's output"; }
            cpu_s=$(awk -v t=$(( after - before )) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
            cpu_us=$(cpu_us_per_req "$before" "$after" "$requests")
            printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( r + 1 ))" "$size" "$workload" "$proxy" "$rps" \
                "$p99" "$requests" "$cpu_s" "$cpu_us" "$(( ${non2xx:-0} + ${sockerr:-0} ))" >>"$ROWS"
            printf 'bench: [%d/%d] round %d %-7s %-14s %-6s %10s req/s  p99 %8s ms  %6s CPU µs/req%s\n' "$n" \
                "$runs" "$(( r + 1 ))" "$workload" "$proxy" "$(size_label "$size")" "$rps" "$p99" "$cpu_us" \
                "$( (( ${non2xx:-0} + ${sockerr:-0} > 0 )) && echo "  ERRORS: non-2xx ${non2xx:-0}, socket ${sockerr:-0}")"
        done
    done
done

check_cache_hits "after measuring"   # nothing was evicted or expired while measured

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
    printf '%-7s %-8s %-14s %10s %9s %11s %9s' "${@:1:7}"
    (( against_plain )) && printf ' %10s %10s' "$8" "$9"
    printf ' %7s\n' "${10}"
}
{
    row size workload proxy "req/s" "p99 ms" "CPU µs/req" "vs nginx" "rps/plain" "CPU/plain" errors
    for size in "${SIZE_LIST[@]}"; do
        for workload in "${WORKLOADS[@]}"; do
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
} >"$SUMMARY"

{
    echo "# Gatehouse proxy benchmark $STAMP"
    echo "# host $(uname -srm), $(nproc) cores; $(nginx -v 2>&1 | head -1 || true); $(haproxy -v 2>/dev/null | head -1 || true)"
    in_list varnish "${PROXIES[@]}" && echo "# $(varnishd -V 2>&1 | head -1)"
    echo "# load average before the runs: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
    in_list cache "${WORKLOADS[@]}" && echo "# cache workload: $CACHE_KEYS keys per size, nginx cache in ${CACHE_DIR:-none}"
    echo "# $(java -version 2>&1 | head -1); wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency, warm-up $WARMUP, rounds: $ROUNDS"
    echo "# backends ${BACKEND_KIND:-demo} 127.0.0.1:{$BACKEND_PORTS}; GATEHOUSE_JAVA_OPTS=$GATEHOUSE_JAVA_OPTS"
    [[ -n ${BASELINE_JAR:-} ]] && in_list gatehouse-base "${PROXIES[@]}" && echo "# gatehouse-base: $BASELINE_JAR"
    echo "# workloads: ${WORKLOADS[*]}"
    echo "# medians over rounds (CPU = utime+stime of the proxy's processes / requests); vs nginx: req/s against"
    echo "# nginx on the same workload; rps/plain, CPU/plain: against the same proxy's plain route"
    cat "$SUMMARY"
    echo
    printf '# round\tsize\tworkload\tproxy\treq/s\tp99_ms\trequests\tcpu_s\tcpu_us_per_req\terrors\n'
    cat "$ROWS"
    echo
    echo "# configs"
    for f in "$TMP"/nginx.conf "$TMP"/haproxy.cfg "$TMP"/gatehouse.yaml "$TMP"/gatehouse-base.yaml "$TMP"/varnish.vcl \
        "$TMP"/wrk-*.lua; do
        [[ -f $f ]] && { echo "## $(basename "$f")"; cat "$f"; echo; }
    done
    echo "# wrk output"
    cat "$TMP/wrk-all.txt"
} >"$RESULTS"

echo
echo "medians over $ROUNDS round(s), wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION (vs nginx: same workload$(
    (( against_plain )) && echo "; rps/plain, CPU/plain: against the same proxy's plain route")):"
cat "$SUMMARY"
echo
echo "raw results: ${RESULTS#"$ROOT"/}"
