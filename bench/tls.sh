#!/usr/bin/env bash
# TLS termination benchmark: bench/run.sh's tls-handshake and tls-keepalive workloads (full handshakes per second,
# and requests per second over 64 kept-alive TLS connections, with the proxies' CPU µs per request), on nginx, HAProxy
# and Gatehouse with the same ECDSA P-256 certificate, with this script's former defaults (3 rounds of 10 s, a 15 s
# proxy warm-up, its own ports so it can run beside run.sh's). The plain route at the same size runs too, as the
# reference the rps/plain and CPU/plain columns read against. Any run.sh option may follow and wins.
set -uo pipefail
here=$(dirname "$0")

args=()
size=${SIZE:-1024}
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=${2:?--size needs a value}; shift 2 ;;   # the former flag: one size for every workload
        --only) args+=(--only "${2:?--only needs a value},tls-handshake,tls-keepalive"); shift 2 ;;
        -h | --help)
            echo "usage: bench/tls.sh [--size 1024] [--only nginx,haproxy,gatehouse] [any bench/run.sh option]"
            echo "runs: bench/run.sh --only <proxies>,tls-handshake,tls-keepalive --sizes <size> --single-size <size>"
            echo "      --rounds 3 --duration 10s --warmup 2s --proxy-warmup 15s on ports 182xx (TLS: 183xx)"
            exit 0 ;;
        *) args+=("$1"); shift ;;
    esac
done

exec "$here/run.sh" --only "${TLS_PROXIES:-nginx,haproxy,gatehouse},tls-handshake,tls-keepalive" \
    --sizes "$size" --single-size "$size" --rounds "${ROUNDS:-3}" --duration "${DURATION:-10s}" \
    --warmup "${WARMUP:-2s}" --proxy-warmup "${PROXY_WARMUP:-15s}" \
    --backend-ports "${BACKEND_PORTS:-18201,18202,18203}" --nginx-port "${NGINX_PORT:-18281}" \
    --haproxy-port "${HAPROXY_PORT:-18282}" --gatehouse-port "${GATEHOUSE_PORT:-18283}" \
    --vertx-floor-port "${VERTX_FLOOR_PORT:-18284}" --admin-port "${GATEHOUSE_ADMIN_PORT:-18290}" \
    --cluster-port "${GATEHOUSE_CLUSTER_PORT:-18670}" "${args[@]}"
