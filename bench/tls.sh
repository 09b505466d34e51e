#!/usr/bin/env bash
# TLS termination benchmark: Gatehouse vs nginx, both terminating TLS with the same certificate in front of the same
# three demo backends. Measures, in interleaved rounds:
#   handshakes  new TLS connection per request (wrk -H 'Connection: close'): full handshakes per second
#   keep-alive  requests per second over 64 kept-alive TLS connections (wrk -c64)
# and the proxy's CPU microseconds per request. Prints medians and writes raw results to bench/results/.
# Reuses bench/run.sh's approach (demo backends, wrk, /proc CPU accounting). Everything binds 127.0.0.1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BENCH=bench-tls

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
PROXY_WARMUP=${PROXY_WARMUP:-15s}
SIZE=${SIZE:-1024}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
BACKEND_PORTS=${BACKEND_PORTS:-18201,18202,18203}
NGINX_PORT=${NGINX_PORT:-18281}
GATEHOUSE_PORT=${GATEHOUSE_PORT:-18283}
GATEHOUSE_ADMIN_PORT=${GATEHOUSE_ADMIN_PORT:-18290}
GATEHOUSE_CLUSTER_PORT=${GATEHOUSE_CLUSTER_PORT:-18670}
GATEHOUSE_JAVA=${GATEHOUSE_JAVA:-java}
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--Xms512m -Xmx512m}
BACKEND_JAVA_OPTS=${BACKEND_JAVA_OPTS:--Xms256m -Xmx512m}
TLS_ENGINE=${TLS_ENGINE:-auto}   # Gatehouse's tls-engine: auto | openssl | jdk
KEY_TYPE=ec   # the certificate `gatehouse tls self-signed` makes: ECDSA P-256

usage() {
    cat <<EOF
usage: bench/tls.sh [--rounds N] [--duration 10s] [--warmup 2s] [--proxy-warmup 15s] [--size 1024]
                    [--connections 64] [--threads 2] [--backend-ports 18201,18202,18203]
                    [--nginx-port 18281] [--gatehouse-port 18283] [--admin-port 18290] [--cluster-port 18670]
                    [--tls-engine auto|openssl|jdk]

For each round (proxies in rotating order) and each proxy:
  handshakes: wrk -t2 -c64 -d<duration> -H 'Connection: close' https://127.0.0.1:<port>/bytes/<size>
              (wrk resumes no session: every request is a new connection with a full TLS handshake)
  keep-alive: wrk -t2 -c64 -d<duration> https://127.0.0.1:<port>/bytes/<size>
Both proxies serve the same ECDSA P-256 certificate (made with 'gatehouse tls self-signed'), TLS 1.2/1.3, the
same TLS 1.3 suite order (AES-128-GCM first), HTTP/1.1 with keep-alive to the backends.

Environment: ROUNDS, DURATION, WARMUP, PROXY_WARMUP, SIZE, WRK_CONNECTIONS, WRK_THREADS, BACKEND_PORTS, NGINX_PORT,
GATEHOUSE_PORT, GATEHOUSE_ADMIN_PORT, GATEHOUSE_CLUSTER_PORT, GATEHOUSE_JAVA_OPTS, BACKEND_JAVA_OPTS, TLS_ENGINE, KEEP_TMP=1;
GATEHOUSE_JAVA: the java binary that runs Gatehouse (default: java on the PATH), e.g. a JDK 25 to compare.
EOF
}

parse_options --rounds=ROUNDS --duration=DURATION --warmup=WARMUP --proxy-warmup=PROXY_WARMUP --size=SIZE \
    --connections=WRK_CONNECTIONS --threads=WRK_THREADS --backend-ports=BACKEND_PORTS --nginx-port=NGINX_PORT \
    --gatehouse-port=GATEHOUSE_PORT --admin-port=GATEHOUSE_ADMIN_PORT --cluster-port=GATEHOUSE_CLUSTER_PORT \
    --tls-engine=TLS_ENGINE -- "$@"

check_round_options
[[ $TLS_ENGINE =~ ^(auto|openssl|jdk)$ ]] || die "--tls-engine: '$TLS_ENGINE' (expected auto, openssl or jdk)"
[[ $PROXY_WARMUP =~ ^[0-9]+[smh]?$ ]] || die "--proxy-warmup: '$PROXY_WARMUP' (expected e.g. 15s, or 0)"
[[ $SIZE =~ ^[0-9]+$ ]] || die "--size: '$SIZE' (expected: bytes)"
check_wrk_options
split_backend_ports
check_ports "${BACKENDS[@]}" "$NGINX_PORT" "$GATEHOUSE_PORT" "$GATEHOUSE_ADMIN_PORT" "$GATEHOUSE_CLUSTER_PORT"

export PATH="$PATH:/usr/sbin:/sbin"
for tool in wrk nginx java; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y nginx wrk openjdk-17-jdk-headless)"
done
CLK_TCK=$(getconf CLK_TCK) || die "getconf CLK_TCK failed"
build_jar_if_missing

# ---- temp dir, processes, cleanup ----------------------------------------------------------------------------

make_tmp gatehouse-bench-tls
chmod 711 "$TMP"

https_status() {  # HTTPS GET through openssl, verifying the certificate against the test CA -> status code
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" \
        | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -servername localhost -CAfile "$TMP/certs/ca.pem" \
            -verify_return_error 2>/dev/null | head -1 | awk '{print $2}'
}

for p in "${BACKENDS[@]}" "$NGINX_PORT" "$GATEHOUSE_PORT" "$GATEHOUSE_ADMIN_PORT" "$GATEHOUSE_CLUSTER_PORT"; do
    port_in_use "$p" && die "port $p is in use"
done

# ---- one certificate for both --------------------------------------------------------------------------------

java -jar "$JAR" tls self-signed --host localhost --out "$TMP/certs" >"$TMP/certs.log" 2>&1 \
    || { cat "$TMP/certs.log" >&2; die "could not generate the certificate"; }
CERT=$TMP/certs/localhost.pem
KEY=$TMP/certs/localhost.key
chmod 644 "$CERT" "$KEY"   # nginx workers may run unprivileged; a throwaway test key

# ---- start backends, nginx, Gatehouse ------------------------------------------------------------------------

start_backends "$JAR"
echo "bench-tls: backends ready on $BACKEND_PORTS"
warm_up_backends "$SIZE"

declare -A PORT PID
PORT[nginx]=$NGINX_PORT
PORT[gatehouse]=$GATEHOUSE_PORT
PROXIES=(nginx gatehouse)

{
    nginx_conf_head
    echo "    server {"
    echo "        listen 127.0.0.1:$NGINX_PORT ssl;"
    echo "        ssl_certificate $CERT;"
    echo "        ssl_certificate_key $KEY;"
    echo "        ssl_protocols TLSv1.2 TLSv1.3;"
    echo "        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;"
    echo "        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;"
    echo "        ssl_prefer_server_ciphers on;"
    echo "        ssl_session_cache shared:SSL:10m;"
    echo "        location / {"
    echo "            proxy_pass http://bench;"
    echo "            proxy_http_version 1.1;"
    echo "            proxy_set_header Connection \"\";"
    echo "            proxy_max_temp_file_size 0;"
    echo "        }"
    echo "    }"
    echo "}"
} >"$TMP/nginx.conf"
nginx -t -q -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" >"$TMP/nginx.log" 2>&1 \
    || { cat "$TMP/nginx.log" "$TMP/nginx-error.log" >&2; die "nginx rejected its config"; }
nginx -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" >>"$TMP/nginx.log" 2>&1 &
PID[nginx]=$!
PIDS+=("${PID[nginx]}")

{
    echo "data-dir: $TMP/gatehouse-data"
    echo "tls-engine: $TLS_ENGINE"
    echo "listeners:"
    echo "  - name: bench"
    echo "    host: 127.0.0.1"
    echo "    port: $GATEHOUSE_PORT"
    echo "    tls: { certificates: [ { cert: $CERT, key: $KEY } ] }"
    echo "pools:"
    echo "  - name: bench"
    echo "    backends:"
    for p in "${BACKENDS[@]}"; do echo "      - { url: http://127.0.0.1:$p }"; done
    echo "routes:"
    echo "  - { name: all, pool: bench, match: { path-prefix: / } }"
    echo "admin: { host: 127.0.0.1, port: $GATEHOUSE_ADMIN_PORT }"
} >"$TMP/gatehouse.yaml"
# shellcheck disable=SC2086
"$GATEHOUSE_JAVA" $GATEHOUSE_JAVA_OPTS -jar "$JAR" run --config "$TMP/gatehouse.yaml" >"$TMP/gatehouse.log" 2>&1 &
PID[gatehouse]=$!
PIDS+=("${PID[gatehouse]}")

for p in "${PROXIES[@]}"; do
    wait_ready "$p" "${PORT[$p]}" /bytes/16 "${PID[$p]}" "$TMP/$p.log" 60 https_status
    echo "bench-tls: $p ready on https://127.0.0.1:${PORT[$p]} (pid ${PID[$p]})"
done
ENGINE_LINE=$(grep -m1 -o 'bench TLS: engine [a-z]* ([^)]*)' "$TMP/gatehouse.log" | sed 's/^bench TLS: //')
echo "bench-tls: gatehouse listener ${ENGINE_LINE:-engine unknown (no start-up log line)}"

# ---- run -----------------------------------------------------------------------------------------------------

MODES=(handshakes keep-alive)
wrk_run() {       # MODE URL DURATION [--latency]
    local mode=$1 url=$2 d=$3
    shift 3
    if [[ $mode == handshakes ]]; then
        run_wrk "$d" -H 'Connection: close' "$@" "$url" 2>&1
    else
        run_wrk "$d" "$@" "$url" 2>&1
    fi
}

if nonzero "$PROXY_WARMUP"; then
    echo "bench-tls: warming up each proxy, $PROXY_WARMUP per mode"
    for mode in "${MODES[@]}"; do
        for proxy in "${PROXIES[@]}"; do
            wrk_run "$mode" "https://127.0.0.1:${PORT[$proxy]}/bytes/$SIZE" "$PROXY_WARMUP" >/dev/null
        done
    done
fi

mkdir -p "$ROOT/bench/results"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$ROOT/bench/results/tls-$STAMP.txt"
ROWS=$TMP/rows.tsv
: >"$ROWS"
: >"$TMP/wrk-all.txt"
runs=$(( ROUNDS * ${#MODES[@]} * ${#PROXIES[@]} ))
n=0
for (( r = 0; r < ROUNDS; r++ )); do
    for mode in "${MODES[@]}"; do
        for (( k = 0; k < ${#PROXIES[@]}; k++ )); do
            proxy=${PROXIES[$(( (k + r) % ${#PROXIES[@]} ))]}   # rotate the order each round
            url="https://127.0.0.1:${PORT[$proxy]}/bytes/$SIZE"
            n=$(( n + 1 ))
            nonzero "$WARMUP" && wrk_run "$mode" "$url" "$WARMUP" >/dev/null
            before=$(cpu_ticks "${PID[$proxy]}")
            out=$(wrk_run "$mode" "$url" "$DURATION" --latency)
            after=$(cpu_ticks "${PID[$proxy]}")
            kill -0 "${PID[$proxy]}" 2>/dev/null || { echo "$out" >&2; die "$proxy died (see $TMP/$proxy.log)"; }
            printf '### round %d %s %s\n%s\n\n' "$(( r + 1 ))" "$mode" "$proxy" "$out" >>"$TMP/wrk-all.txt"
            parse_wrk "$out" || { echo "$out" >&2; die "could not parse wrk's output"; }
            cpu_us=$(cpu_us_per_req "$before" "$after" "$requests")
            errors=$(( ${non2xx:-0} + ${sockerr:-0} ))
            printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( r + 1 ))" "$mode" "$proxy" "$rps" "$requests" "$cpu_us" \
                "$errors" >>"$ROWS"
            printf 'bench-tls: [%d/%d] round %d %-10s %-9s %10s req/s  %7s CPU µs/req%s\n' "$n" "$runs" \
                "$(( r + 1 ))" "$mode" "$proxy" "$rps" "$cpu_us" \
                "$( (( errors > 0 )) && echo "  errors: non-2xx ${non2xx:-0}, socket ${sockerr:-0}")"
        done
    done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
SUMMARY=$TMP/summary.txt
{
    printf '%-11s %-10s %12s %14s %10s %8s\n' mode proxy "req/s" "CPU µs/req" "vs nginx" errors
    for mode in "${MODES[@]}"; do
        ref=$(awk -F'\t' -v m="$mode" '$2 == m && $3 == "nginx" {print $4}' "$ROWS" | median)
        for proxy in "${PROXIES[@]}"; do
            col() { awk -F'\t' -v m="$mode" -v p="$proxy" -v c="$1" '$2 == m && $3 == p {print $c}' "$ROWS"; }
            rps=$(col 4 | median)
            cpu=$(col 6 | median)
            errs=$(col 7 | awk '{t += $1} END {print t + 0}')
            ratio=$(awk -v a="$rps" -v b="$ref" 'BEGIN {if (b == "" || b == 0) print "-"; else printf "%.2f", a / b}')
            printf '%-11s %-10s %12.0f %13.1f %10s %8s\n' "$mode" "$proxy" "$rps" "$cpu" "$ratio" "$errs"
        done
    done
} >"$SUMMARY"

{
    echo "# Gatehouse TLS benchmark $STAMP"
    echo "# host $(uname -srm), $(nproc) cores; $(nginx -v 2>&1 | head -1); Gatehouse on $("$GATEHOUSE_JAVA" -version 2>&1 | head -1)"
    echo "# wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION, /bytes/$SIZE, rounds $ROUNDS, warm-up $WARMUP per run"
    echo "# handshakes = 'Connection: close' (a full TLS handshake per request); keep-alive = reused connections"
    echo "# certificate: $KEY_TYPE P-256 from 'gatehouse tls self-signed'; GATEHOUSE_JAVA_OPTS=$GATEHOUSE_JAVA_OPTS"
    echo "# gatehouse tls-engine: $TLS_ENGINE -> ${ENGINE_LINE:-unknown}"
    echo "# load average (1/5/15 min) before the measured runs: $LOAD_START; after: $LOAD_END"
    cat "$SUMMARY"
    echo
    printf '# round\tmode\tproxy\treq/s\trequests\tcpu_us_per_req\terrors\n'
    cat "$ROWS"
    echo
    echo "## nginx.conf"; cat "$TMP/nginx.conf"; echo
    echo "## gatehouse.yaml"; cat "$TMP/gatehouse.yaml"; echo
    echo "# wrk output"; cat "$TMP/wrk-all.txt"
} >"$RESULTS"

echo
echo "medians over $ROUNDS round(s) (nginx = 1.00), wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$DURATION https /bytes/$SIZE;"
echo "load average before/after: $LOAD_START / $LOAD_END ($(nproc) cores; other work on the machine skews req/s more than CPU µs/req):"
cat "$SUMMARY"
echo
echo "raw results: ${RESULTS#"$ROOT"/}"
