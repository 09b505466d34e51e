#!/usr/bin/env bash
# Benchmarks nginx, HAProxy and Gatehouse as reverse proxies in front of the same three demo backends, with wrk,
# in interleaved rounds; prints medians per proxy and body size and writes the raw results to bench/results/.
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
GATEHOUSE_ADMIN_PORT=${GATEHOUSE_ADMIN_PORT:-18090}
GATEHOUSE_CLUSTER_PORT=${GATEHOUSE_CLUSTER_PORT:-18570}
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--XX:+UseParallelGC -Xms512m -Xmx512m}
BACKEND_JAVA_OPTS=${BACKEND_JAVA_OPTS:--Xms256m -Xmx512m}

usage() {
    cat <<EOF
usage: bench/run.sh [--rounds N] [--duration 10s] [--warmup 2s] [--proxy-warmup 20s] [--sizes 1024,65536]
                    [--only nginx,haproxy,gatehouse,vertx-floor] [--connections 64] [--threads 2]
                    [--backend-ports 18101,18102,18103] [--nginx-port 18081] [--haproxy-port 18082]
                    [--gatehouse-port 18083] [--vertx-floor-port 18084] [--admin-port 18090]
                    [--cluster-port 18570]

Runs 'wrk -t2 -c64 -d<duration> --latency' against each proxy for each body size (/bytes/<size>), in
interleaved rounds, and prints the median req/s, p99 latency and proxy CPU microseconds per request.
Sizes take bytes or a K/KB/KiB or M/MB/MiB suffix.

Environment: the options above as ROUNDS, DURATION, WARMUP, SIZES, ONLY, WRK_CONNECTIONS, WRK_THREADS,
BACKEND_PORTS, NGINX_PORT, HAPROXY_PORT, GATEHOUSE_PORT, GATEHOUSE_ADMIN_PORT, GATEHOUSE_CLUSTER_PORT; also
  GATEHOUSE_JAVA_OPTS  JVM flags for Gatehouse (default: $GATEHOUSE_JAVA_OPTS)
  BACKEND_JAVA_OPTS    JVM flags for the demo backends (default: $BACKEND_JAVA_OPTS)
  GATEHOUSE_CP         classpath for the demo backends (default: app/target/gatehouse.jar, or the loadtest
                       module's classes and dependencies when the jar is absent and Gatehouse is not run)
  KEEP_TMP=1           keep the temporary directory with configs and logs
EOF
}

parse_options --rounds=ROUNDS --duration=DURATION --warmup=WARMUP --proxy-warmup=PROXY_WARMUP --sizes=SIZES \
    --only=ONLY --connections=WRK_CONNECTIONS --threads=WRK_THREADS --backend-ports=BACKEND_PORTS \
    --nginx-port=NGINX_PORT --haproxy-port=HAPROXY_PORT --gatehouse-port=GATEHOUSE_PORT \
    --vertx-floor-port=VERTX_FLOOR_PORT \
    --admin-port=GATEHOUSE_ADMIN_PORT --cluster-port=GATEHOUSE_CLUSTER_PORT -- "$@"

# ---- validate arguments ------------------------------------------------------------------------------------

check_round_options
check_wrk_options

PROXIES=()
IFS=',' read -r -a wanted <<<"$ONLY"
for p in nginx haproxy gatehouse gatehouse-base vertx-floor; do   # fixed order: nginx is the reference
    for w in "${wanted[@]}"; do
        [[ $w == "$p" ]] && PROXIES+=("$p")
    done
done
for w in "${wanted[@]}"; do
    [[ $w == nginx || $w == haproxy || $w == gatehouse || $w == gatehouse-base || $w == vertx-floor ]] \
        || die "--only: unknown proxy '$w' (expected: nginx, haproxy, gatehouse, gatehouse-base, vertx-floor)"
    [[ $w != gatehouse-base || -f ${BASELINE_JAR:-} ]] \
        || die "--only gatehouse-base: set BASELINE_JAR to an earlier build's gatehouse.jar"
done
(( ${#PROXIES[@]} > 0 )) || die "--only: no proxy selected"

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
    "$GATEHOUSE_CLUSTER_PORT"

# ---- tools ---------------------------------------------------------------------------------------------------

need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
[[ " ${PROXIES[*]} " == *" nginx "* ]] && ! command -v nginx >/dev/null && ! [[ -x /usr/sbin/nginx ]] && need_pkgs+=(nginx)
[[ " ${PROXIES[*]} " == *" haproxy "* ]] && ! command -v haproxy >/dev/null && ! [[ -x /usr/sbin/haproxy ]] && need_pkgs+=(haproxy)
if (( ${#need_pkgs[@]} > 0 )); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench: installing ${need_pkgs[*]} with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
            || die "apt-get install ${need_pkgs[*]} failed"
    else
        die "missing ${need_pkgs[*]}: run 'sudo apt-get install -y nginx haproxy wrk' (or this script as root)"
    fi
fi
export PATH="$PATH:/usr/sbin:/sbin"
command -v java >/dev/null || die "java not found (Java 17+ is needed: apt-get install -y openjdk-17-jdk-headless)"
CLK_TCK=$(getconf CLK_TCK) || die "getconf CLK_TCK failed"

# ---- temp dir, process bookkeeping, cleanup --------------------------------------------------------------

make_tmp gatehouse-bench
chmod 711 "$TMP"   # nginx workers may run as an unprivileged user

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

start_nginx() {
    local conf=$TMP/nginx.conf
    {
        nginx_conf_head
        echo "    server {"
        echo "        listen 127.0.0.1:$NGINX_PORT;"
        echo "        location / {"
        echo "            proxy_pass http://bench;"
        echo "            proxy_http_version 1.1;"
        echo "            proxy_set_header Connection \"\";"
        echo "            proxy_max_temp_file_size 0;   # stream what the buffers cannot hold; never spill to disk"
        echo "        }"
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
        echo "  - name: all"
        echo "    match: { path-prefix: / }"
        echo "    pool: bench"
        echo "admin:"
        echo "  host: 127.0.0.1"
        echo "  port: $GATEHOUSE_ADMIN_PORT"
    } >"$conf"
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

# ---- run ---------------------------------------------------------------------------------------------------

mkdir -p "$ROOT/bench/results"
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$ROOT/bench/results/$STAMP.txt"
ROWS=$TMP/rows.tsv
: >"$ROWS"
: >"$TMP/wrk-all.txt"

# A JVM reaches steady state only after its JIT has compiled the hot path: every proxy gets the same long
# warm-up at every size once, before any measured run (for nginx and HAProxy it changes nothing).
if nonzero "$PROXY_WARMUP"; then
    echo "bench: warming up each proxy for $PROXY_WARMUP per size before measuring"
    for size in "${SIZE_LIST[@]}"; do
        for proxy in "${PROXIES[@]}"; do
            run_wrk "$PROXY_WARMUP" "http://127.0.0.1:${PORT[$proxy]}/bytes/$size" >/dev/null 2>&1
        done
    done
fi

runs=$(( ${#SIZE_LIST[@]} * ROUNDS * ${#PROXIES[@]} ))
echo "bench: $runs runs of wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency (warm-up $WARMUP each)"
n=0
for size in "${SIZE_LIST[@]}"; do
    url_path="/bytes/$size"
    for (( r = 0; r < ROUNDS; r++ )); do
        count=${#PROXIES[@]}
        for (( k = 0; k < count; k++ )); do
            proxy=${PROXIES[$(( (k + r) % count ))]}     # rotate the order each round
            url="http://127.0.0.1:${PORT[$proxy]}$url_path"
            n=$(( n + 1 ))
            nonzero "$WARMUP" && run_wrk "$WARMUP" "$url" >/dev/null 2>&1
            before=$(cpu_ticks "${PID[$proxy]}")
            out=$(run_wrk "$DURATION" --latency "$url" 2>&1)
            after=$(cpu_ticks "${PID[$proxy]}")
            kill -0 "${PID[$proxy]}" 2>/dev/null || { echo "$out" >&2; die "$proxy died during the run (see $TMP/$proxy.log)"; }
            {
                echo "### round $(( r + 1 )) $proxy $(size_label "$size")"
                echo "$out"
                echo
            } >>"$TMP/wrk-all.txt"
            parse_wrk "$out" || { echo "$out" >&2; die "could not parse wrk's output"; }
            cpu_s=$(awk -v t=$(( after - before )) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
            cpu_us=$(cpu_us_per_req "$before" "$after" "$requests")
            printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( r + 1 ))" "$size" "$proxy" "$rps" "$p99" \
                "$requests" "$cpu_s" "$cpu_us" "$(( ${non2xx:-0} + ${sockerr:-0} ))" >>"$ROWS"
            printf 'bench: [%d/%d] round %d %-11s %-6s %10s req/s  p99 %8s ms  %6s CPU µs/req%s\n' "$n" "$runs" \
                "$(( r + 1 ))" "$proxy" "$(size_label "$size")" "$rps" "$p99" "$cpu_us" \
                "$( (( ${non2xx:-0} + ${sockerr:-0} > 0 )) && echo "  ERRORS: non-2xx ${non2xx:-0}, socket ${sockerr:-0}")"
        done
    done
done

# ---- summary -----------------------------------------------------------------------------------------------

SUMMARY=$TMP/summary.txt
{
    printf '%-8s %-12s %10s %10s %14s %10s %8s\n' size proxy "req/s" "p99 ms" "CPU µs/req" "vs nginx" errors
    for size in "${SIZE_LIST[@]}"; do
        ref=
        if [[ " ${PROXIES[*]} " == *" nginx "* ]]; then
            ref=$(awk -F'\t' -v s="$size" '$2 == s && $3 == "nginx" {print $4}' "$ROWS" | median)
        fi
        for proxy in "${PROXIES[@]}"; do
            col() { awk -F'\t' -v s="$size" -v p="$proxy" -v c="$1" '$2 == s && $3 == p {print $c}' "$ROWS"; }
            rps=$(col 4 | median)
            p99=$(col 5 | median)
            cpu=$(col 8 | median)
            errs=$(col 9 | awk '{t += $1} END {print t + 0}')
            ratio=$(awk -v a="$rps" -v b="$ref" 'BEGIN {if (b == "" || b == 0) print "-"; else printf "%.2f", a / b}')
            printf '%-8s %-12s %10.0f %10.3f %13.1f %10s %8s\n' "$(size_label "$size")" "$proxy" "$rps" "$p99" \
                "$cpu" "$ratio" "$errs"
        done
    done
} >"$SUMMARY"

{
    echo "# Gatehouse proxy benchmark $STAMP"
    echo "# host $(uname -srm), $(nproc) cores; $(nginx -v 2>&1 | head -1 || true); $(haproxy -v 2>/dev/null | head -1 || true)"
    echo "# $(java -version 2>&1 | head -1); wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION --latency, warm-up $WARMUP, rounds: $ROUNDS"
    echo "# backends 127.0.0.1:{$BACKEND_PORTS}; GATEHOUSE_JAVA_OPTS=$GATEHOUSE_JAVA_OPTS"
    echo "# medians over rounds (CPU = utime+stime of the proxy's processes / requests)"
    cat "$SUMMARY"
    echo
    printf '# round\tsize\tproxy\treq/s\tp99_ms\trequests\tcpu_s\tcpu_us_per_req\terrors\n'
    cat "$ROWS"
    echo
    echo "# configs"
    for f in "$TMP"/nginx.conf "$TMP"/haproxy.cfg "$TMP"/gatehouse.yaml; do
        [[ -f $f ]] && { echo "## $(basename "$f")"; cat "$f"; echo; }
    done
    echo "# wrk output"
    cat "$TMP/wrk-all.txt"
} >"$RESULTS"

echo
echo "medians over $ROUNDS round(s) (nginx = 1.00), wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION:"
cat "$SUMMARY"
echo
echo "raw results: ${RESULTS#"$ROOT"/}"
