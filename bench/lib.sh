# shellcheck shell=bash
# Shared by bench/run.sh, bench/tls.sh and bench/observability.sh, which source it; not run on its own.
# Option parsing, checks, the temp dir and process cleanup, the demo backends, readiness waits, /proc CPU accounting
# and wrk output parsing. The functions read the script's settings (WRK_THREADS, WRK_CONNECTIONS, WARMUP, BACKENDS,
# TMP, PIDS...) when called, so a script sources this first and sets its own defaults after.

BENCH=bench             # the prefix of messages; a script may set another after sourcing (not from the environment)
USAGE_ON_ERROR=1        # parse_options prints usage to stderr before "unknown argument"; 0: just the message
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/app/target/gatehouse.jar"

die() {
    echo "$BENCH: $*" >&2
    exit 1
}

# ---- options -------------------------------------------------------------------------------------------------

# parse_options --flag=VARIABLE... -- "$@": "--flag VALUE" sets VARIABLE (the last one wins); -h/--help runs the
# script's usage and exits 0; anything else prints usage to stderr (if USAGE_ON_ERROR is 1) and dies.
parse_options() {
    local -A var=()
    while [[ $1 != -- ]]; do
        var[${1%%=*}]=${1#*=}
        shift
    done
    shift
    while [[ $# -gt 0 ]]; do
        if [[ -n $1 && -n ${var[$1]:-} ]]; then
            printf -v "${var[$1]}" '%s' "${2:?$1 needs a value}"
            shift 2
        elif [[ $1 == -h || $1 == --help ]]; then
            usage
            exit 0
        else
            [[ $USAGE_ON_ERROR == 1 ]] && usage >&2
            die "unknown argument: $1"
        fi
    done
}

check_round_options() {   # ROUNDS, DURATION, WARMUP
    [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds: '$ROUNDS' (expected: a whole number >= 1)"
    [[ $DURATION =~ ^[1-9][0-9]*[smh]?$ ]] || die "--duration: '$DURATION' (expected e.g. 10s, 1m)"
    [[ $WARMUP =~ ^[0-9]+[smh]?$ ]] || die "--warmup: '$WARMUP' (expected e.g. 2s, or 0 for none)"
}

check_wrk_options() {     # WRK_CONNECTIONS, WRK_THREADS
    [[ $WRK_CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--connections: '$WRK_CONNECTIONS' (expected: a whole number)"
    [[ $WRK_THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads: '$WRK_THREADS' (expected: a whole number)"
    (( WRK_THREADS <= WRK_CONNECTIONS )) || die "--threads must not exceed --connections"
}

# BACKEND_PORTS (comma-separated) -> the array BACKENDS
split_backend_ports() {
    IFS=',' read -r -a BACKENDS <<<"$BACKEND_PORTS"
    (( ${#BACKENDS[@]} >= 1 )) || die "--backend-ports: none given"
}

check_ports() {           # PORT...
    local p
    for p in "$@"; do
        [[ $p =~ ^[0-9]+$ ]] && (( p > 0 && p < 65536 )) || die "'$p' is not a port"
    done
}

# a duration option other than 0: that warm-up is wanted
nonzero() {
    [[ $1 != 0 && $1 != 0s ]]
}

build_jar_if_missing() {
    if [[ ! -f $JAR ]]; then
        echo "$BENCH: building $JAR (./mvnw -q -DskipTests package)"
        (cd "$ROOT" && ./mvnw -q -DskipTests package) || die "build failed"
    fi
}

# ---- temp dir, process bookkeeping, cleanup --------------------------------------------------------------------

# make_tmp NAME: TMP=/tmp/NAME.XXXXXX and an empty PIDS; on exit (also Ctrl-C, TERM) the processes in PIDS are
# stopped and TMP is removed (kept with KEEP_TMP=1), and so are the directories a script adds to EXTRA_DIRS (say on
# /dev/shm).
make_tmp() {
    TMP=$(mktemp -d "/tmp/$1.XXXXXX") || die "mktemp failed"
    PIDS=()
    EXTRA_DIRS=()
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# TERM first; what has not exited after 5 s gets KILL, so an exit never leaves a proxy holding its port
cleanup() {
    local pid i alive
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for i in $(seq 50); do
        alive=0
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        (( alive )) || break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "$BENCH: kept $TMP ${EXTRA_DIRS[*]}"
    else
        rm -rf "$TMP" "${EXTRA_DIRS[@]}"
    fi
}

# ---- ports and readiness ---------------------------------------------------------------------------------------

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# HTTP status of GET path on 127.0.0.1:port, or nothing (bash /dev/tcp: no curl needed).
http_status() {
    local port=$1 path=$2 line=
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
        IFS= read -r -t 5 line <&3
        printf '%s\n' "$line" | awk '{print $2}'
    ) 2>/dev/null
}

# wait_ready NAME PORT PATH PID LOG SECONDS [CHECK]: until CHECK PORT PATH (default http_status) prints 200. Exits
# with the log's last lines when PID dies first or SECONDS pass.
wait_ready() {
    local name=$1 port=$2 path=$3 pid=$4 log=$5 limit=$6 check=${7:-http_status} i
    for i in $(seq $(( limit * 10 ))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$BENCH: $name exited during start-up; last lines of $log:" >&2
            tail -n 30 "$log" >&2
            exit 1
        fi
        [[ $("$check" "$port" "$path") == 200 ]] && return 0
        sleep 0.1
    done
    echo "$BENCH: $name not ready on 127.0.0.1:$port$path after ${limit}s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
}

# ---- demo backends -------------------------------------------------------------------------------------------

# start_backends CLASSPATH: DemoBackendsMain on BACKEND_PORTS with BACKEND_JAVA_OPTS; sets BACKENDS_PID and
# returns once every port in BACKENDS answers /health.
start_backends() {
    local p
    if [[ ${BACKEND_KIND:-demo} == static ]]; then
        start_static_backends
        return
    fi
    # shellcheck disable=SC2086
    java $BACKEND_JAVA_OPTS -cp "$1" dev.gatehouse.loadtest.DemoBackendsMain --ports "$BACKEND_PORTS" \
        >"$TMP/backends.log" 2>&1 &
    BACKENDS_PID=$!
    PIDS+=("$BACKENDS_PID")
    for p in "${BACKENDS[@]}"; do
        wait_ready "demo backends" "$p" /health "$BACKENDS_PID" "$TMP/backends.log" 60
    done
}

# BACKEND_KIND=static: one nginx (one worker) serving files from disk on the backend ports, the fastest backend
# there is, so the proxy's own cost is not hidden behind a slow backend. Files: bytes/<n> for 0, 16 and every size;
# a POST to them gets the file too (its body read and dropped), as the demo backends answer it. A query with
# max-age= makes the answer cacheable for an hour (Cache-Control: max-age=3600 and Expires), as the demo backends'
# ?max-age=S does.
start_static_backends() {
    local root=$TMP/static conf=$TMP/backend-nginx.conf size p
    mkdir -p "$root/bytes" "$TMP/backend-nginx-tmp" && chmod 777 "$TMP/backend-nginx-tmp"
    for size in 0 16 "${SIZE_LIST[@]}"; do
        head -c "$size" /dev/zero | tr '\0' 'x' >"$root/bytes/$size"
    done
    echo ok >"$root/health"
    chmod -R a+rX "$root"
    {
        echo "worker_processes 1;"
        echo "pid $TMP/backend-nginx.pid;"
        echo "error_log $TMP/backend-nginx-error.log warn;"
        echo "daemon off;"
        echo "events { worker_connections 4096; }"
        echo "http {"
        echo "    access_log off;"
        echo "    keepalive_requests 1000000;"
        echo "    default_type application/octet-stream;"
        echo "    map \$args \$bench_expires { ~(^|&)max-age= 1h; default off; }"
        echo "    expires \$bench_expires;"
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $TMP/backend-nginx-tmp/$t;"
        done
        for p in "${BACKENDS[@]}"; do
            echo "    server { listen 127.0.0.1:$p; root $root; location /bytes/ { error_page 405 =200 \$uri; } }"
        done
        echo "}"
    } >"$conf"
    nginx -e "$TMP/backend-nginx-error.log" -c "$conf" >"$TMP/backends.log" 2>&1 &
    BACKENDS_PID=$!
    PIDS+=("$BACKENDS_PID")
    for p in "${BACKENDS[@]}"; do
        wait_ready "static backends" "$p" /health "$BACKENDS_PID" "$TMP/backends.log" 30
    done
}

# warm_up_backends SIZE...: their JIT compiles the hot path before any proxy is measured (skipped for WARMUP 0)
warm_up_backends() {
    local size p
    nonzero "$WARMUP" || return 0
    for size in "$@"; do
        for p in "${BACKENDS[@]}"; do
            run_wrk "$WARMUP" "http://127.0.0.1:$p/bytes/$size" >/dev/null 2>&1
        done
    done
}

# ---- nginx ---------------------------------------------------------------------------------------------------

# The start of nginx.conf, the same for every benchmark: workers, no access log, keep-alive to the clients and an
# upstream "bench" over BACKENDS with keep-alive. Makes the temp dirs it names (under TMP); the caller goes on
# with "    server {" and closes the http block. NGINX_WORKER_CONNECTIONS (default 4096), NGINX_RLIMIT_NOFILE (unset:
# the inherited limit) and NGINX_UPSTREAM_KEEPALIVE (idle upstream connections kept per worker, default 64) size it
# for many connections.
nginx_conf_head() {
    local t p
    mkdir -p "$TMP/nginx-tmp" && chmod 777 "$TMP/nginx-tmp"
    echo "worker_processes auto;"
    echo "pid $TMP/nginx.pid;"
    echo "error_log $TMP/nginx-error.log warn;"
    echo "daemon off;"
    [[ -n ${NGINX_RLIMIT_NOFILE:-} ]] && echo "worker_rlimit_nofile $NGINX_RLIMIT_NOFILE;"
    echo "events { worker_connections ${NGINX_WORKER_CONNECTIONS:-4096}; }"
    echo "http {"
    echo "    access_log off;"
    echo "    keepalive_timeout 65s;"
    echo "    keepalive_requests 1000000;"
    for t in client_body proxy fastcgi uwsgi scgi; do
        echo "    ${t}_temp_path $TMP/nginx-tmp/$t;"
    done
    echo "    upstream bench {"
    for p in "${BACKENDS[@]}"; do
        echo "        server 127.0.0.1:$p;"
    done
    echo "        keepalive ${NGINX_UPSTREAM_KEEPALIVE:-64};"
    echo "        keepalive_requests 1000000;"
    echo "    }"
}

# ---- wrk and CPU -----------------------------------------------------------------------------------------------

run_wrk() {               # DURATION ARG...: wrk with the script's threads and connections
    local d=$1
    shift
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$d" "$@"
}

# latency as wrk prints it (850.00us, 1.23ms, 2.00s, 1.00m) -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else printf "nan" }'
}

# parse_wrk OUTPUT: sets rps, requests, p99 (ms), non2xx and sockerr from wrk --latency's output; fails when
# requests/s or the request count is missing.
parse_wrk() {
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$1")
    requests=$(awk '/requests in/ {print $1}' <<<"$1")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$1")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$1")
    sockerr=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' <<<"$1")
    [[ -n $rps && -n $requests ]]
}

# utime+stime clock ticks of PID and its direct children (nginx workers)
cpu_ticks() {
    local root=$1 total=0 d line rest
    for d in /proc/[0-9]*; do
        { read -r line <"$d/stat"; } 2>/dev/null || continue
        rest=${line##*) }            # fields from 3 (state) on; comm may contain spaces
        # shellcheck disable=SC2086
        set -- $rest
        if [[ ${d#/proc/} == "$root" || $2 == "$root" ]]; then
            total=$(( total + ${12} + ${13} ))   # fields 14 (utime) and 15 (stime)
        fi
    done
    echo "$total"
}

cpu_us_per_req() {        # TICKS-BEFORE TICKS-AFTER REQUESTS (needs CLK_TCK)
    awk -v t=$(( $2 - $1 )) -v hz="$CLK_TCK" -v n="$3" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}'
}

median() {                # numbers on stdin -> median
    sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
        else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
