#!/usr/bin/env bash
# What observability costs: two Gatehouse processes in front of the same three demo backends, one with request
# metrics and the JSON access log (to a file) on, one with both off ("metrics: { requests: false }", no
# access-log), measured with wrk in interleaved rounds; prints median requests/s and p99 for each.
# Everything binds 127.0.0.1. Needs wrk (installed when run as root) and app/target/gatehouse.jar (built if absent).
#
#   bench/observability.sh [--rounds 5] [--duration 10s] [--size 1024] [--connections 64]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
USAGE_ON_ERROR=0

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-15s}
SIZE=${SIZE:-1024}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
BACKEND_PORTS=${BACKEND_PORTS:-18201,18202,18203}
OFF_PORT=${OFF_PORT:-18281}
ON_PORT=${ON_PORT:-18282}
OFF_ADMIN_PORT=${OFF_ADMIN_PORT:-18291}
ON_ADMIN_PORT=${ON_ADMIN_PORT:-18292}
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--Xms512m -Xmx512m}
BACKEND_JAVA_OPTS="-Xms256m -Xmx512m"   # fixed: not taken from the environment here

usage() { sed -n 2,8p "$0"; }

parse_options --rounds=ROUNDS --duration=DURATION --warmup=WARMUP --size=SIZE --connections=WRK_CONNECTIONS -- "$@"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds: '$ROUNDS' (expected a whole number >= 1)"
[[ $SIZE =~ ^[0-9]+$ ]] || die "--size: '$SIZE' (expected bytes)"

if ! command -v wrk >/dev/null; then
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || die "wrk missing: apt-get install -y wrk"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || die "apt-get failed"
fi
build_jar_if_missing

make_tmp gatehouse-obs-bench

IFS=',' read -r -a BACKENDS <<<"$BACKEND_PORTS"
start_backends "$JAR"

start_gatehouse() {   # NAME PORT ADMIN-PORT EXTRA-YAML
    local name=$1 port=$2 conf=$TMP/$1.yaml p
    {
        echo "data-dir: $TMP/$name-data"
        echo "listeners: [ { name: bench, host: 127.0.0.1, port: $port } ]"
        echo "admin: { host: 127.0.0.1, port: $3 }"
        echo "pools:"
        echo "  - name: bench"
        echo "    backends:"
        for p in "${BACKENDS[@]}"; do echo "      - { url: http://127.0.0.1:$p }"; done
        echo "routes: [ { name: all, match: { path-prefix: / }, pool: bench } ]"
        printf '%s\n' "$4"
    } >"$conf"
    # shellcheck disable=SC2086
    java $GATEHOUSE_JAVA_OPTS -Dhazelcast.local.localAddress=127.0.0.1 -jar "$JAR" run --config "$conf" \
        >"$TMP/$name.log" 2>&1 &
    PIDS+=($!)
    wait_ready "$name" "$port" /bytes/16 "$!" "$TMP/$name.log" 60
}
start_gatehouse off "$OFF_PORT" "$OFF_ADMIN_PORT" "metrics: { requests: false }"
start_gatehouse on "$ON_PORT" "$ON_ADMIN_PORT" "access-log: { path: $TMP/access.log, format: json, sample: 1.0 }"
echo "bench: off (no request metrics, no access log) on :$OFF_PORT, on (metrics + JSON access log) on :$ON_PORT"

URL_PATH="/bytes/$SIZE"
for port in "$OFF_PORT" "$ON_PORT"; do
    run_wrk "$WARMUP" "http://127.0.0.1:$port$URL_PATH" >/dev/null 2>&1
done

: >"$TMP/rows"
for r in $(seq "$ROUNDS"); do
    # Alternate which goes first, so neither always runs on a warmer machine.
    if (( r % 2 )); then order="off on"; else order="on off"; fi
    for which in $order; do
        port=$OFF_PORT; [[ $which == on ]] && port=$ON_PORT
        out=$(run_wrk "$DURATION" --latency "http://127.0.0.1:$port$URL_PATH")
        parse_wrk "$out"
        errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
        printf '%s\t%s\t%s\t%s\n' "$which" "$r" "$rps" "$p99" >>"$TMP/rows"
        printf 'round %d %-3s %10s req/s  p99 %8s ms %s\n' "$r" "$which" "$rps" "$p99" "$errors"
    done
done

# not lib.sh's median: this report has always printed two decimals
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
off_rps=$(awk -F'\t' '$1=="off" {print $3}' "$TMP/rows" | median)
on_rps=$(awk -F'\t' '$1=="on" {print $3}' "$TMP/rows" | median)
off_p99=$(awk -F'\t' '$1=="off" {print $4}' "$TMP/rows" | median)
on_p99=$(awk -F'\t' '$1=="on" {print $4}' "$TMP/rows" | median)
lines=$(wc -l <"$TMP/access.log")
dropped=$( (exec 3<>"/dev/tcp/127.0.0.1/$ON_ADMIN_PORT" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null \
    | awk '/^gatehouse_access_log_dropped_total/ {print $2}')
echo
printf 'median of %d rounds, wrk -t%d -c%d -d%s, %d-byte responses\n' "$ROUNDS" "$WRK_THREADS" "$WRK_CONNECTIONS" \
    "$DURATION" "$SIZE"
printf '  off (no request metrics, no access log): %10s req/s  p99 %s ms\n' "$off_rps" "$off_p99"
printf '  on  (metrics + JSON access log to file):  %10s req/s  p99 %s ms\n' "$on_rps" "$on_p99"
awk -v a="$off_rps" -v b="$on_rps" 'BEGIN { printf "  difference: %+.1f%%\n", (b - a) / a * 100 }'
echo "  access log lines written: $lines (dropped: ${dropped:-?})"
